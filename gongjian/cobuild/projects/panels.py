"""Home-page panels of the project pages: the unit liaison's projects, and the community's."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel
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
    return panel("cobuild.projects.unit", _("My unit's projects"), [
        ("awaiting_agreement", _("Awaiting our agreement"), c.get(ProjectStatus.PROPOSED, 0)),
        ("in_progress", _("Agreed or in progress"), c.get(ProjectStatus.AGREED, 0) + c.get(ProjectStatus.IN_PROGRESS, 0)),
    ], [(_("Awaiting our agreement"), _url(ProjectStatus.PROPOSED)), (_("In progress"), _url(ProjectStatus.IN_PROGRESS)),
        (_("Projects"), reverse("cobuild:project_list"))])


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Community staff and above: projects under way, and finished ones waiting for the community's rating."""
    if not can(actor, PROJECT_MANAGE):
        return None
    c = _counts(actor, PROJECT_VIEW, [ProjectStatus.PROPOSED, ProjectStatus.IN_PROGRESS, ProjectStatus.DONE])
    return panel("cobuild.projects.area", _("Co-building projects"), [
        ("in_progress", _("In progress"), c.get(ProjectStatus.IN_PROGRESS, 0)),
        ("awaiting_rating", _("Done, awaiting rating"), c.get(ProjectStatus.DONE, 0)),
        ("proposed", _("Awaiting the unit's agreement"), c.get(ProjectStatus.PROPOSED, 0)),
    ], [(_("Done, awaiting rating"), _url(ProjectStatus.DONE)), (_("In progress"), _url(ProjectStatus.IN_PROGRESS)),
        (_("Projects"), reverse("cobuild:project_list"))])
