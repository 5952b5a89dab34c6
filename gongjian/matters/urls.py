"""Pages of matters at /matters/ (namespace ``matters``)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "matters"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("list/", views.matter_list, name="list"),
    path("list/export/", views.matter_export, name="export"),
    path("report/", views.report, name="report"),
    path("departments/", views.dept_queue, name="dept_queue"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<int:pk>/<slug:action>/", views.assignment_action, name="assignment_action"),
    path("<int:pk>/", views.matter_detail, name="matter_detail"),
    path("<int:pk>/reveal/", views.matter_reveal, name="reveal"),
    path("<int:pk>/attachments/<int:aid>/", views.attachment, name="attachment"),
    path("<int:pk>/<slug:action>/", views.matter_action, name="action"),
]
