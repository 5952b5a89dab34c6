from typing import Any

from django.urls import URLPattern, path

from gongjian.core.pages import entity_urls

from . import views

app_name = "orgs"


def _record_pages(prefix: str, *routes: tuple[str, Any, str]) -> list[URLPattern]:
    """Further pages of one record, under ``<prefix><pk>/``: (suffix, view, URL name)."""
    return [path(f"{prefix}<int:pk>/{suffix}", view, name=name) for suffix, view, name in routes]


urlpatterns = [
    *entity_urls("members/", "member", views),
    *_record_pages(
        "members/",
        ("reveal/", views.member_reveal, "member_reveal"),
        ("transfer/", views.member_transfer, "member_transfer"),
        ("deactivate/", views.member_deactivate, "member_deactivate"),
    ),
    path("me/", views.me, name="me"),
    *entity_urls("", "org", views),
    *_record_pages("", ("deactivate/", views.org_deactivate, "org_deactivate")),
    *entity_urls("units/", "unit", views),
    *_record_pages("units/", ("reveal/", views.unit_reveal, "unit_reveal"), ("deactivate/", views.unit_deactivate, "unit_deactivate")),
    *entity_urls("policies/", "policy", views),
    *_record_pages(
        "policies/",
        ("deactivate/", views.policy_deactivate, "policy_deactivate"),
        ("attachments/", views.attachment_add, "attachment_add"),
        ("attachments/<int:att>/", views.attachment_download, "attachment_download"),
        ("attachments/<int:att>/remove/", views.attachment_remove, "attachment_remove"),
    ),
]
