"""Pages of unit report-in and partnerships, included at /cobuild/partners/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.partner_list, name="partner_list"),
    path("export/", views.partner_export, name="partner_export"),
    path("new/", views.partner_create, name="partner_create"),
    path("<int:pk>/", views.partner_detail, name="partner_detail"),
    path("<int:pk>/end/", views.partner_end, name="partner_end"),
    path("<int:pk>/agreements/new/", views.agreement_create, name="partner_agreement_create"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="partner_agreement_edit"),
    path("agreements/<int:pk>/sign/", views.agreement_sign, name="partner_agreement_sign"),
    path("report-ins/", views.report_in_list, name="partner_report_in_list"),
    path("report-ins/export/", views.report_in_export, name="partner_report_in_export"),
    path("report-ins/new/", views.report_in_create, name="partner_report_in_create"),
    path("report-ins/<int:pk>/", views.report_in_detail, name="partner_report_in_detail"),
    path("report-ins/<int:pk>/<slug:action>/", views.report_in_action, name="partner_report_in_action"),
    path("community/", views.community_pick, name="partner_community_pick"),
    path("community/<int:pk>/", views.community_page, name="partner_community"),
    path("unit/<int:pk>/", views.unit_page, name="partner_unit"),
    path("mine/", views.mine, name="partner_mine"),
]
