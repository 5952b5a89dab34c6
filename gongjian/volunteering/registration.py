"""The volunteering module in the core registry: each part's navigation, panels and exports, the figures."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import Module

from .activities import registration as activities
from .members import registration as members
from .reports.figures import FIGURES
from .roads import registration as roads

MODULE = Module(
    key="volunteering",
    name=_("Volunteering"),
    order=35,
    nav=[*members.NAV, *activities.NAV, *roads.NAV],
    figures=FIGURES,
    panels=[*members.PANELS, *activities.PANELS, *roads.PANELS],
    exports=[*members.EXPORTS, *activities.EXPORTS, *roads.EXPORTS],
)
