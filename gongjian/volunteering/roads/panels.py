"""Home-page panels of the roads part (listed in ``roads/manifest.py``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel

from .. import permissions as perms
from ..choices import PATROL_REPORT_OPEN
from . import selectors


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Administrators: open patrol reports of their area (路长制)."""
    if not can(actor, perms.PATROL_HANDLE):
        return None
    return panel("volunteering.roads", _("Road chief system"), [("open_reports", _("Open patrol reports"), selectors.open_report_count(actor=actor))],
                 [(_("Patrol reports to handle"), reverse("volunteering:road_reports") + "?status=open"),
                  (_("Road segments"), reverse("volunteering:road_segments"))])


def chief_panel(actor: Actor) -> dict[str, Any] | None:
    """A road chief: his segments and open reports."""
    segments = selectors.my_segments(actor=actor) if can(actor, perms.PATROL) else None
    if not segments:
        return None
    return panel("volunteering.my_patrols", _("My patrols"), [
        ("segments", _("My road segments"), len(segments)),
        ("open", _("My open reports"), selectors.report_list(actor=actor).filter(status__in=PATROL_REPORT_OPEN).count()),
    ], [(_("Log a patrol"), reverse("volunteering:my_patrols"))])
