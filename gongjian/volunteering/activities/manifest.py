"""The activities part in the registry: its navigation, home panels, exports and permission rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, NavEntry, Part

from .. import permissions as perms
from .panels import admin_panel, member_panel

NAV: list[NavEntry] = [
    NavEntry("volunteering.activities", _("Volunteer activities"), "volunteering:activities", icon="heart-handshake",
             permission=perms.ACTIVITY_VIEW, order=40),
    NavEntry("volunteering.my_hours", _("My hours"), "volunteering:my_hours", icon="clock-hour-4", permission=perms.SIGNUP, order=41),
    NavEntry("volunteering.posts", _("Service posts"), "volunteering:post_list", icon="id-badge", permission=perms.POST_MANAGE, order=42),
    NavEntry("volunteering.hours", _("Hours to confirm"), "volunteering:hour_list", icon="clock-check", permission=perms.HOURS_CONFIRM, order=43),
]
EXPORTS: list[ExportDef] = [
    ExportDef("volunteering-activities", _("Volunteer activities"), "volunteering", "volunteering:activity_export", perms.ACTIVITY_MANAGE),
    ExportDef("volunteering-hours", _("Service hours"), "volunteering", "volunteering:hour_export", perms.HOURS_CONFIRM),
    ExportDef("volunteering-posts", _("Service posts"), "volunteering", "volunteering:post_export", perms.POST_MANAGE),
]

MANIFEST = Part(key="volunteering.activities", nav=NAV, panels=[admin_panel, member_panel], exports=EXPORTS, permissions=[perms.ACTIVITIES_RULES])
