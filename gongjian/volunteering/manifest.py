"""The volunteering module in the registry: its parts (members, activities, roads), the figures, the demo step, its
pages under /volunteering/ and its API under /api/v1/volunteering/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import DemoStep, Module

from .activities import manifest as activities
from .demo import MODELS, build_volunteering
from .figures import FIGURES
from .members import manifest as members
from .roads import manifest as roads

MANIFEST = Module(
    key="volunteering",
    name=_("Volunteering"),
    order=35,
    figures=FIGURES,
    # after the matters step: it links patrol reports to the road chiefs' matters
    demo_steps=[DemoStep("volunteering", 160, build_volunteering, models=tuple(MODELS))],
    urls="gongjian.volunteering.urls",
    url_prefix="volunteering/",
    api="gongjian.volunteering.api:router",
    api_prefix="/volunteering",
    parts=[members.MANIFEST, activities.MANIFEST, roads.MANIFEST],
)
