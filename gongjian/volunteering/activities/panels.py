"""Home-page panels of the activities part (listed in ``activities/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can

from .. import permissions as perms
from ..choices import ActivityStatus, HoldingStatus
from . import selectors


def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Administrators: applications and hours waiting for them, activities open for sign-up."""
    if not can(actor, perms.HOURS_CONFIRM):
        return None

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


def member_panel(actor: Actor) -> dict[str, Any] | None:
    """A member: his coming sign-ups and confirmed hours."""
    if not can(actor, perms.SIGNUP):
        return None

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
