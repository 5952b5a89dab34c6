"""Home-page panels of the members part (listed in ``members/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel

from .. import permissions as perms
from ..common import active_report_in, actor_member
from . import selectors
from .permissions import UNIT_PAGE


def member_panel(actor: Actor) -> dict[str, Any] | None:
    """A member: his report-in status and this year's pledge."""
    member = actor_member(actor, required=False) if can(actor, perms.REPORT_IN_SELF) else None
    if member is None:
        return None
    active = active_report_in(member)
    pledge = selectors.my_pledge(member)
    return panel("volunteering.my_community", _("My community"), [
        ("report_in", _("Report-in"), f"{active.community.name} · {active.get_status_display()}" if active else _("Not reported in")),
        ("pledge", _("This year's pledge"), pledge.get_status_display() if pledge else _("None yet")),
    ], [(_("My community"), reverse("volunteering:my_community"))])


@area_panel
def community_panel(actor: Actor) -> dict[str, Any] | None:
    """Community administrators (and above): member report-ins waiting for confirmation."""
    if not can(actor, perms.REPORT_IN_CONFIRM):
        return None
    return panel("volunteering.report_ins", _("Member report-in"),
                 [("pending", _("Waiting for confirmation"), selectors.report_in_pending(actor=actor).count())],
                 [(_("Report-ins to confirm"), reverse("volunteering:report_in_list") + "?status=pending"),
                  (_("Receipts"), reverse("volunteering:receipt_list"))])


def unit_panel(actor: Actor) -> dict[str, Any] | None:
    """A unit liaison: how many of his unit's in-service members reported in."""
    units = selectors.my_units(actor=actor) if can(actor, UNIT_PAGE) else None
    if not units:
        return None
    counts = selectors.unit_counts(unit=units[0])
    return panel("volunteering.unit_members", _("My unit's members reporting in"), [
        ("members", _("In-service members"), counts["members"]), ("confirmed", _("Reported in (confirmed)"), counts["confirmed"]),
        ("pending", _("Waiting for the community"), counts["pending"]),
    ], [(_("My unit's members reporting in"), reverse("volunteering:unit_members")), (_("Receipts"), reverse("volunteering:receipt_list"))])
