"""Home-page panels of unit report-in and partnerships: the administrators' and the unit liaison's."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can

from ..choices import ReportInStatus
from . import permissions as perms
from . import selectors


def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Community and higher administrators: report-ins awaiting confirmation, partnerships missing this year's agreement."""
    if not can(actor, perms.REPORT_IN_CONFIRM):
        return None
    year = selectors.this_year()
    communities = list(selectors.reach_communities(actor=actor)[:2])
    links = []
    if len(communities) == 1:
        links.append({"label": _("My community's report-ins and partnerships"),
                      "url": reverse("cobuild:partner_community", args=[communities[0].pk])})
    links += [
        {"label": _("Report-ins to confirm"), "url": reverse("cobuild:partner_report_in_list") + "?status=pending"},
        {"label": _("Partnerships without this year's agreement"), "url": reverse("cobuild:partner_list") + "?missing=1"},
    ]
    return {
        "key": "cobuild.partners",
        "title": _("Unit report-in and partnerships"),
        "stats": [
            {"key": "report_ins_pending", "label": _("Report-ins awaiting confirmation"),
             "value": selectors.report_in_pending(actor=actor).count()},
            {"key": "agreements_missing", "label": _("Partnerships without a signed agreement for %(year)s") % {"year": year},
             "value": selectors.partnerships_missing_agreement(actor=actor, year=year).count()},
        ],
        "links": links,
    }


def liaison_panel(actor: Actor) -> dict[str, Any] | None:
    """A unit liaison: his unit's report-ins by status."""
    if can(actor, perms.REPORT_IN_CONFIRM) or not can(actor, perms.REPORT_IN_CREATE):
        return None
    units = selectors.my_units(actor=actor)
    if not units:
        return None
    mine = selectors.report_in_list(actor=actor)
    return {
        "key": "cobuild.my_report_ins",
        "title": _("My unit's report-ins"),
        "stats": [
            {"key": "pending", "label": _("Awaiting confirmation"), "value": mine.filter(status=ReportInStatus.PENDING).count()},
            {"key": "confirmed", "label": _("Confirmed"), "value": mine.filter(status=ReportInStatus.CONFIRMED).count()},
        ],
        "links": [
            {"label": _("Report in to a community"), "url": reverse("cobuild:partner_report_in_create")},
            {"label": _("Report-ins and partnerships"), "url": reverse("cobuild:partner_mine")},
        ],
    }

