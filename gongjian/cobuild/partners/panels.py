"""Home-page panels of unit report-in and partnerships: the administrators' and the unit liaison's."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel

from ..choices import ReportInStatus
from . import permissions as perms
from . import selectors


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Community and higher administrators: report-ins awaiting confirmation, partnerships missing this year's agreement."""
    if not can(actor, perms.REPORT_IN_CONFIRM):
        return None
    year = selectors.this_year()
    communities = list(selectors.reach_communities(actor=actor)[:2])
    links = []
    if len(communities) == 1:
        links.append((_("My community's report-ins and partnerships"), reverse("cobuild:partner_community", args=[communities[0].pk])))
    links += [(_("Report-ins to confirm"), reverse("cobuild:partner_report_in_list") + "?status=pending"),
              (_("Partnerships without this year's agreement"), reverse("cobuild:partner_list") + "?missing=1")]
    return panel("cobuild.partners", _("Unit report-in and partnerships"), [
        ("report_ins_pending", _("Report-ins awaiting confirmation"), selectors.report_in_pending(actor=actor).count()),
        ("agreements_missing", _("Partnerships without a signed agreement for %(year)s") % {"year": year},
         selectors.partnerships_missing_agreement(actor=actor, year=year).count()),
    ], links)


def liaison_panel(actor: Actor) -> dict[str, Any] | None:
    """A unit liaison: his unit's report-ins by status."""
    if can(actor, perms.REPORT_IN_CONFIRM) or not can(actor, perms.REPORT_IN_CREATE):
        return None
    units = selectors.my_units(actor=actor)
    if not units:
        return None
    mine = selectors.report_in_list(actor=actor)
    return panel("cobuild.my_report_ins", _("My unit's report-ins"), [
        ("pending", _("Awaiting confirmation"), mine.filter(status=ReportInStatus.PENDING).count()),
        ("confirmed", _("Confirmed"), mine.filter(status=ReportInStatus.CONFIRMED).count()),
    ], [(_("Report in to a community"), reverse("cobuild:partner_report_in_create")),
        (_("Report-ins and partnerships"), reverse("cobuild:partner_mine"))])
