"""Mounted at /cobuild/matching/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("board/", views.suggest_board, name="suggest_board"),
    path("board/export/", views.suggest_board_export, name="suggest_board_export"),
    path("needs/<int:pk>/", views.suggest_panel, name="suggest_panel"),
    path("needs/<int:pk>/<int:rid>/accept/", views.suggest_accept, name="suggest_accept"),
    path("needs/<int:pk>/<int:rid>/reject/", views.suggest_reject, name="suggest_reject"),
    path("needs/<int:pk>/<int:rid>/unreject/", views.suggest_unreject, name="suggest_unreject"),
]
