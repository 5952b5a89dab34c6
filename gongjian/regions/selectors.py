"""Reads of the regions module. Every selector takes ``actor=`` and applies the actor's scope
first; a record outside the scope is NotFound (404). Each runs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Length, Substr

from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.scope import ScopeFields, get_in_scope, path_prefix_q, region_paths, scoped

from . import permissions as P
from .choices import CODE_LENGTH, LEVEL_ORDER, Level, clean_code
from .models import DelegatedPower, Department, GovernanceCommittee, Office, OfficeTemplate, Region, StaffQuota

DEPT_VIEW_FIELDS = ScopeFields(region=("region_path",), department=("id",))


def regions_visible(*, actor: Actor, action: str = P.VIEW) -> QuerySet[Region]:
    return scoped(Region.objects.all(), actor, action)


def region_get(*, actor: Actor, pk: int | None = None, code: str | None = None, action: str = P.VIEW) -> Region:
    lookup: dict[str, Any] = {"pk": pk} if pk is not None else {"code": clean_code(code)}
    if not any(lookup.values()):
        raise NotFound()
    return get_in_scope(Region.objects.select_related("parent"), actor, action, **lookup)


def regions_in_area(*, actor: Actor, action: str, levels: Sequence[str] | None = None, active_only: bool = True) -> QuerySet[Region]:
    """The regions of ``levels`` (every level when none) in the actor's area for ``action``, by path.

    The area is the actor's region scopes of a role the action reaches (``core.scope.region_paths``): all of them
    for a superuser, none for an actor the action does not reach. The one selector every module's region pickers
    and "my communities" lists use."""
    paths = region_paths(actor, action)
    qs = Region.objects.all()
    if levels:
        qs = qs.filter(level__in=list(levels))
    if active_only:
        qs = qs.filter(is_active=True)
    if "" not in paths:
        cond = Q(pk__in=[])
        for p in paths:
            cond |= path_prefix_q("path", p)
        qs = qs.filter(cond)
    return qs.order_by("path")


def communities_in_area(*, actor: Actor, action: str, active_only: bool = True) -> QuerySet[Region]:
    """The community-level regions (urban communities and villages) in the actor's area for ``action``, by path."""
    return regions_in_area(actor=actor, action=action, levels=[Level.COMMUNITY], active_only=active_only)


def region_roots(*, actor: Actor) -> list[Region]:
    """The actor's top regions: the roots of its region scopes (the whole tree's roots for a superuser)."""
    paths = region_paths(actor, P.VIEW)
    if paths == [""]:
        qs = Region.objects.filter(parent__isnull=True)
    else:
        # Drop scopes that lie inside another scope of the same actor.
        tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        qs = Region.objects.filter(path__in=tops)
    return list(_with_counts(qs).order_by("code"))


def _with_counts(qs: QuerySet[Region]) -> QuerySet[Region]:
    return qs.annotate(
        child_count=Count("children", filter=Q(children__is_active=True), distinct=True),
    )


@dataclass
class ChildRow:
    region: Region
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def communities(self) -> int:
        return self.counts.get(Level.COMMUNITY, 0)

    @property
    def subdistricts(self) -> int:
        return self.counts.get(Level.SUBDISTRICT, 0)


def region_children(*, actor: Actor, region: Region, q: str = "", include_inactive: bool = False) -> QuerySet[Region]:
    """Children of a region in scope (the caller paginates); counts come from ``descendant_counts``."""
    qs = regions_visible(actor=actor).filter(parent=region)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    return _with_counts(qs).order_by("code")


def descendant_counts(*, region: Region, children: list[Region]) -> dict[int, dict[str, int]]:
    """For each child: how many active regions of each level lie below it. One grouped query."""
    if not children:
        return {}
    child_level = children[0].level
    if child_level == Level.GRID:
        return {c.pk: {} for c in children}
    cut = len(region.path) + CODE_LENGTH[Level(child_level)] + 1
    rows = (
        Region.objects.filter(path__startswith=region.path, depth__gt=region.depth + 1, is_active=True)
        .annotate(branch=Substr("path", 1, cut))
        .values("branch", "level")
        .annotate(n=Count("id"))
    )
    by_path = {c.path: c.pk for c in children}
    out: dict[int, dict[str, int]] = {c.pk: {} for c in children}
    for row in rows:
        pk = by_path.get(row["branch"])
        if pk is not None:
            out[pk][row["level"]] = row["n"]
    return out


