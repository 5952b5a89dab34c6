"""The members part in the registry: its navigation, home panels, exports and permission rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, NavEntry, Part

from .. import permissions as perms
from .panels import community_panel, member_panel, unit_panel
from .permissions import RULES, UNIT_PAGE

NAV: list[NavEntry] = [
    NavEntry("volunteering.my_community", _("My community"), "volunteering:my_community", icon="home-heart",
             permission=perms.REPORT_IN_SELF, order=70),
    NavEntry("volunteering.report_ins", _("Member report-in"), "volunteering:report_in_list", icon="user-check",
             permission=perms.REPORT_IN_CONFIRM, order=71),
    NavEntry("volunteering.unit_members", _("My unit's members reporting in"), "volunteering:unit_members", icon="building",
             permission=UNIT_PAGE, order=71),
    NavEntry("volunteering.receipts", _("Receipts"), "volunteering:receipt_list", icon="file-certificate",
             permission=perms.RECEIPT_ISSUE, order=72),
    NavEntry("volunteering.pledges", _("Pledges"), "volunteering:pledge_list", icon="flag", permission=perms.PLEDGE_ASSESS, order=73),
]
EXPORTS: list[ExportDef] = [
    ExportDef("volunteering.report_ins", _("Member report-ins"), "volunteering", "volunteering:report_in_export", permission=perms.REPORT_IN_VIEW),
    ExportDef("volunteering.unit_members", _("My unit's members reporting in"), "volunteering", "volunteering:unit_members_export",
              permission=UNIT_PAGE),
]

MANIFEST = Part(key="volunteering.members", nav=NAV, panels=[member_panel, community_panel, unit_panel], exports=EXPORTS,
                permissions=[perms.MEMBERS_RULES, RULES])
