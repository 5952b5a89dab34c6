"""Navigation entries, home panels and exports of posts, activities and hours (collected by ``volunteering.registration``).

Members see 志愿活动 and 我的时长; administrators 志愿活动, 服务岗位 and 时长确认, with the numbers waiting for them on
their home panel."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import ExportDef, NavEntry

from .. import permissions as perms

NAV: list[NavEntry] = [
    NavEntry("volunteering.activities", _("Volunteer activities"), "volunteering:activities", icon="heart-handshake",
             permission=perms.ACTIVITY_VIEW, order=40),
    NavEntry("volunteering.my_hours", _("My hours"), "volunteering:my_hours", icon="clock-hour-4", permission=perms.SIGNUP, order=41),
    NavEntry("volunteering.posts", _("Service posts"), "volunteering:post_list", icon="id-badge", permission=perms.POST_MANAGE, order=42),
    NavEntry("volunteering.hours", _("Hours to confirm"), "volunteering:hour_list", icon="clock-check", permission=perms.HOURS_CONFIRM, order=43),
]


def admin_panel(actor: Any) -> dict[str, Any] | None:
    """Administrators: applications and hours waiting for them, activities open for sign-up."""
    if not can(actor, perms.HOURS_CONFIRM):
        return None
    from ..choices import ActivityStatus, HoldingStatus
    from . import selectors

    return {
        "key": "volunteering.activities",
        "title": _("Volunteer activities"),
        "stats": [
            {"key": "hours_pending", "label": _("Hours to confirm"), "value": selectors.hours_pending_count(actor=actor)},
            {"key": "applications", "label": _("Post applications to decide"),
             "value": selectors.holding_list(actor=actor, status=HoldingStatus.APPLIED).count()},
            {"key": "published", "label": _("Activities open for sign-up"),
             "value": selectors.activity_list(actor=actor, filters={"status": ActivityStatus.PUBLISHED}).count()},
        ],
        "links": [
            {"label": _("Hours to confirm"), "url": reverse("volunteering:hour_list")},
            {"label": _("Service posts"), "url": reverse("volunteering:post_list")},
            {"label": _("Volunteer activities"), "url": reverse("volunteering:activities")},
        ],
    }


def member_panel(actor: Any) -> dict[str, Any] | None:
    """A member: his coming sign-ups and confirmed hours."""
    if not can(actor, perms.SIGNUP):
        return None
    from . import selectors

    if selectors.my_community(actor) is None:
        return None
    hours = selectors.my_hours(actor=actor)
    return {
        "key": "volunteering.my_activities",
        "title": _("Volunteering"),
        "stats": [
            {"key": "coming", "label": _("Coming sign-ups"), "value": selectors.my_signups(actor=actor).count()},
            {"key": "hours", "label": _("Confirmed hours"), "value": hours["confirmed_hours"]},
            {"key": "points", "label": _("Points"), "value": hours["points"]},
        ],
        "links": [
            {"label": _("Volunteer activities"), "url": reverse("volunteering:activities")},
            {"label": _("My hours"), "url": reverse("volunteering:my_hours")},
        ],
    }


PANELS: list[Any] = [admin_panel, member_panel]
EXPORTS: list[ExportDef] = [
    ExportDef("volunteering-activities", _("Volunteer activities"), "volunteering", "volunteering:activity_export", perms.ACTIVITY_MANAGE),
    ExportDef("volunteering-hours", _("Service hours"), "volunteering", "volunteering:hour_export", perms.HOURS_CONFIRM),
    ExportDef("volunteering-posts", _("Service posts"), "volunteering", "volunteering:post_export", perms.POST_MANAGE),
]
