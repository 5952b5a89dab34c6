"""Home panels of matters (listed in the manifest): what waits and what is overdue, from the same selectors as the pages.

* administrators of every level: the matters waiting at their levels;
* department handlers: their department's assignments;
* residents and party members (road chiefs): report a problem and follow their own reports.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel

from . import permissions as perms
from . import selectors


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """An administrator's levels: matters to accept, to decide, results to resolve, callbacks due, and overdue ones."""
    if not can(actor, perms.ASSIGN) or not selectors.acting_paths(actor, perms.ASSIGN):
        return None
    q = selectors.work_queue_counts(actor=actor)
    url = reverse("matters:queue")
    waiting = sum(q.get(k, 0) for k in ("to_accept", "to_decide", "to_resolve", "to_callback"))
    overdue = q.get("overdue", 0)
    return {
        "key": "matters.queue",
        "title": _("Matters waiting for me"),
        "stats": [
            {"key": "waiting", "label": _("Waiting for me"), "value": waiting},
            {"key": "overdue", "label": _("Overdue"), "value": overdue},
            {"key": "to_accept", "label": _("To accept"), "value": q.get("to_accept", 0)},
            {"key": "assigned", "label": _("With departments"), "value": q.get("assigned", 0)},
        ],
        "links": [
            {"label": _("My work queue"), "url": url},
            {"label": _("Overdue"), "url": f"{url}?tab=overdue"},
            {"label": _("Matters"), "url": reverse("matters:list")},
        ],
    }


@area_panel
def department_panel(actor: Actor) -> dict[str, Any] | None:
    """A department handler: new assignments, those in progress and the overdue ones."""
    if not can(actor, perms.HANDLE) or not selectors.actor_departments(actor):
        return None
    q = selectors.department_queue_counts(actor=actor)  # one query for the four
    url = reverse("matters:dept_queue")
    return {
        "key": "matters.department",
        "title": _("My department's assignments"),
        "stats": [
            {"key": "new", "label": _("New"), "value": q["to_accept"]},
            {"key": "in_progress", "label": _("Being handled"), "value": q["in_progress"]},
            {"key": "overdue", "label": _("Overdue"), "value": q["overdue"]},
            {"key": "followed_up", "label": _("Followed up"), "value": q["followed_up"]},
        ],
        "links": [
            {"label": _("My department's assignments"), "url": url},
            {"label": _("Overdue"), "url": f"{url}?tab=overdue"},
        ],
    }


def reporter_panel(actor: Actor) -> dict[str, Any] | None:
    """Residents and party members (road chiefs): report a problem and follow their own reports."""
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


PANELS = [admin_panel, department_panel, reporter_panel]
