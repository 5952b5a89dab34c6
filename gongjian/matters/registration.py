"""The matters module in the core registry: navigation and panels (nav.py), figures (figures.py), periodic tasks (tasks.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, Module

from . import permissions as perms
from .reports.figures import FIGURES
from .tasks import PERIODIC
from .web.nav import NAV, PANELS

MODULE = Module(key="matters", name=_("Matters"), order=40, nav=NAV, figures=FIGURES, panels=PANELS, periodic=PERIODIC,
                exports=[ExportDef("matters.matters", _("Matters"), "matters", "matters:export", permission=perms.VIEW)])
