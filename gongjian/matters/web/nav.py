"""Navigation entries and home panels of matters (collected by ``matters.registration``).

* administrators of every level: 我的待办 (the work queue) and 民生事项 (the list);
* department handlers: 部门承办 (their department's assignments);
* residents and party members (road chiefs): 反映问题 (staff report from their queue and list).

Each panel shows what waits and what is overdue, from the same selectors as the pages.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import NavEntry

from .. import permissions as perms
from .permissions import PHONE_REPORT_NAV

NAV: list[NavEntry] = [
    NavEntry("matters.queue", _("My work queue"), "matters:queue", icon="inbox", permission=perms.ASSIGN, order=10),
    NavEntry("matters.list", _("Matters"), "matters:list", icon="list-details", permission=perms.ASSIGN, order=20),
    NavEntry("matters.departments", _("Department queue"), "matters:dept_queue", icon="building", permission=perms.HANDLE, order=30),
    NavEntry("matters.report", _("Report a problem"), "matters:report", icon="message-report", permission=PHONE_REPORT_NAV, order=40),
]


def admin_panel(actor: Any) -> dict[str, Any] | None:
    """An administrator's levels: matters to accept, to decide, results to resolve, callbacks due, and overdue ones."""
    from .. import selectors

    if not can(actor, perms.ASSIGN) or not selectors.acting_paths(actor, perms.ASSIGN):
        return None
    q = selectors.work_queue(actor=actor)
    url = reverse("matters:queue")
    waiting = sum(q[k].count() for k in ("to_accept", "to_decide", "to_resolve", "to_callback") if k in q)
    overdue = q["overdue"].count() if "overdue" in q else 0
    return {
        "key": "matters.queue",
        "title": _("Matters waiting for me"),
        "stats": [
            {"key": "waiting", "label": _("Waiting for me"), "value": waiting},
            {"key": "overdue", "label": _("Overdue"), "value": overdue},
            {"key": "to_accept", "label": _("To accept"), "value": q["to_accept"].count() if "to_accept" in q else 0},
            {"key": "assigned", "label": _("With departments"), "value": q["assigned"].count() if "assigned" in q else 0},
        ],
        "links": [
            {"label": _("My work queue"), "url": url},
            {"label": _("Overdue"), "url": f"{url}?tab=overdue"},
            {"label": _("Matters"), "url": reverse("matters:list")},
        ],
    }


def department_panel(actor: Any) -> dict[str, Any] | None:
    """A department handler: new assignments, those in progress and the overdue ones."""
    from .. import selectors

    if not can(actor, perms.HANDLE) or not selectors.actor_departments(actor):
        return None
    q = selectors.department_queue(actor=actor)
    url = reverse("matters:dept_queue")
    return {
        "key": "matters.department",
        "title": _("My department's assignments"),
        "stats": [
            {"key": "new", "label": _("New"), "value": q["to_accept"].count()},
            {"key": "in_progress", "label": _("Being handled"), "value": q["in_progress"].count()},
            {"key": "overdue", "label": _("Overdue"), "value": q["overdue"].count()},
            {"key": "followed_up", "label": _("Followed up"), "value": q["followed_up"].count()},
        ],
        "links": [
            {"label": _("My department's assignments"), "url": url},
            {"label": _("Overdue"), "url": f"{url}?tab=overdue"},
        ],
    }


def reporter_panel(actor: Any) -> dict[str, Any] | None:
    """Residents and party members (road chiefs): report a problem and follow their own reports."""
    from .. import selectors

    if not can(actor, perms.REPORT) or selectors.acting_paths(actor, perms.REPORT):
        return None
    mine = selectors.matter_list(actor=actor, filters={"mine": "1"})
    return {
        "key": "matters.mine",
        "title": _("Report a problem"),
        "stats": [
            {"key": "open", "label": _("My reports in progress"), "value": mine.filter(status__in=selectors.MATTER_OPEN).count()},
            {"key": "total", "label": _("My reports"), "value": mine.count()},
        ],
        "links": [{"label": _("Report a problem"), "url": reverse("matters:report")}],
    }


PANELS: list[Any] = [admin_panel, department_panel, reporter_panel]
