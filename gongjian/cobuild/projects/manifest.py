"""The projects part in the registry: its navigation, home panels, export and permission rows (the project's own
actions — view, manage, run, rate — and its progress)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, NavEntry, Part

from .. import permissions as cperms
from .panels import admin_panel, liaison_panel
from .permissions import PROJECT_VIEW, RULES

MANIFEST = Part(
    key="cobuild.projects",
    nav=[NavEntry("cobuild.projects", _("Projects"), "cobuild:project_list", icon="briefcase", permission=PROJECT_VIEW, order=25)],
    panels=[admin_panel, liaison_panel],
    exports=[ExportDef("cobuild.projects", _("Projects"), "cobuild", "cobuild:project_export", permission=PROJECT_VIEW)],
    permissions=[cperms.PROJECT_RULES, RULES],
)
