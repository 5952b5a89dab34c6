"""The meetings module in the core registry: navigation and panels (nav.py), figures (figures.py), periodic tasks (tasks.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, Module

from . import permissions as perms
from .nav import NAV, PANELS
from .reports.figures import FIGURES
from .tasks import PERIODIC

MODULE = Module(key="meetings", name=_("Meetings"), order=45, nav=NAV, figures=FIGURES, panels=PANELS, periodic=PERIODIC,
                exports=[ExportDef("meetings.meetings", _("Meetings"), "meetings", "meetings:meeting_export",
                                   permission=perms.MEETING_VIEW)])
