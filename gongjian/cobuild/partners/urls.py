"""Pages of unit report-in and partnerships, included at /cobuild/partners/ in the "cobuild" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from gongjian.core.pages import entity_urls

from . import views

urlpatterns: list[URLPattern] = [
    *entity_urls("", "partner", views),
    path("<int:pk>/end/", views.partner_end, name="partner_end"),
    path("<int:pk>/agreements/new/", views.agreement_create, name="partner_agreement_create"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="partner_agreement_edit"),
    path("agreements/<int:pk>/sign/", views.agreement_sign, name="partner_agreement_sign"),
    *entity_urls("report-ins/", "report_in", views, name="partner_report_in"),
    path("community/", views.community_pick, name="partner_community_pick"),
    path("community/<int:pk>/", views.community_page, name="partner_community"),
    path("unit/<int:pk>/", views.unit_page, name="partner_unit"),
    path("mine/", views.mine, name="partner_mine"),
]
