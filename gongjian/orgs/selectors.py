"""Reads of the organisations module. Every selector takes ``actor=`` and applies the scope first.

List selectors return querysets (or a lazily paged ranked list for policy search) that pages
and the API paginate with a fixed number of queries: the actor's scope rows (once per request),
a count and one page of rows with its related records joined in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Avg, Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from gongjian.core import pii
from gongjian.core.counts import CountedRows, counts
from gongjian.core.errors import NotFound
from gongjian.core.filtering import Filter, apply_filters, by_value
from gongjian.core.kernel import Actor, actor_key
from gongjian.core.params import bool_param, int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, in_scope, region_paths, scope_branches, scoped
from gongjian.regions import selectors as region_selectors
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import permissions as perms
from . import search
from .models import Member, PartyOrg, Policy, ResidentUnit

_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_USCC_RE = re.compile(r"^[0-9A-Za-z]{18}$")

MEMBER_ORDERINGS = {
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "join_date": ("join_date", "id"), "-join_date": ("-join_date", "-id"),
    "created": ("created_at", "id"), "-created": ("-created_at", "-id"),
    "": ("region_path", "name", "id"),
}




# --- members ---------------------------------------------------------------------------------


def member_base(actor: Actor, action: str = perms.MEMBER_VIEW) -> QuerySet[Member]:
    return scoped(Member.objects.select_related("org", "employer_unit", "home_community"), actor, action)


def member_conditions(filters: dict[str, Any] | None) -> Q:
    """The search and filters of a member list as one condition (the scope is applied separately).

    ``q``: a full 18-character ID number or an 11-digit mobile number searches by keyed hash;
    anything else searches names. Filters: ``org`` (and its sub-organisations with ``subtree``),
    ``org_name`` (organisation name contains), ``status``, ``in_service``, ``home`` (community id),
    ``employer`` (unit id), ``active`` ("1" default, "0" for deactivated, "all").
    """
    f = filters or {}
    cond = Q()
    q = str(f.get("q") or "").strip()
    if q:
        compact = pii.compact(q)  # "410103-1985…x", full-width digits, "+86 138 …" find the member too
        mobile = compact[3:] if compact.startswith("+86") else compact
        if _ID_RE.match(compact):
            cond &= Q(id_number_hash=pii.lookup_hash(compact.upper()))
        elif _MOBILE_RE.match(mobile):
            cond &= Q(phone_hash=pii.lookup_hash(mobile))
        else:
            cond &= Q(name__icontains=q[:64])
    org_id = int_param(f.get("org"))
    if org_id:
        if f.get("subtree"):
            org = PartyOrg.objects.filter(pk=org_id).only("org_path").first()
            cond &= Q(org__org_path__startswith=org.org_path) if org else Q(pk__in=[])
        else:
            cond &= Q(org_id=org_id)
    org_name = str(f.get("org_name") or "").strip()
    if org_name:
        cond &= Q(org__name__icontains=org_name[:64])
    if f.get("status"):
        cond &= Q(status=str(f["status"]))
    in_service = bool_param(f.get("in_service"))
    if in_service is not None:
        cond &= Q(in_service=in_service)
    home = int_param(f.get("home"))
    if home:
        cond &= Q(home_community_id=home)
    employer = int_param(f.get("employer"))
    if employer:
        cond &= Q(employer_unit_id=employer)
    active = str(f.get("active", "1") or "1")
    if active == "1":
        cond &= Q(is_active=True)
    elif active == "0":
        cond &= Q(is_active=False)
    return cond


def member_ordering(filters: dict[str, Any] | None) -> tuple[str, ...]:
    return MEMBER_ORDERINGS.get(str((filters or {}).get("order") or ""), MEMBER_ORDERINGS[""])


def member_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.MEMBER_VIEW) -> QuerySet[Member]:
    """Members the actor may see, searched, filtered and ordered (see ``member_conditions``)."""
    return member_base(actor, action).filter(member_conditions(filters)).order_by(*member_ordering(filters))


def member_page_ids(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.MEMBER_VIEW) -> QuerySet[Any]:
    """The ordered keys of a member list, to paginate; ``member_rows`` then loads only the page.

    A district admin reaches members by their organisation's region *or* by where they live. One
    query with that OR makes the database visit every member row; instead each branch of the scope
    is its own query (an index-only range scan on the covering path indexes) and the branches are
    joined with UNION ALL (a member reached both ways is counted by the first branch only). Rows are ``(id, *sort keys)``.
    """
    return _joined(_member_parts(actor, filters, action), member_ordering(filters))


def _member_parts(actor: Actor, filters: dict[str, Any] | None, action: str) -> list[QuerySet[Any]]:
    """One query of ``(id, *sort keys)`` per branch of the actor's scope, disjoint, unordered (none: the actor reaches nobody)."""
    branches = scope_branches(actor, action, Member.scope_fields)
    cond = member_conditions(filters)
    order = member_ordering(filters)
    cols = ("id", *[o.lstrip("-") for o in order if o.lstrip("-") != "id"])
    base = Member.objects.order_by()
    if branches is None:
        return [base.filter(cond).values_list(*cols)]
    # Branches are made disjoint (each leaves out what the earlier ones reach), so UNION ALL needs no
    # de-duplication step and the count is a plain sum.
    parts: list[QuerySet[Any]] = []
    earlier = Q(pk__in=[])
    for b in branches:
        part = base.filter(b, cond)
        if parts:
            part = part.exclude(earlier)
        parts.append(part.values_list(*cols))
        earlier |= b
    return parts


