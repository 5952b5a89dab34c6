"""The core's manifest: the figures page and the audit log. Core imports no app, so its rules name roles by value."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .permissions import Reach
from .registry import Module, NavEntry

AUDIT_VIEW = "core.audit_view"
FIGURES_VIEW = "core.figures_view"

RULES = {
    AUDIT_VIEW: {"city_admin": Reach.SCOPE, "district_admin": Reach.SCOPE, "subdistrict_admin": Reach.SCOPE},
    # every administrator reads the registered figures of the regions in his scope
    FIGURES_VIEW: {"city_admin": Reach.SCOPE, "district_admin": Reach.SCOPE, "subdistrict_admin": Reach.SCOPE,
                   "community_admin": Reach.SCOPE},
}

MANIFEST = Module(
    key="core",
    name=_("Figures and audit"),
    order=800,
    nav=[
        NavEntry(key="figures", label=_("Figures"), url_name="core:figures", icon="chart-bar", permission=FIGURES_VIEW, order=10),
        NavEntry(key="audit", label=_("Audit log"), url_name="core:audit_list", icon="shield-check", permission=AUDIT_VIEW, order=20),
    ],
    permissions=[RULES],
    urls="gongjian.core.urls",
    url_prefix="",
)
