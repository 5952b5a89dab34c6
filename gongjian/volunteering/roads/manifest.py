"""The roads part in the registry: its navigation, home panels, exports and permission rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, NavEntry, Part

from .. import permissions as perms
from .panels import admin_panel, chief_panel

NAV: list[NavEntry] = [
    NavEntry("volunteering.my_patrols", _("My patrols"), "volunteering:my_patrols", icon="road", permission=perms.PATROL, order=38),
    NavEntry("volunteering.roads", _("Road chief system"), "volunteering:road_segments", icon="road", permission=perms.ROAD_MANAGE, order=38),
]
EXPORTS: list[ExportDef] = [
    ExportDef("volunteering.road_segments", _("Road segments"), "volunteering", "volunteering:road_segment_export", perms.ROAD_MANAGE),
    ExportDef("volunteering.patrols", _("Patrols"), "volunteering", "volunteering:road_patrol_export", perms.ROAD_MANAGE),
    ExportDef("volunteering.patrol_reports", _("Patrol reports"), "volunteering", "volunteering:road_report_export", perms.PATROL_HANDLE),
]

MANIFEST = Part(key="volunteering.roads", nav=NAV, panels=[admin_panel, chief_panel], exports=EXPORTS, permissions=[perms.ROADS_RULES])
