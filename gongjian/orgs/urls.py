from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/export/", views.member_export, name="member_export"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<int:pk>/", views.member_detail, name="member_detail"),
    path("members/<int:pk>/reveal/", views.member_reveal, name="member_reveal"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:pk>/transfer/", views.member_transfer, name="member_transfer"),
    path("members/<int:pk>/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("me/", views.me, name="me"),
    path("", views.org_list, name="org_list"),
    path("export/", views.org_export, name="org_export"),
    path("new/", views.org_create, name="org_create"),
    path("<int:pk>/", views.org_detail, name="org_detail"),
    path("<int:pk>/edit/", views.org_edit, name="org_edit"),
    path("<int:pk>/deactivate/", views.org_deactivate, name="org_deactivate"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/export/", views.unit_export, name="unit_export"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/reveal/", views.unit_reveal, name="unit_reveal"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/deactivate/", views.unit_deactivate, name="unit_deactivate"),
    path("policies/", views.policy_list, name="policy_list"),
    path("policies/new/", views.policy_create, name="policy_create"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/deactivate/", views.policy_deactivate, name="policy_deactivate"),
    path("policies/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("policies/<int:pk>/attachments/<int:att>/", views.attachment_download, name="attachment_download"),
    path("policies/<int:pk>/attachments/<int:att>/remove/", views.attachment_remove, name="attachment_remove"),
]
