"""Home-page panels of the roads part (listed in ``roads/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can

from .. import permissions as perms
from ..choices import PATROL_REPORT_OPEN
from . import selectors


def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Administrators: open patrol reports of their area (路长制)."""
    if not can(actor, perms.PATROL_HANDLE):
        return None

    return {
        "key": "volunteering.roads",
        "title": _("Road chief system"),
        "stats": [{"key": "open_reports", "label": _("Open patrol reports"), "value": selectors.open_report_count(actor=actor)}],
        "links": [
            {"label": _("Patrol reports to handle"), "url": reverse("volunteering:road_reports") + "?status=open"},
            {"label": _("Road segments"), "url": reverse("volunteering:road_segments")},
        ],
    }


def chief_panel(actor: Actor) -> dict[str, Any] | None:
    """A road chief: his segments and open reports."""
    if not can(actor, perms.PATROL):
        return None

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
