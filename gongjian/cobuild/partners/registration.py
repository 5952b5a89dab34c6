"""Navigation entries and home panels of unit report-in and partnerships, collected by cobuild.registration."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import NavEntry

from . import permissions as perms

NAV: list[NavEntry] = [
    NavEntry("cobuild.report_ins", _("Unit report-in"), "cobuild:partner_report_in_list", icon="building-community",
             permission=perms.REPORT_IN_VIEW, order=60),
    NavEntry("cobuild.partnerships", _("Partnerships"), "cobuild:partner_list", icon="affiliate", permission=perms.PARTNERSHIP_VIEW, order=61),
]


def admin_panel(actor: Any) -> dict[str, Any] | None:
    """Community and higher administrators: report-ins awaiting confirmation, partnerships missing this year's agreement."""
    if not can(actor, perms.REPORT_IN_CONFIRM):
        return None
    from . import selectors

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


def liaison_panel(actor: Any) -> dict[str, Any] | None:
    """A unit liaison: his unit's report-ins by status."""
    if can(actor, perms.REPORT_IN_CONFIRM) or not can(actor, perms.REPORT_IN_CREATE):
        return None
    from ..choices import ReportInStatus
    from . import selectors

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


PANELS: list[Any] = [admin_panel, liaison_panel]
