"""The matters module in the core registry: navigation, home panels, figures, exports, demo steps, periodic tasks,
permission rules, its pages and its API; the 12345 hotline import is its part ``hotline``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import DemoStep, ExportDef, Module, NavEntry

from . import permissions as perms
from .demo import build_matters
from .figures import FIGURES
from .hotline import manifest as hotline
from .models import Assignment, FollowUp, Matter, MatterAttachment, MatterEvent
from .panels import PANELS
from .tasks import PERIODIC

# administrators of every level: 我的待办 (the work queue) and 民生事项 (the list); department handlers: 部门承办 (their
# department's assignments); residents and party members (road chiefs): 反映问题 (staff report from their queue and list)
NAV = [
    NavEntry("matters.queue", _("My work queue"), "matters:queue", icon="inbox", permission=perms.ASSIGN, order=10),
    NavEntry("matters.list", _("Matters"), "matters:list", icon="list-details", permission=perms.ASSIGN, order=20),
    NavEntry("matters.departments", _("Department queue"), "matters:dept_queue", icon="building", permission=perms.HANDLE, order=30),
    NavEntry("matters.report", _("Report a problem"), "matters:report", icon="message-report", permission=perms.PHONE_REPORT_NAV,
             order=40),
]

MANIFEST = Module(
    key="matters",
    name=_("Matters"),
    order=40,
    nav=NAV,
    panels=list(PANELS),
    figures=FIGURES,
    exports=[ExportDef("matters.matters", _("Matters"), "matters", "matters:export", permission=perms.VIEW)],
    demo_steps=[DemoStep("matters", 140, build_matters, models=(Matter, MatterEvent, MatterAttachment, Assignment, FollowUp))],
    periodic=PERIODIC,
    permissions=[perms.RULES],
    urls="gongjian.matters.urls",
    url_prefix="matters/",
    api="gongjian.matters.api:router",
    api_prefix="/matters",
    parts=[hotline.MANIFEST],
)
