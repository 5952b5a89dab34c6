"""The meetings module in the registry: navigation, home panels, figures, the export, the demo step, periodic tasks,
permission rules, pages and API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import DemoStep, ExportDef, Module, NavEntry

from . import demo, figures, panels
from . import permissions as perms
from .tasks import PERIODIC

MANIFEST = Module(
    key="meetings",
    name=_("Meetings"),
    order=45,
    nav=[
        NavEntry("meetings.meetings", _("Coordination meetings"), "meetings:meeting_list", icon="users-group",
                 permission=perms.MEETING_VIEW, order=10),
        NavEntry("meetings.calendar", _("Quarterly calendar"), "meetings:calendar", icon="calendar", permission=perms.CALENDAR_VIEW,
                 order=20),
        NavEntry("meetings.experiences", _("Exchange of experience"), "meetings:experience_list", icon="bulb",
                 permission=perms.EXPERIENCE_VIEW, order=30),
        NavEntry("meetings.tasks", _("Decision tasks"), "meetings:task_list", icon="checklist", permission=perms.TASK_WORK, order=40),
    ],
    panels=[panels.admin_panel, panels.handler_panel],
    figures=figures.FIGURES,
    exports=[ExportDef("meetings.meetings", _("Meetings"), "meetings", "meetings:meeting_export", permission=perms.MEETING_VIEW)],
    demo_steps=[DemoStep("meetings", 150, demo.build_meetings, models=demo.MODELS)],
    periodic=PERIODIC,
    permissions=[perms.RULES],
    urls="gongjian.meetings.urls",
    url_prefix="meetings/",
    api="gongjian.meetings.api:router",
    api_prefix="/meetings",
)