def child_rows(*, region: Region, children: list[Region]) -> list[ChildRow]:
    counts = descendant_counts(region=region, children=children)
    return [ChildRow(c, counts.get(c.pk, {})) for c in children]


def region_search(*, actor: Actor, q: str, level: str = "", within: Region | None = None, include_inactive: bool = False) -> QuerySet[Region]:
    """Regions in scope matching ``q`` by code or name, best first: exact code, code prefix,
    exact name, name prefix, name (or full name) contains."""
    q = " ".join((q or "").split())
    qs = regions_visible(actor=actor)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    if level in Level.values:
        qs = qs.filter(level=level)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if not q:
        return qs.none()
    qs = qs.filter(Q(code__startswith=q) | Q(name__contains=q) | Q(full_name__contains=q))
    rank = Case(
        When(code=q, then=Value(0)),
        When(code__startswith=q, then=Value(1)),
        When(name=q, then=Value(2)),
        When(name__startswith=q, then=Value(3)),
        When(name__contains=q, then=Value(4)),
        default=Value(5),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank, name_len=Length("name")).select_related("parent").order_by("rank", "depth", "name_len", "code")


def breadcrumbs(*, actor: Actor, region: Region) -> list[Region]:
    """The region's ancestors the actor may see, top first, ending with the region itself."""
    codes = region.ancestor_codes
    found = {r.code: r for r in regions_visible(actor=actor).filter(code__in=codes).only("id", "code", "name", "level", "path")}
    return [found[c] for c in codes if c in found]


def department_list(*, actor: Actor, region: Region | None = None, q: str = "", kind: str = "", active: str = "1") -> QuerySet[Department]:
    qs = scoped(Department.objects.select_related("region"), actor, P.VIEW, DEPT_VIEW_FIELDS)
    if region is not None:
        qs = qs.filter(region_path__startswith=region.path)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(region__name__contains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if active == "1":
        qs = qs.filter(is_active=True)
    elif active == "0":
        qs = qs.filter(is_active=False)
    return qs.order_by("region__code", "name")


def department_get(*, actor: Actor, pk: int, action: str = P.VIEW) -> Department:
    fields = DEPT_VIEW_FIELDS if action == P.VIEW else ScopeFields(region=("region_path",))
    return get_in_scope(Department.objects.select_related("region"), actor, action, fields, pk=pk)


def committee_for(*, actor: Actor, region: Region) -> GovernanceCommittee | None:
    return (
        scoped(GovernanceCommittee.objects.filter(region=region), actor, P.VIEW)
        .prefetch_related(Prefetch("departments", queryset=Department.objects.order_by("name")))
        .first()
    )


def region_departments(*, actor: Actor, region: Region) -> list[Department]:
    """The departments of this city or district itself."""
    return list(scoped(Department.objects.filter(region=region), actor, P.VIEW, DEPT_VIEW_FIELDS).order_by("-is_active", "name"))


def powers_in_effect(*, actor: Actor, region: Region) -> list[DelegatedPower]:
    """Powers granted by this region or by any region above it (what a subdistrict may exercise)."""
    ancestor_paths = ["/" + "/".join(region.ancestor_codes[: i + 1]) + "/" for i in range(len(region.ancestor_codes))]
    qs = DelegatedPower.objects.filter(region_path__in=ancestor_paths).select_related("region").order_by("region__depth", "id")
    # A subdistrict sees the powers its district and city grant even though they lie above its scope.
    region_get(actor=actor, pk=region.pk)
    return list(qs)


def powers_granted(*, actor: Actor, region: Region) -> list[DelegatedPower]:
    return list(scoped(DelegatedPower.objects.filter(region=region), actor, P.VIEW).order_by("-is_active", "id"))


@dataclass
class Structure:
    subdistrict: Region
    offices: list[Office]
    quotas: list[StaffQuota]
    powers: list[DelegatedPower]
    totals: dict[str, int]
    by_kind: dict[str, int]
    templates_missing: int


def structure_get(*, actor: Actor, subdistrict: Region) -> Structure:
    """Offices (with their quota sums), quotas, delegated powers and totals of a subdistrict. 5 queries."""
    if subdistrict.level != Level.SUBDISTRICT:
        raise NotFound()
    offices: list[Office] = list(
        scoped(Office.objects.filter(subdistrict=subdistrict), actor, P.VIEW)
        .annotate(quota_total=Sum("staff_quotas__count"))
        .order_by("-is_active", "order", "id")
    )
    quotas = list(scoped(StaffQuota.objects.filter(subdistrict=subdistrict), actor, P.VIEW).select_related("office").order_by("-year", "id"))
    powers = powers_in_effect(actor=actor, region=subdistrict)
    by_kind: dict[str, int] = {}
    for o in offices:
        if o.is_active:
            by_kind[o.kind] = by_kind.get(o.kind, 0) + 1
    totals = {
        "positions": sum(q.count for q in quotas),
        "moved_down": sum(q.count for q in quotas if q.moved_down),
        "unassigned": sum(q.count for q in quotas if q.office_id is None),
        "offices": sum(1 for o in offices if o.is_active),
        "powers": sum(1 for p in powers if p.is_active),
    }
    names = {o.name for o in offices}
    missing = sum(1 for t in OfficeTemplate.objects.filter(is_active=True).only("name") if t.name not in names)
    return Structure(subdistrict, offices, quotas, powers, totals, by_kind, missing)


def subdistrict_list(*, actor: Actor, q: str = "", within: Region | None = None) -> QuerySet[Region]:
    """Subdistricts in scope with office count and quota total (for the structure overview)."""
    qs = regions_visible(actor=actor).filter(level=Level.SUBDISTRICT, is_active=True)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q) | Q(full_name__contains=q))
    # counted per row by subqueries, which the database runs only for the rows of the page (a COUNT over a join with the
    # offices would count every subdistrict of the city first, and again for the paginator's count)
    offices = Office.objects.filter(subdistrict=OuterRef("pk"), is_active=True).order_by().values("subdistrict").annotate(n=Count("*")).values("n")
    office_count = Coalesce(Subquery(offices, output_field=IntegerField()), 0)
    quota_sum = Subquery(
        StaffQuota.objects.filter(subdistrict=OuterRef("pk")).order_by().values("subdistrict").annotate(s=Sum("count")).values("s")[:1]
    )
    return qs.annotate(office_count=office_count, quota_total=Coalesce(quota_sum, Value(0))).select_related("parent").order_by("code")


