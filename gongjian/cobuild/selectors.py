"""Reads of the co-building module. Every read takes ``actor=`` and starts from the actor's scope.

List selectors own their ``select_related`` so a page costs a fixed number of queries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongjian.core.errors import NotFound
from gongjian.core.filtering import apply_filters, by_choice, by_flag, by_key, by_text, by_value
from gongjian.core.kernel import Actor, actor_key
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, region_paths, scope_q, scoped
from gongjian.orgs.models import ResidentUnit
from gongjian.regions import selectors as region_selectors
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import permissions as perms
from .choices import CategoryUse, NeedStatus, ProjectStatus, ResourceKind, ResourceStatus, Urgency
from .models import Category, Need, Project, Resource

# --- categories ------------------------------------------------------------------------------


def category_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Category]:
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


def category_get(*, actor: Actor, id: Any) -> Category:
    if not can(actor, perms.CATEGORY_VIEW):
        raise NotFound()
    pk = int_param(id)
    c = Category.objects.filter(pk=pk).first() if pk is not None else None
    if c is None:
        raise NotFound()
    return c


# --- needs -----------------------------------------------------------------------------------


NEED_FILTERS = {
    "q": by_text("title", "description"),
    "status": by_choice(NeedStatus),
    "category": by_key("category_id", none="none"),
    "community": by_key("community_id"),
    "urgency": by_choice(Urgency, "urgency"),
    "source": by_value("source"),
    "review": by_flag(Q(source="wish", status=NeedStatus.DRAFT)),
}


def need_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.NEED_VIEW) -> QuerySet[Need]:
    """Needs in the actor's scope. Filters: q (title/description), status, category, community, urgency, source."""
    qs = scoped(Need.objects.all(), actor, action).select_related("category", "community", "submitted_by")
    qs = apply_filters(qs, filters, NEED_FILTERS)
    return qs.order_by("-created_at", "-id")


def need_get(*, actor: Actor, id: Any, action: str = perms.NEED_VIEW) -> Need:
    return get_in_scope(Need.objects.select_related("category", "community", "grid", "submitted_by"), actor, action, pk=int_param(id) or 0)


def my_wishes(*, actor: Actor) -> QuerySet[Need]:
    if not can(actor, perms.WISH_OWN):
        return Need.objects.none()
    return scoped(Need.objects.filter(submitted_by_id=actor_key(actor)), actor, perms.WISH_OWN).select_related("category", "community").order_by(
        "-created_at", "-id")


def regions_in_area(actor: Actor, action: str, *levels: str) -> QuerySet[Region]:
    """Active regions of the ``levels`` in the actor's area for ``action``, by path."""
    return region_selectors.regions_in_area(actor=actor, action=action, levels=levels)


def community_choices(*, actor: Actor, action: str = perms.NEED_MANAGE) -> QuerySet[Region]:
    return regions_in_area(actor, action, Level.COMMUNITY)


def grid_choices(*, actor: Actor, action: str = perms.NEED_MANAGE) -> QuerySet[Region]:
    return regions_in_area(actor, action, Level.GRID)


# --- resources -------------------------------------------------------------------------------


def _served_q(actor: Actor) -> Q | None:
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


def resource_base(actor: Actor, action: str = perms.RESOURCE_VIEW) -> QuerySet[Resource]:
    q = scope_q(actor, action, Resource.scope_fields)
    if q is None:
        return Resource.objects.all()
    if action == perms.RESOURCE_VIEW:
        served = _served_q(actor)
        if served is not None:
            q |= served
    return Resource.objects.filter(q)


def _in_community(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    region = Region.objects.filter(pk=int_param(value) or 0).first()
    return qs.filter(region_path__startswith=region.path) if region else qs.none()


RESOURCE_FILTERS = {
    "q": by_text("title", "description"),
    "status": by_choice(ResourceStatus),
    "category": by_key("category_id", none="none"),
    "kind": by_choice(ResourceKind, "kind"),
    "unit": by_key("unit_id"),
    "community": _in_community,
}


def resource_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.RESOURCE_VIEW) -> QuerySet[Resource]:
    """Resources in the actor's scope (plus, for viewing, offered ones serving the area). Filters: q, status, category, kind, unit."""
    qs = resource_base(actor, action).select_related("unit", "category")
    qs = apply_filters(qs, filters, RESOURCE_FILTERS)
    return qs.order_by("-created_at", "-id")


def resource_get(*, actor: Actor, id: Any, action: str = perms.RESOURCE_VIEW) -> Resource:
    pk = int_param(id)
    r = resource_base(actor, action).select_related("unit", "category").filter(pk=pk).first() if pk is not None else None
    if r is None:
        raise NotFound()
    return r


def unit_choices(*, actor: Actor, action: str = perms.RESOURCE_MANAGE) -> QuerySet[ResidentUnit]:
    return scoped(ResidentUnit.objects.filter(is_active=True), actor, action, ResidentUnit.scope_fields).order_by("name")


def service_region_choices() -> QuerySet[Region]:
    return Region.objects.filter(is_active=True).exclude(level=Level.GRID).order_by("path")


# --- projects --------------------------------------------------------------------------------


PROJECT_FILTERS = {
    "q": by_text("title", "plan"),
    "status": by_choice(ProjectStatus),
    "community": by_key("community_id"),
    "unit": by_key("unit_id"),
}


def project_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.PROJECT_VIEW) -> QuerySet[Project]:
    """Projects of the communities in the actor's area, or (a liaison) of his unit. Filters: q, status, community, unit."""
    qs = scoped(Project.objects.all(), actor, action).select_related("community", "unit")
    qs = apply_filters(qs, filters, PROJECT_FILTERS)
    return qs.order_by("-created_at", "-id")


def project_get(*, actor: Actor, id: Any, action: str = perms.PROJECT_VIEW) -> Project:
    return get_in_scope(Project.objects.select_related("community", "unit", "proposed_by"), actor, action, pk=int_param(id) or 0)