def _joined(parts: Sequence[QuerySet[Any]], order: Sequence[str]) -> QuerySet[Any]:
    if not parts:
        return Member.objects.none().values_list("id")
    if len(parts) == 1:
        return parts[0].order_by(*order)
    return parts[0].union(*parts[1:], all=True).order_by(*order)


def member_page(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.MEMBER_VIEW) -> CountedRows:
    """``member_page_ids`` to paginate, counted through the cache (``counts``): the count is the sum of the branches'
    counts, and a branch that holds nobody is left out of the page's query. A city's administrator reaches every
    member by organisation and, again, by home: the home branch then holds no one, and without it the page is read
    in order straight from the ``orgs_member_list_order`` index instead of sorting the city's members.
    """
    parts = _member_parts(actor, filters, action)
    sizes = counts(parts, module=perms.MODULE)
    kept = [p for p, n in zip(parts, sizes, strict=True) if n]
    return _MemberRows(kept, member_ordering(filters), sum(sizes))


class _MemberRows(CountedRows):
    """The branches of a member list, joined. Where the database allows a LIMIT in each part of a UNION (PostgreSQL),
    a page up to row N is the first N rows of each branch, each read in order from ``orgs_member_list_order``, merged:
    a district's first page reads ~40 index entries instead of sorting its ~23,000 members."""

    def __init__(self, parts: list[QuerySet[Any]], order: tuple[str, ...], count: int) -> None:
        super().__init__(_joined(parts, order), module=perms.MODULE, count=count)
        self.parts, self.order = parts, order

    def __getitem__(self, index: Any) -> Any:
        if (isinstance(index, slice) and index.stop is not None and len(self.parts) > 1
                and connections[self.qs.db].features.supports_slicing_ordering_in_compound):
            tops = [p.order_by(*self.order)[: index.stop] for p in self.parts]
            return tops[0].union(*tops[1:], all=True).order_by(*self.order)[index]
        return super().__getitem__(index)


def member_ids(qs: QuerySet[Member]) -> QuerySet[Any]:
    """The ordered ids of an already built member list (exports and callers holding a queryset)."""
    return qs.select_related(None).values_list("pk", flat=True)


def member_rows(ids: Sequence[Any]) -> list[Member]:
    """One query: the members of a page, in the page's order, with related records joined and PII masked.

    ``ids`` are keys, or the ``(id, *sort keys)`` rows of ``member_page_ids``.
    """
    ids = [i[0] if isinstance(i, tuple | list) else i for i in ids]
    found = Member.objects.select_related("org", "employer_unit", "home_community").in_bulk(ids)
    return list(with_masked([found[i] for i in ids if i in found]))


def member_get(*, actor: Actor, id: Any, action: str = perms.MEMBER_VIEW) -> Member:
    return get_in_scope(Member.objects.select_related("org", "employer_unit", "home_community", "user"), actor, action, pk=id)