def quota_totals(*, actor: Actor, region: Region) -> dict[str, Any]:
    """Staff quotas in the region's subtree: total, moved down, and by year. 2 queries."""
    qs = scoped(StaffQuota.objects.filter(region_path__startswith=region.path), actor, P.VIEW)
    agg = qs.aggregate(total=Sum("count"), moved=Sum("count", filter=Q(moved_down=True)))
    by_year = {r["year"]: r["n"] for r in qs.order_by().values("year").annotate(n=Sum("count")).order_by("year")}
    return {"total": agg["total"] or 0, "moved_down": agg["moved"] or 0, "by_year": by_year}


def office_templates() -> list[OfficeTemplate]:
    return list(OfficeTemplate.objects.order_by("order", "id"))


def export_rows(*, actor: Actor, root: Region | None = None) -> QuerySet[Region]:
    qs = regions_visible(actor=actor)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return qs.select_related("parent").order_by("path").only("code", "name", "level", "kind", "is_active", "full_name", "parent__code")


def level_index(level: str) -> int:
    return LEVEL_ORDER.index(Level(level))


def office_get(*, actor: Actor, pk: int, action: str = P.VIEW) -> Office:
    return get_in_scope(Office.objects.select_related("subdistrict"), actor, action, pk=pk)


def quota_get(*, actor: Actor, pk: int, action: str = P.VIEW) -> StaffQuota:
    return get_in_scope(StaffQuota.objects.select_related("subdistrict", "office"), actor, action, pk=pk)


def power_get(*, actor: Actor, pk: int, action: str = P.VIEW) -> DelegatedPower:
    return get_in_scope(DelegatedPower.objects.select_related("region"), actor, action, pk=pk)


def may(actor: Actor, action: str, path: str, *, strictly_below: bool = False) -> bool:
    """Whether the actor's scope for ``action`` covers ``path`` (no query: scopes are cached)."""
    if not can(actor, action):
        return False
    paths = region_paths(actor, action)
    if paths == [""]:
        return True
    return any(path.startswith(p) and (not strictly_below or path != p) for p in paths)
