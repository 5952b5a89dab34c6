"""Mounted at /cobuild/matching/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("board/", views.suggest_board, name="suggest_board"),
    path("board/export/", views.suggest_board_export, name="suggest_board_export"),
    path("needs/<int:pk>/", views.suggest_panel, name="suggest_panel"),
    *(path(f"needs/<int:pk>/<int:rid>/{verb}/", getattr(views, f"suggest_{verb}"), name=f"suggest_{verb}")
      for verb in ("accept", "reject", "unreject")),
]
