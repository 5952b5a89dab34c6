"""Reads of the co-building module. Every read takes ``actor=`` and starts from the actor's scope.

List selectors own their ``select_related`` so a page costs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongjian.core.errors import NotFound
from gongjian.core.kernel import text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, region_paths, scope_q, scoped
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import permissions as perms
from .choices import CategoryUse, NeedStatus, ProjectStatus, ResourceKind, ResourceStatus, Urgency
from .models import Category, Need, Project, Resource

# --- categories ------------------------------------------------------------------------------


def category_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Category]:
    if not can(actor, perms.CATEGORY_VIEW):
        return Category.objects.none()
    f = filters or {}
    qs = Category.objects.all()
    active = f.get("active", "1")
    if active == "1":
        qs = qs.filter(is_active=True)
    elif active == "0":
        qs = qs.filter(is_active=False)
    if f.get("q"):
        qs = qs.filter(name__icontains=str(f["q"]).strip())
    return qs.order_by("sort_order", "name")


def category_choices(*, use: str) -> QuerySet[Category]:
    return Category.objects.filter(is_active=True, applies_to__in=[CategoryUse.BOTH, use]).order_by("sort_order", "name")


def category_get(*, actor: Any, id: Any) -> Category:
    if not can(actor, perms.CATEGORY_VIEW):
        raise NotFound()
    pk = int_param(id)
    c = Category.objects.filter(pk=pk).first() if pk is not None else None
    if c is None:
        raise NotFound()
    return c


# --- needs -----------------------------------------------------------------------------------


def need_list(*, actor: Any, filters: dict[str, Any] | None = None, action: str = perms.NEED_VIEW) -> QuerySet[Need]:
    """Needs in the actor's scope. Filters: q (title/description), status, category, community, urgency, source."""
    f = filters or {}
    qs = scoped(Need.objects.all(), actor, action).select_related("category", "community", "submitted_by")
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"]), "title", "description"))
    if f.get("status") in NeedStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("category"):
        qs = qs.filter(category_id=int_param(f["category"]) or 0) if f["category"] != "none" else qs.filter(category__isnull=True)
    if f.get("community"):
        qs = qs.filter(community_id=int_param(f["community"]) or 0)
    if f.get("urgency") in Urgency.values:
        qs = qs.filter(urgency=f["urgency"])
    if f.get("source"):
        qs = qs.filter(source=str(f["source"]))
    if f.get("review") == "1":
        qs = qs.filter(source="wish", status=NeedStatus.DRAFT)
    return qs.order_by("-created_at", "-id")


def need_get(*, actor: Any, id: Any, action: str = perms.NEED_VIEW) -> Need:
    return get_in_scope(Need.objects.select_related("category", "community", "grid", "submitted_by"), actor, action, pk=int_param(id) or 0)


def my_wishes(*, actor: Any) -> QuerySet[Need]:
    if not can(actor, perms.WISH_OWN):
        return Need.objects.none()
    return scoped(Need.objects.filter(submitted_by_id=actor.pk), actor, perms.WISH_OWN).select_related("category", "community").order_by(
        "-created_at", "-id")


def community_choices(*, actor: Any, action: str = perms.NEED_MANAGE) -> QuerySet[Region]:
    paths = region_paths(actor, action)
    qs = Region.objects.filter(is_active=True, level=Level.COMMUNITY)
    if "" in paths:
        return qs.order_by("path")
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return qs.filter(q).order_by("path")


def grid_choices(*, actor: Any, action: str = perms.NEED_MANAGE) -> QuerySet[Region]:
    paths = region_paths(actor, action)
    qs = Region.objects.filter(is_active=True, level=Level.GRID)
    if "" in paths:
        return qs.order_by("path")
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return qs.filter(q).order_by("path")


# --- resources -------------------------------------------------------------------------------


def _served_q(actor: Any) -> Q | None:
    """Offered resources whose service regions contain the admin's area or lie inside it (read only)."""
    paths = [p for p in region_paths(actor, perms.RESOURCE_VIEW) if p]
    if not paths:
        return None
    region_q = Q(pk__in=[])
    for p in paths:
        ancestors = ["/" + "/".join(p.strip("/").split("/")[: i + 1]) + "/" for i in range(len(p.strip("/").split("/")))]
        region_q |= Q(path__in=ancestors) | Q(path__startswith=p)
    served = Region.objects.filter(region_q).values("pk")
    return Q(status=ResourceStatus.OFFERED, pk__in=Resource.service_regions.through.objects.filter(region_id__in=served).values("resource_id"))


def resource_base(actor: Any, action: str = perms.RESOURCE_VIEW) -> QuerySet[Resource]:
    q = scope_q(actor, action, Resource.scope_fields)
    if q is None:
        return Resource.objects.all()
    if action == perms.RESOURCE_VIEW:
        served = _served_q(actor)
        if served is not None:
            q |= served
    return Resource.objects.filter(q)


def resource_list(*, actor: Any, filters: dict[str, Any] | None = None, action: str = perms.RESOURCE_VIEW) -> QuerySet[Resource]:
    """Resources in the actor's scope (plus, for viewing, offered ones serving the area). Filters: q, status, category, kind, unit."""
    f = filters or {}
    qs = resource_base(actor, action).select_related("unit", "category")
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"]), "title", "description"))
    if f.get("status") in ResourceStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("category"):
        qs = qs.filter(category_id=int_param(f["category"]) or 0) if f["category"] != "none" else qs.filter(category__isnull=True)
    if f.get("kind") in ResourceKind.values:
        qs = qs.filter(kind=f["kind"])
    if f.get("unit"):
        qs = qs.filter(unit_id=int_param(f["unit"]) or 0)
    if f.get("community"):
        region = Region.objects.filter(pk=int_param(f["community"]) or 0).first()
        qs = qs.filter(region_path__startswith=region.path) if region else qs.none()
    return qs.order_by("-created_at", "-id")


def resource_get(*, actor: Any, id: Any, action: str = perms.RESOURCE_VIEW) -> Resource:
    pk = int_param(id)
    r = resource_base(actor, action).select_related("unit", "category").filter(pk=pk).first() if pk is not None else None
    if r is None:
        raise NotFound()
    return r


def unit_choices(*, actor: Any, action: str = perms.RESOURCE_MANAGE) -> QuerySet[ResidentUnit]:
    return scoped(ResidentUnit.objects.filter(is_active=True), actor, action, ResidentUnit.scope_fields).order_by("name")


def service_region_choices() -> QuerySet[Region]:
    return Region.objects.filter(is_active=True).exclude(level=Level.GRID).order_by("path")


# --- projects --------------------------------------------------------------------------------


def project_list(*, actor: Any, filters: dict[str, Any] | None = None, action: str = perms.PROJECT_VIEW) -> QuerySet[Project]:
    """Projects of the communities in the actor's area, or (a liaison) of his unit. Filters: q, status, community, unit."""
    f = filters or {}
    qs = scoped(Project.objects.all(), actor, action).select_related("community", "unit")
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"]), "title", "plan"))
    if f.get("status") in ProjectStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("community"):
        qs = qs.filter(community_id=int_param(f["community"]) or 0)
    if f.get("unit"):
        qs = qs.filter(unit_id=int_param(f["unit"]) or 0)
    return qs.order_by("-created_at", "-id")


def project_get(*, actor: Any, id: Any, action: str = perms.PROJECT_VIEW) -> Project:
    return get_in_scope(Project.objects.select_related("community", "unit", "proposed_by"), actor, action, pk=int_param(id) or 0)
