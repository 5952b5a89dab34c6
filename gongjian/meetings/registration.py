"""The meetings module in the core registry: navigation and panels (nav.py), figures (figures.py), periodic tasks (tasks.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import Module

from .nav import NAV, PANELS
from .reports.figures import FIGURES
from .tasks import PERIODIC

MODULE = Module(key="meetings", name=_("Meetings"), order=45, nav=NAV, figures=FIGURES, panels=PANELS, periodic=PERIODIC)
