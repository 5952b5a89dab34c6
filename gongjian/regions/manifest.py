"""The regions module's manifest: navigation, figures, the home panel, the export, the importer, permissions, URLs, API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, ImporterDef, Module, NavEntry

from . import permissions as P
from .figures import FIGURES
from .importer import RegionImporter
from .panels import home_panel

MANIFEST = Module(
    key="regions",
    name=_("Regions"),
    order=10,
    nav=[
        NavEntry("regions", _("Region tree"), "regions:tree", icon="sitemap", permission=P.VIEW, order=10),
        NavEntry("departments", _("Departments"), "regions:department_list", icon="building", permission=P.VIEW, order=20),
        NavEntry("structure", _("Subdistrict structure"), "regions:structure_list", icon="layout", permission=P.VIEW, order=30),
    ],
    figures=FIGURES,
    panels=[home_panel],
    exports=[ExportDef("regions.tree", _("Region tree"), "regions", "regions:export", permission=P.VIEW)],
    importers=[ImporterDef(kind="regions", factory=RegionImporter, permission=P.IMPORT, back_url_name="regions:tree")],
    permissions=[P.RULES],
    urls="gongjian.regions.urls",
    url_prefix="regions/",
    api="gongjian.regions.api:router",
    api_prefix="/regions",
)
