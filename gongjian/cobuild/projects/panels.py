"""Home-page panels of the project pages: the unit liaison's projects, and the community's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.scope import scoped

from ..choices import ProjectStatus
from ..models import Project
from .permissions import PROJECT_MANAGE, PROJECT_RUN, PROJECT_VIEW


def _counts(actor: Actor, action: str, statuses: list[str]) -> dict[str, int]:
    rows = scoped(Project.objects.filter(status__in=statuses), actor, action).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def _url(status: str) -> str:
    return f"{reverse('cobuild:project_list')}?status={status}"


def liaison_panel(actor: Actor) -> dict[str, Any] | None:
    """A unit liaison: projects waiting for the unit to agree, and the ones to carry out."""
    if not can(actor, PROJECT_RUN) or can(actor, PROJECT_MANAGE):
        return None
    c = _counts(actor, PROJECT_RUN, [ProjectStatus.PROPOSED, ProjectStatus.AGREED, ProjectStatus.IN_PROGRESS])
    return {
        "key": "cobuild.projects.unit",
        "title": _("My unit's projects"),
        "stats": [
            {"key": "awaiting_agreement", "label": _("Awaiting our agreement"), "value": c.get(ProjectStatus.PROPOSED, 0)},
            {"key": "in_progress", "label": _("Agreed or in progress"),
             "value": c.get(ProjectStatus.AGREED, 0) + c.get(ProjectStatus.IN_PROGRESS, 0)},
        ],
        "links": [
            {"label": _("Awaiting our agreement"), "url": _url(ProjectStatus.PROPOSED)},
            {"label": _("In progress"), "url": _url(ProjectStatus.IN_PROGRESS)},
            {"label": _("Projects"), "url": reverse("cobuild:project_list")},
        ],
    }


def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Community staff and above: projects under way, and finished ones waiting for the community's rating."""
    if not can(actor, PROJECT_MANAGE):
        return None
    c = _counts(actor, PROJECT_VIEW, [ProjectStatus.PROPOSED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE])
    return {
        "key": "cobuild.projects.area",
        "title": _("Co-building projects"),
        "stats": [
            {"key": "in_progress", "label": _("In progress"), "value": c.get(ProjectStatus.IN_PROGRESS, 0)},
            {"key": "awaiting_rating", "label": _("Done, awaiting rating"), "value": c.get(ProjectStatus.DONE, 0)},
            {"key": "proposed", "label": _("Awaiting the unit's agreement"), "value": c.get(ProjectStatus.PROPOSED, 0)},
        ],
        "links": [
            {"label": _("Done, awaiting rating"), "url": _url(ProjectStatus.DONE)},
            {"label": _("In progress"), "url": _url(ProjectStatus.IN_PROGRESS)},
            {"label": _("Projects"), "url": reverse("cobuild:project_list")},
        ],
    }

