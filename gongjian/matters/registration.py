"""The matters module in the core registry: navigation and panels (nav.py), figures (figures.py), periodic tasks (tasks.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import Module

from .figures import FIGURES
from .nav import NAV, PANELS
from .tasks import PERIODIC

MODULE = Module(key="matters", name=_("Matters"), order=40, nav=NAV, figures=FIGURES, panels=PANELS, periodic=PERIODIC)
