"""Navigation entries, home panels and exports of the road chiefs part (collected by ``volunteering.registration``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import ExportDef, NavEntry

from .. import permissions as perms

NAV: list[NavEntry] = [
    NavEntry("volunteering.my_patrols", _("My patrols"), "volunteering:my_patrols", icon="road", permission=perms.PATROL, order=38),
    NavEntry("volunteering.roads", _("Road chief system"), "volunteering:road_segments", icon="road", permission=perms.ROAD_MANAGE, order=38),
]


def admin_panel(actor: Any) -> dict[str, Any] | None:
    """Administrators: open patrol reports of their area (路长制)."""
    if not can(actor, perms.PATROL_HANDLE):
        return None
    from . import selectors

    return {
        "key": "volunteering.roads",
        "title": _("Road chief system"),
        "stats": [{"key": "open_reports", "label": _("Open patrol reports"), "value": selectors.open_report_count(actor=actor)}],
        "links": [
            {"label": _("Patrol reports to handle"), "url": reverse("volunteering:road_reports") + "?status=open"},
            {"label": _("Road segments"), "url": reverse("volunteering:road_segments")},
        ],
    }


def chief_panel(actor: Any) -> dict[str, Any] | None:
    """A road chief: his segments and open reports."""
    if not can(actor, perms.PATROL):
        return None
    from ..choices import PATROL_REPORT_OPEN
    from . import selectors

    segments = selectors.my_segments(actor=actor)
    if not segments:
        return None
    return {
        "key": "volunteering.my_patrols",
        "title": _("My patrols"),
        "stats": [
            {"key": "segments", "label": _("My road segments"), "value": len(segments)},
            {"key": "open", "label": _("My open reports"),
             "value": selectors.report_list(actor=actor).filter(status__in=PATROL_REPORT_OPEN).count()},
        ],
        "links": [{"label": _("Log a patrol"), "url": reverse("volunteering:my_patrols")}],
    }


PANELS: list[Any] = [admin_panel, chief_panel]
EXPORTS: list[ExportDef] = [
    ExportDef("volunteering.road_segments", _("Road segments"), "volunteering", "volunteering:road_segment_export", perms.ROAD_MANAGE),
    ExportDef("volunteering.patrols", _("Patrols"), "volunteering", "volunteering:road_patrol_export", perms.ROAD_MANAGE),
    ExportDef("volunteering.patrol_reports", _("Patrol reports"), "volunteering", "volunteering:road_report_export", perms.PATROL_HANDLE),
]
