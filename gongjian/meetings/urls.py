"""Meeting pages at /meetings/ (namespace "meetings")."""

from __future__ import annotations

from django.urls import URLPattern, path

from gongjian.core.pages import entity_urls

from . import views

app_name = "meetings"

urlpatterns: list[URLPattern] = [
    *entity_urls("", "meeting", views),
    path("calendar/", views.calendar, name="calendar"),
    *entity_urls("experiences/", "experience", views),
    *entity_urls("tasks/", "task", views),
    path("<int:pk>/hold/", views.meeting_hold, name="meeting_hold"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:pk>/attendees/", views.attendee_add, name="attendee_add"),
    path("<int:pk>/attendees/<int:aid>/<slug:action>/", views.attendee_action, name="attendee_action"),
    path("<int:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("<int:pk>/agenda/refresh/", views.agenda_refresh, name="agenda_refresh"),
    path("<int:pk>/agenda/<int:item>/<slug:action>/", views.agenda_action, name="agenda_action"),
    path("<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("<int:pk>/tasks/<int:task>/follow-up/", views.task_follow_up, name="task_follow_up"),
    path("<int:pk>/speakers/", views.speaker_add, name="speaker_add"),
    path("<int:pk>/speakers/<int:sid>/attachment/", views.speaker_attachment, name="speaker_attachment"),
    path("<int:pk>/speakers/<int:sid>/<slug:action>/", views.speaker_action, name="speaker_action"),
    path("<int:pk>/experiences/", views.experience_add, name="experience_add"),
]