# What the member's own screen (``orgs:me``) shows, and all that ``member_of_user`` loads.
MEMBER_SELF_FIELDS = ("name", "status", "in_service", "join_date", "id_number_enc", "phone_enc", "user_id", "org__name",
                      "employer_unit__name", "home_community__name")


def member_of_user(*, actor: Actor) -> Member:
    """The member record of the signed-in member (404 when the account has none), with ``MEMBER_SELF_FIELDS`` only:
    any other field read from it is one more query."""
    if not can(actor, perms.MEMBER_SELF):
        raise NotFound()
    # one row by a unique key (no ORDER BY), with only what the page shows: the member's own screen, opened from a phone
    qs = Member.objects.select_related("org", "employer_unit", "home_community").only(*MEMBER_SELF_FIELDS)
    rows = list(qs.filter(user_id=actor_key(actor)).order_by()[:1])
    if not rows:
        raise NotFound()
    return rows[0]



def member_of_account(user_id: Any) -> Member | None:
    """The active member record linked to an account (None when there is none): for other modules, which do not
    read the members table themselves."""
    if not user_id:
        return None
    return Member.objects.filter(user_id=user_id, is_active=True).first()


def units_within(paths: Sequence[str] | None) -> QuerySet[ResidentUnit]:
    """Active resident units in the subtrees of ``paths`` (every one when None), by region and name: for other modules."""
    qs = ResidentUnit.objects.filter(is_active=True)
    if paths is not None:
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(region_path__startswith=p)
        qs = qs.filter(q)
    return qs.order_by("region_path", "name")


@dataclass(frozen=True)
class MaskedPII:
    id_number: str
    phone: str


def masked(m: Member) -> MaskedPII:
    return MaskedPII(pii.mask_id_number(pii.decrypt(m.id_number_enc)), pii.mask_phone(pii.decrypt(m.phone_enc)))


def with_masked(members: Sequence[Member]) -> Sequence[Member]:
    for m in members:
        mp = masked(m)
        m.id_masked = mp.id_number  # type: ignore[attr-defined]
        m.phone_masked = mp.phone  # type: ignore[attr-defined]
    return members


def may_reveal(actor: Actor, member: Member) -> bool:
    return can(actor, perms.MEMBER_PII) and in_scope(member, actor, perms.MEMBER_PII)


# --- party organisations ---------------------------------------------------------------------


