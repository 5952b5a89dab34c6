"""Project pages, included at /cobuild/projects/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.project_list, name="project_list"),
    path("export/", views.project_export, name="project_export"),
    path("new/", views.project_create, name="project_create"),
    path("new/needs/", views.project_form_needs, name="project_form_needs"),
    path("new/resource-row/", views.project_form_resource_row, name="project_form_resource_row"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/plan/", views.plan_update, name="project_plan_update"),
    path("<int:pk>/milestones/", views.milestone_add, name="project_milestone_add"),
    path("<int:pk>/milestones/<int:mid>/<slug:action>/", views.milestone_action, name="project_milestone_action"),
    path("<int:pk>/notes/", views.note_add, name="project_note_add"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo, name="project_photo"),
    path("<int:pk>/<slug:action>/", views.project_action, name="project_action"),
]
