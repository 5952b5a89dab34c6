"""Home-page panels of the activities part (listed in ``activities/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel

from .. import permissions as perms
from ..choices import ActivityStatus, HoldingStatus
from . import selectors


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Administrators: applications and hours waiting for them, activities open for sign-up."""
    if not can(actor, perms.HOURS_CONFIRM):
        return None
    return panel("volunteering.activities", _("Volunteer activities"), [
        ("hours_pending", _("Hours to confirm"), selectors.hours_pending_count(actor=actor)),
        ("applications", _("Post applications to decide"), selectors.holding_list(actor=actor, status=HoldingStatus.APPLIED).count()),
        ("published", _("Activities open for sign-up"),
         selectors.activity_list(actor=actor, filters={"status": ActivityStatus.PUBLISHED}).count()),
    ], [(_("Hours to confirm"), reverse("volunteering:hour_list")), (_("Service posts"), reverse("volunteering:post_list")),
        (_("Volunteer activities"), reverse("volunteering:activities"))])


def member_panel(actor: Actor) -> dict[str, Any] | None:
    """A member: his coming sign-ups and confirmed hours."""
    if not can(actor, perms.SIGNUP) or selectors.my_community(actor) is None:
        return None
    hours = selectors.my_hours(actor=actor)
    return panel("volunteering.my_activities", _("Volunteering"), [
        ("coming", _("Coming sign-ups"), selectors.my_signups(actor=actor).count()),
        ("hours", _("Confirmed hours"), hours["confirmed_hours"]), ("points", _("Points"), hours["points"]),
    ], [(_("Volunteer activities"), reverse("volunteering:activities")), (_("My hours"), reverse("volunteering:my_hours"))])
