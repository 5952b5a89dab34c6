"""Pages of members' report-in, receipts and pledges, included at /volunteering/ in the "volunteering" namespace."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="my_community"),
    path("report-in/", views.report_in_form, name="report_in"),
    path("report-ins/", views.report_in_list, name="report_in_list"),
    path("report-ins/export/", views.report_in_export, name="report_in_export"),
    path("report-ins/<int:pk>/<slug:action>/", views.report_in_action, name="report_in_action"),
    path("unit/", views.unit_members, name="unit_members"),
    path("unit/export/", views.unit_members_export, name="unit_members_export"),
    path("receipts/", views.receipt_list, name="receipt_list"),
    path("receipts/issue/", views.receipt_issue, name="receipt_issue"),
    path("receipts/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("pledge/", views.my_pledge, name="my_pledge"),
    path("pledges/", views.pledge_list, name="pledge_list"),
    path("pledges/<int:pk>/assess/", views.pledge_assess, name="pledge_assess"),
    path("members/<int:pk>/card/", views.member_card, name="member_card"),
    path("community/members/", views.community_cards, name="community_cards"),
]
