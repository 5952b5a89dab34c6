"""The partners part in the registry (unit report-in and partnerships): navigation, home panels, exports, the
partnership importer and its permission rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import DemoStep, ExportDef, ImporterDef, NavEntry, Part

from ..models import Partnership, PartnershipAgreement, UnitReportIn
from . import permissions as perms
from .demo import build_partners
from .importers import PartnershipImporter
from .panels import admin_panel, liaison_panel

MANIFEST = Part(
    key="cobuild.partners",
    nav=[
        NavEntry("cobuild.report_ins", _("Unit report-in"), "cobuild:partner_report_in_list", icon="building-community",
                 permission=perms.REPORT_IN_VIEW, order=60),
        NavEntry("cobuild.partnerships", _("Partnerships"), "cobuild:partner_list", icon="affiliate", permission=perms.PARTNERSHIP_VIEW,
                 order=61),
    ],
    panels=[admin_panel, liaison_panel],
    exports=[
        ExportDef("cobuild.report_ins", _("Unit report-ins"), "cobuild", "cobuild:partner_report_in_export", permission=perms.REPORT_IN_VIEW),
        ExportDef("cobuild.partnerships", _("Partnerships"), "cobuild", "cobuild:partner_export", permission=perms.PARTNERSHIP_VIEW),
    ],
    importers=[ImporterDef(kind=PartnershipImporter.kind, factory=PartnershipImporter, permission=perms.PARTNERSHIP_MANAGE,
                           back_url_name="cobuild:partner_list")],
    demo_steps=[DemoStep("cobuild.partners", 120, build_partners, models=(UnitReportIn, Partnership, PartnershipAgreement))],
    permissions=[perms.RULES],
)
