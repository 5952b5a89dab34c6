"""The co-building module in the registry: needs, resources and categories (navigation, panels, figures, exports,
importers, the demo steps, permission rules), its parts (projects, suggestions, partners), its pages under /cobuild/
and its API under /api/v1/cobuild/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import DemoStep, ExportDef, ImporterDef, Module, NavEntry

from . import permissions as perms
from .demo import build_cobuild
from .figures import FIGURES
from .importers import NeedImporter, ResourceImporter
from .models import (
    MatchDecision,
    Need,
    Project,
    ProjectMilestone,
    ProjectNeed,
    ProjectNote,
    ProjectPhoto,
    ProjectResource,
    Resource,
)
from .panels import admin_panel, resident_panel
from .partners import manifest as partners
from .projects import manifest as projects
from .suggestions import manifest as suggestions

MANIFEST = Module(
    key="cobuild",
    name=_("Co-building"),
    order=30,
    nav=[
        NavEntry("cobuild.needs", _("Needs"), "cobuild:need_list", icon="list-check", permission=perms.NEED_LIST, order=10),
        NavEntry("cobuild.resources", _("Resources"), "cobuild:resource_list", icon="package", permission=perms.RESOURCE_VIEW, order=20),
        NavEntry("cobuild.categories", _("Categories"), "cobuild:category_list", icon="tags", permission=perms.CATEGORY_MANAGE, order=30),
        NavEntry("cobuild.wish", _("My micro-wishes"), "cobuild:wish_create", icon="heart", permission=perms.WISH_SUBMIT, order=40),
    ],
    figures=FIGURES,
    exports=[
        ExportDef("cobuild.needs", _("Needs"), "cobuild", "cobuild:need_export", permission=perms.NEED_LIST),
        ExportDef("cobuild.resources", _("Resources"), "cobuild", "cobuild:resource_export", permission=perms.RESOURCE_VIEW),
    ],
    panels=[admin_panel, resident_panel],
    importers=[
        ImporterDef(kind=NeedImporter.kind, factory=NeedImporter, permission=perms.NEED_MANAGE, back_url_name="cobuild:need_list"),
        ImporterDef(kind=ResourceImporter.kind, factory=ResourceImporter, permission=perms.RESOURCE_MANAGE,
                    back_url_name="cobuild:resource_list"),
    ],
    demo_steps=[
        DemoStep("cobuild", 110, build_cobuild, models=(
            Need, Resource, Resource.service_regions.through, Project, ProjectNeed, ProjectResource, ProjectMilestone, ProjectNote,
            ProjectPhoto, MatchDecision,
        )),
    ],
    permissions=[perms.RULES],
    urls="gongjian.cobuild.urls",
    url_prefix="cobuild/",
    api="gongjian.cobuild.api:router",
    api_prefix="/cobuild",
    parts=[projects.MANIFEST, suggestions.MANIFEST, partners.MANIFEST],
)
