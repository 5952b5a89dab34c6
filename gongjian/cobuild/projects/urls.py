"""Project pages, included at /cobuild/projects/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from gongjian.core.pages import entity_urls

from . import views

urlpatterns: list[URLPattern] = [
    path("new/needs/", views.project_form_needs, name="project_form_needs"),
    path("new/resource-row/", views.project_form_resource_row, name="project_form_resource_row"),
    path("<int:pk>/plan/", views.plan_update, name="project_plan_update"),
    path("<int:pk>/milestones/", views.milestone_add, name="project_milestone_add"),
    path("<int:pk>/milestones/<int:mid>/<slug:action>/", views.milestone_action, name="project_milestone_action"),
    path("<int:pk>/notes/", views.note_add, name="project_note_add"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo, name="project_photo"),
    *entity_urls("", "project", views),  # after the pages above: its action route takes any "<pk>/<word>/"
]
