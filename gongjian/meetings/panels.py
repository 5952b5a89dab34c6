"""Home-page panels of the meetings module (listed in ``manifest``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel

from . import selectors as sel
from .choices import MeetingKind, MeetingStatus, TaskStatus
from .permissions import MEETING_MANAGE, TASK_WORK


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Administrators: meetings planned this quarter, own levels not met yet this quarter, decisions overdue."""
    if not can(actor, MEETING_MANAGE):
        return None
    year, quarter = sel.current_quarter()
    planned = sel.meeting_base(actor).filter(year=year, quarter=quarter, status=MeetingStatus.PLANNED).count()
    not_met = sel.my_level_not_met(actor)
    overdue = sel.overdue_decisions(actor=actor).count()
    lst = reverse("meetings:meeting_list")
    links = [{"label": _("Planned this quarter"), "url": f"{lst}?year={year}&quarter={quarter}&status={MeetingStatus.PLANNED}"},
             {"label": _("Quarterly calendar"), "url": reverse("meetings:calendar")}]
    if not_met and sel.managed_paths(actor):
        links.insert(0, {"label": _("Plan a meeting"), "url": f"{reverse('meetings:meeting_create')}?kind={MeetingKind.COORDINATION}"})
    return {
        "key": "meetings.quarter",
        "title": _("Coordination meetings this quarter"),
        "stats": [
            {"key": "planned", "label": _("Planned this quarter"), "value": planned},
            {"key": "not_met", "label": _("My level not met yet"), "value": len(not_met)},
            {"key": "overdue_decisions", "label": _("Decisions overdue"), "value": overdue},
        ],
        "links": links,
    }


def handler_panel(actor: Actor) -> dict[str, Any] | None:
    """Department handlers: their open and overdue decision tasks."""
    if not can(actor, TASK_WORK):
        return None
    qs = sel.task_list(actor=actor, filters={"status": TaskStatus.ASSIGNED})
    now = timezone.now()
    url = reverse("meetings:task_list")
    return {
        "key": "meetings.tasks",
        "title": _("Decision tasks"),
        "stats": [
            {"key": "open", "label": _("Open tasks"), "value": qs.count()},
            {"key": "overdue", "label": _("Overdue"), "value": qs.filter(deadline__lt=now).count()},
        ],
        "links": [{"label": _("Decision tasks"), "url": url}, {"label": _("Overdue"), "url": f"{url}?overdue=1&status=assigned"}],
    }