def _in_region(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    """Records in the subtree of the region with this key (a key that is not a number: no condition; an unknown one: nothing)."""
    region = int_param(value)
    if not region:
        return qs
    r = Region.objects.filter(pk=region).only("path").first()
    return qs.filter(region_path__startswith=r.path) if r else qs.none()


def _active(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    """"1" active records, "0" inactive ones, anything else ("all") both."""
    return qs.filter(is_active=value == "1") if value in ("0", "1") else qs


def _active_first(filters: dict[str, Any] | None) -> dict[str, Any]:
    """The filters, with active records only unless ``active`` says otherwise."""
    f = filters or {}
    return {**f, "active": str(f.get("active", "1") or "1")}


ORG_FILTERS: dict[str, Filter] = {
    "q": lambda qs, q: qs.filter(name__icontains=q[:128]),
    "rank": by_value("rank"), "sector": by_value("sector"), "formation": by_value("formation"), "basis": by_value("basis"),
    "region": _in_region, "active": _active,
}


def _active_members(outer: str) -> Coalesce:
    """The number of active members whose ``outer`` is the row: a subquery per row, which the database runs only for
    the rows a page shows (a COUNT over a join would count the members of every organisation in the scope first)."""
    rows = Member.objects.filter(**{outer: OuterRef("pk")}, is_active=True).order_by().values(outer).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def org_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.ORG_VIEW) -> QuerySet[PartyOrg]:
    qs = scoped(PartyOrg.objects.select_related("region", "parent", "unit", "secretary"), actor, action)
    qs = apply_filters(qs, _active_first(filters), ORG_FILTERS)
    return qs.annotate(member_count=_active_members("org")).order_by("org_path")


def org_page(*, actor: Actor, filters: dict[str, Any] | None = None, finish: Callable[[list[Any]], Any] | None = None) -> CountedRows:
    """``org_list`` to paginate, counted through the cache (``counts``); ``finish`` is given each page's rows. The rows
    carry their region (the page and the API name it) but not the parent, unit and secretary records (their ids only)."""
    return CountedRows(org_list(actor=actor, filters=filters).select_related(None).select_related("region"), module=perms.MODULE, finish=finish)


def org_tree(*, actor: Actor, filters: dict[str, Any] | None = None) -> list[PartyOrg]:
    """Visible organisations in tree order with ``depth`` relative to the shallowest one shown."""
    rows = list(org_list(actor=actor, filters=filters))
    if not rows:
        return rows
    depths = [r.org_path.count("/") - 1 for r in rows]
    top = min(depths)
    for r, d in zip(rows, depths, strict=True):
        r.depth = d - top  # type: ignore[attr-defined]
        r.indent = (d - top) * 1.25  # type: ignore[attr-defined]
    return rows


def org_get(*, actor: Actor, id: Any, action: str = perms.ORG_VIEW) -> PartyOrg:
    return get_in_scope(PartyOrg.objects.select_related("region", "parent", "unit", "secretary"), actor, action, pk=id)


def org_children(*, actor: Actor, org: PartyOrg) -> QuerySet[PartyOrg]:
    return scoped(org.children.select_related("region"), actor, perms.ORG_VIEW).annotate(member_count=_active_members("org")).order_by("org_path")


# What pickers, their labels and the member services read of a chosen organisation: a district
# has ~1,400 organisations, and loading every column of each (and of its region) cost the member
# list page ~35 ms of its 100 ms budget.
ORG_CHOICE_FIELDS = ("id", "name", "rank", "org_path", "region_id", "region_path", "unit_id", "is_active", "region__id", "region__name")


def org_choices(*, actor: Actor, action: str = perms.MEMBER_MANAGE) -> QuerySet[PartyOrg]:
    qs = PartyOrg.objects.filter(is_active=True).select_related("region").only(*ORG_CHOICE_FIELDS)
    return scoped(qs, actor, action).order_by("org_path")


def org_choice(*, actor: Actor, id: Any, action: str = perms.MEMBER_MANAGE) -> PartyOrg | None:
    """One organisation of ``org_choices`` by id (the chosen filter when there are too many to list); None when not reachable."""
    pk = int_param(id)
    return org_choices(actor=actor, action=action).filter(pk=pk).first() if pk else None


def parent_choices(*, actor: Actor) -> QuerySet[PartyOrg]:
    """Organisations a new one may sit under: visible ones, and those located above the actor's regions."""
    paths = region_paths(actor, perms.ORG_MANAGE)
    qs = PartyOrg.objects.filter(is_active=True).exclude(rank="branch").select_related("region")
    if "" in paths:
        return qs.order_by("org_path")
    above = Q(pk__in=[])
    for p in paths:
        prefixes = ["/" + "/".join(p.strip("/").split("/")[: i + 1]) + "/" for i in range(p.strip("/").count("/") + 1)]
        above |= Q(region_path__in=prefixes)
    visible = scoped(PartyOrg.objects.all(), actor, perms.ORG_VIEW).values("pk")
    return qs.filter(above | Q(pk__in=visible)).order_by("org_path")


# --- regions in the actor's area (pickers) ----------------------------------------------------


def region_choices(*, actor: Actor, action: str, levels: Sequence[str] | None = None) -> QuerySet[Region]:
    return region_selectors.regions_in_area(actor=actor, action=action, levels=levels)


def community_choices() -> QuerySet[Region]:
    return Region.objects.filter(is_active=True, level=Level.COMMUNITY).order_by("path")


# --- resident units --------------------------------------------------------------------------


def _unit_text(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    """A unified social credit code exactly, else the text in the name or the address."""
    if _USCC_RE.match(q):
        return qs.filter(uscc=q.upper())
    return qs.filter(Q(name__icontains=q[:128]) | Q(address__icontains=q[:128]))


UNIT_FILTERS: dict[str, Filter] = {"q": _unit_text, "kind": by_value("kind"), "region": _in_region, "active": _active}


def unit_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.UNIT_VIEW) -> QuerySet[ResidentUnit]:
    qs = apply_filters(scoped(ResidentUnit.objects.select_related("region"), actor, action), _active_first(filters), UNIT_FILTERS)
    return qs.annotate(member_count=_active_members("employer_unit")).order_by("region_path", "name", "id")


def unit_page(*, actor: Actor, filters: dict[str, Any] | None = None, finish: Callable[[list[Any]], Any] | None = None) -> CountedRows:
    """``unit_list`` to paginate, counted through the cache (``counts``); ``finish`` is given each page's rows."""
    return CountedRows(unit_list(actor=actor, filters=filters), module=perms.MODULE, finish=finish)


def unit_get(*, actor: Actor, id: Any, action: str = perms.UNIT_VIEW) -> ResidentUnit:
    return get_in_scope(ResidentUnit.objects.select_related("region", "liaison"), actor, action, pk=id)


def unit_by_uscc(uscc: str) -> ResidentUnit | None:
    """An active unit by its code (for choosing an employer: the code is the user's own knowledge)."""
    return ResidentUnit.objects.filter(uscc=str(uscc or "").strip().upper(), is_active=True).first()


# --- policies --------------------------------------------------------------------------------


class RankedPolicies(Sequence[Policy]):
    """Policy ids in rank order; the Paginator slices it and only the page's rows are loaded."""

    def __init__(self, ranked: list[tuple[int, float]]):
        self.ranked = ranked

    def __len__(self) -> int:
        return len(self.ranked)

    def __iter__(self) -> Any:
        return iter(self[0 : len(self)])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            part = self.ranked[index]
            objs = Policy.objects.select_related("region").in_bulk([pk for pk, _s in part])
            out = []
            for pk, score in part:
                if pk in objs:
                    objs[pk].score = score  # type: ignore[attr-defined]
                    out.append(objs[pk])
            return out
        return self[index : index + 1][0]


def policy_base(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Policy]:
    if not can(actor, perms.POLICY_VIEW):
        return Policy.objects.none()
    f = filters or {}
    qs = Policy.objects.select_related("region")
    if str(f.get("active", "1") or "1") == "1":
        qs = qs.filter(is_active=True)
    if f.get("level"):
        qs = qs.filter(level=str(f["level"]))
    if f.get("role"):
        qs = qs.filter(role=str(f["role"]))
    year = int_param(f.get("year"))
    if year and 1900 < year < 2200:
        qs = qs.filter(issued_on__gte=dt.date(year, 1, 1), issued_on__lte=dt.date(year, 12, 31))
    return qs


def policy_search(*, actor: Actor, filters: dict[str, Any] | None = None) -> Sequence[Policy] | QuerySet[Policy]:
    """Ranked by BM25 over jieba tokens (title matches count double) when ``q`` is given, else newest first."""
    f = filters or {}
    qs = policy_base(actor=actor, filters=f)
    toks = search.query_tokens(str(f.get("q") or "").strip()[:200])
    if not toks:
        return qs.order_by("-issued_on", "-id")
    match = Q(pk__in=[])
    for t in toks:
        match |= Q(search_tokens__contains=f" {t} ")
    cands = {pk: (tokens, title) for pk, tokens, title in qs.filter(match).values_list("pk", "search_tokens", "title")}
    stats = Policy.objects.filter(is_active=True).aggregate(n=Count("pk"), avg=Avg("token_count"))
    scores = search.bm25_scores(toks, cands, total_docs=stats["n"] or 0, avg_len=float(stats["avg"] or 1.0))
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], -kv[0]))
    return RankedPolicies(ranked)


def policy_get(*, actor: Actor, id: Any) -> Policy:
    if not can(actor, perms.POLICY_VIEW):
        raise NotFound()
    try:
        return Policy.objects.select_related("region").prefetch_related("attachments").get(pk=id)
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def snippet(body: str, query: str, *, width: int = 80) -> tuple[str, str, str]:
    """(before, match, after) around the first query token in the body, for escaped highlighting."""
    toks = sorted(search.query_tokens(query or ""), key=len, reverse=True)
    low = (body or "").lower()
    for t in toks:
        i = low.find(t)
        if i >= 0:
            start = max(0, i - width // 2)
            return (("…" if start else "") + body[start:i], body[i : i + len(t)], body[i + len(t) : i + len(t) + width] + "…")
    return (body[:width] + ("…" if len(body) > width else ""), "", "")


def policy_years() -> list[int]:
    return sorted({d.year for d in Policy.objects.dates("issued_on", "year")}, reverse=True)
