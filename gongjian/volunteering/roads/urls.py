"""Pages of the road chiefs part, included at /volunteering/roads/ in the "volunteering" namespace."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.segment_list, name="road_segments"),
    path("export/", views.segment_export, name="road_segment_export"),
    path("new/", views.segment_create, name="road_segment_create"),
    path("<int:pk>/", views.segment_detail, name="road_segment_detail"),
    path("<int:pk>/edit/", views.segment_edit, name="road_segment_edit"),
    path("<int:pk>/active/", views.segment_active, name="road_segment_active"),
    path("<int:pk>/chiefs/", views.chief_assign, name="road_chief_assign"),
    path("chiefs/<int:pk>/end/", views.chief_end, name="road_chief_end"),
    path("patrols/", views.patrol_list, name="road_patrols"),
    path("patrols/export/", views.patrol_export, name="road_patrol_export"),
    path("patrols/<int:pk>/photo/", views.patrol_photo, name="road_patrol_photo"),
    path("reports/", views.report_list, name="road_reports"),
    path("reports/export/", views.report_export, name="road_report_export"),
    path("reports/<int:pk>/", views.report_detail, name="road_report_detail"),
    path("reports/<int:pk>/photo/", views.report_photo, name="road_report_photo"),
    path("reports/<int:pk>/<slug:action>/", views.report_action, name="road_report_action"),
    path("mine/", views.mine, name="my_patrols"),
    path("mine/<int:segment>/patrol/", views.patrol_new, name="road_patrol_new"),
    path("mine/<int:segment>/report/", views.report_new, name="road_report_new"),
]
