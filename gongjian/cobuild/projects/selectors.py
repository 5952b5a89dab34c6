"""Reads for the project pages and API. Every read takes ``actor=`` and starts from the scope.

The list and detail own their ``select_related``/``prefetch_related`` so a page costs a fixed
number of queries whatever the number of needs, milestones, notes or photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.models import AuditEvent
from gongjian.core.params import int_param
from gongjian.core.scope import scoped
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import Region

from .. import selectors as base
from ..choices import PROJECT_NEED_STATUSES, ResourceStatus
from ..models import Need, Project, ProjectNeed, ProjectNote, ProjectPhoto, ProjectResource, Resource
from ..permissions import NEED_MANAGE, NEED_VIEW, PROJECT_MANAGE, PROJECT_VIEW, RESOURCE_VIEW

FILTERS = ("q", "status", "community", "unit")

# Audit verbs that change a project's status, with the label shown in its history.
STATUS_VERBS: dict[str, Any] = {
    "cobuild.project.create": _("Proposed"),
    "cobuild.project.agree": _("Agreed by the unit"),
    "cobuild.project.start": _("Work started"),
    "cobuild.project.complete": _("Completed"),
    "cobuild.project.rate": _("Rated by the community"),
    "cobuild.project.cancel": _("Cancelled"),
}


def _latest_progress() -> Subquery:
    return Subquery(ProjectNote.objects.filter(project=OuterRef("pk"), progress__isnull=False)
                    .order_by("-created_at", "-id").values("progress")[:1], output_field=IntegerField())


def _needs_count() -> Coalesce:
    """The project's number of needs, counted for each row the list shows (a JOIN with GROUP BY would count every
    project in scope before the page is cut)."""
    counted = (ProjectNeed.objects.filter(project=OuterRef("pk")).order_by().values("project")
               .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def project_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = PROJECT_VIEW) -> QuerySet[Project]:
    """Projects in scope (see ``cobuild.selectors.project_list``) with their latest progress and counts."""
    return base.project_list(actor=actor, filters=filters, action=action).annotate(
        latest_progress=_latest_progress(),
        needs_count=_needs_count(),
    )


def project_get(*, actor: Actor, id: Any, action: str = PROJECT_VIEW) -> Project:
    return base.project_get(actor=actor, id=id, action=action)


@dataclass
class HistoryEntry:
    at: Any
    label: Any
    actor: str
    verb: str
    detail: str


def project_history(project: Project) -> list[HistoryEntry]:
    """The project's status changes from the audit log (who and when), oldest first.

    A project created before auditing (or by a bulk demo insert) falls back to its timestamps.
    """
    events = list(AuditEvent.objects.filter(target_type="cobuild.project", target_id=str(project.pk), verb__in=list(STATUS_VERBS))
                  .select_related("actor").order_by("at", "id"))
    out: list[HistoryEntry] = []
    for e in events:
        ch = e.changes or {}
        detail = ""
        if e.verb == "cobuild.project.cancel":
            detail = str(ch.get("cancel_reason", ""))
        elif e.verb == "cobuild.project.rate":
            detail = "★" * int(ch.get("rating") or 0)
        name = str(e.actor) if e.actor else (e.actor_label or "")
        out.append(HistoryEntry(e.at, STATUS_VERBS[e.verb], name, e.verb.rsplit(".", 1)[-1], detail))
    if out:
        return out
    stamps = [("created_at", "create"), ("agreed_at", "agree"), ("started_at", "start"), ("done_at", "complete"),
              ("rated_at", "rate"), ("cancelled_at", "cancel")]
    return [HistoryEntry(getattr(project, f), STATUS_VERBS[f"cobuild.project.{v}"], "", v, "")
            for f, v in stamps if getattr(project, f, None)]


@dataclass
class ProjectDetail:
    project: Project
    needs: list[Need]
    resources: list[ProjectResource]
    milestones: list[Any]
    notes: list[ProjectNote]
    history: list[HistoryEntry]
    latest_progress: int | None
    need_links: bool
    resource_links: set[int]


def project_detail(*, actor: Actor, id: Any) -> ProjectDetail:
    p = project_get(actor=actor, id=id)
    needs = [pn.need for pn in ProjectNeed.objects.filter(project=p).select_related("need", "need__category").order_by("need_id")]
    resources = list(ProjectResource.objects.filter(project=p).select_related("resource", "resource__unit").order_by("resource_id"))
    milestones = list(p.milestones.all())
    notes = list(p.notes.select_related("author").prefetch_related(Prefetch("photos", queryset=ProjectPhoto.objects.order_by("id"))))
    latest = next((n.progress for n in notes if n.progress is not None), None)
    # links only to records the actor may open (a liaison does not read needs; resources by visibility)
    need_links = bool(needs) and scoped(Need.objects.filter(pk=needs[0].pk), actor, NEED_VIEW).exists()
    visible = set(base.resource_base(actor, RESOURCE_VIEW).filter(pk__in=[r.resource_id for r in resources]).values_list("pk", flat=True))
    return ProjectDetail(p, needs, resources, milestones, notes, project_history(p), latest, need_links, visible)


# --- choices for filters and the create form -------------------------------------------------


def filter_communities(*, actor: Actor) -> QuerySet[Region]:
    """Communities that have projects the actor can see (works for liaisons, who have no region scope)."""
    ids = scoped(Project.objects.all(), actor, PROJECT_VIEW).values("community_id")
    return Region.objects.filter(pk__in=ids).order_by("path")


def filter_units(*, actor: Actor) -> QuerySet[ResidentUnit]:
    ids = scoped(Project.objects.all(), actor, PROJECT_VIEW).values("unit_id")
    return ResidentUnit.objects.filter(pk__in=ids).order_by("name")


def form_communities(*, actor: Actor) -> QuerySet[Region]:
    return base.community_choices(actor=actor, action=PROJECT_MANAGE)


def form_needs(*, actor: Actor, community: Any) -> QuerySet[Need]:
    """Needs of the community that a project may take up (published or matched), within the actor's reach."""
    pk = int_param(community)
    if pk is None:
        return Need.objects.none()
    return (scoped(Need.objects.filter(community_id=pk, status__in=PROJECT_NEED_STATUSES), actor, NEED_MANAGE)
            .select_related("category").order_by("-created_at", "-id"))


def form_resources(*, actor: Actor) -> QuerySet[Resource]:
    """Resources on offer the actor can see and whose available period has not ended."""
    today = timezone.localdate()
    return (base.resource_base(actor, RESOURCE_VIEW).filter(status=ResourceStatus.OFFERED)
            .filter(Q(available_to__isnull=True) | Q(available_to__gte=today)).select_related("unit").order_by("unit__name", "title"))


def form_units(*, actor: Actor) -> QuerySet[ResidentUnit]:
    """Units located in the actor's area, and units whose resources the actor can commit."""
    located = scoped(ResidentUnit.objects.filter(is_active=True), actor, PROJECT_MANAGE, ResidentUnit.scope_fields).values("pk")
    owning = form_resources(actor=actor).values("unit_id")
    return ResidentUnit.objects.filter(is_active=True).filter(Q(pk__in=located) | Q(pk__in=owning)).order_by("name")
