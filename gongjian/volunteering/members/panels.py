"""Home-page panels of the members part (listed in ``members/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can

from .. import permissions as perms
from ..common import active_report_in, actor_member
from . import selectors
from .permissions import UNIT_PAGE


def member_panel(actor: Actor) -> dict[str, Any] | None:
    """A member: his report-in status and this year's pledge."""
    if not can(actor, perms.REPORT_IN_SELF):
        return None

    member = actor_member(actor, required=False)
    if member is None:
        return None
    active = active_report_in(member)
    pledge = selectors.my_pledge(member)
    return {
        "key": "volunteering.my_community",
        "title": _("My community"),
        "stats": [
            {"key": "report_in", "label": _("Report-in"),
             "value": f"{active.community.name} · {active.get_status_display()}" if active else _("Not reported in")},
            {"key": "pledge", "label": _("This year's pledge"), "value": pledge.get_status_display() if pledge else _("None yet")},
        ],
        "links": [{"label": _("My community"), "url": reverse("volunteering:my_community")}],
    }


def community_panel(actor: Actor) -> dict[str, Any] | None:
    """Community administrators (and above): member report-ins waiting for confirmation."""
    if not can(actor, perms.REPORT_IN_CONFIRM):
        return None

    return {
        "key": "volunteering.report_ins",
        "title": _("Member report-in"),
        "stats": [{"key": "pending", "label": _("Waiting for confirmation"), "value": selectors.report_in_pending(actor=actor).count()}],
        "links": [{"label": _("Report-ins to confirm"), "url": reverse("volunteering:report_in_list") + "?status=pending"},
                  {"label": _("Receipts"), "url": reverse("volunteering:receipt_list")}],
    }


def unit_panel(actor: Actor) -> dict[str, Any] | None:
    """A unit liaison: how many of his unit's in-service members reported in."""
    if not can(actor, UNIT_PAGE):
        return None

    units = selectors.my_units(actor=actor)
    if not units:
        return None
    counts = selectors.unit_counts(unit=units[0])
    return {
        "key": "volunteering.unit_members",
        "title": _("My unit's members reporting in"),
        "stats": [
            {"key": "members", "label": _("In-service members"), "value": counts["members"]},
            {"key": "confirmed", "label": _("Reported in (confirmed)"), "value": counts["confirmed"]},
            {"key": "pending", "label": _("Waiting for the community"), "value": counts["pending"]},
        ],
        "links": [{"label": _("My unit's members reporting in"), "url": reverse("volunteering:unit_members")},
                  {"label": _("Receipts"), "url": reverse("volunteering:receipt_list")}],
    }
