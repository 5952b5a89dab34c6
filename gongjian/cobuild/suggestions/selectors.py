"""Reads of the suggestions part: suggestions for one need, the rejected pairs, the subdistrict matching board.

Every read takes ``actor=``: the need must be one the actor may manage (else 404), and only resources within his reach
are suggested (see :mod:`.index` for which resources are candidates).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, overload

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import NotFound, ValidationError
from gongjian.core.kernel import Actor
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import actor_scopes, region_paths, scope_q, scoped
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import matching
from .. import permissions as cperms
from .. import selectors as cselectors
from ..choices import PROJECT_NEED_STATUSES, MatchVerdict, ProjectStatus
from ..models import MatchDecision, Need, Resource
from . import index as idx
from . import permissions as perms

TOP_K = 5
BOARD_MAX_NEEDS = 3000  # the board of a district with more published needs shows the first ones by community and publication
BOARD_TTL = 600  # seconds a computed board is kept; any change to its inputs gives it a new key before that
BOARD_CHUNK = 500  # rows read from the database at once when the whole board is iterated (export)


@dataclass
class SuggestionRow:
    need: Need
    resource: Resource
    rank: int
    score: float
    reasons: tuple[str, ...]
    components: dict[str, float]
    default_amount: Decimal | None

    @property
    def capacity_unit_label(self) -> str:
        return idx.CAPACITY_UNIT_ZH.get(self.resource.capacity_unit, "")

    @property
    def score_percent(self) -> int:
        return round(self.score * 100)

    @property
    def amount_text(self) -> str:
        return plain(self.default_amount)

    @property
    def remaining_text(self) -> str:
        return plain(self.resource.remaining)


def plain(d: Decimal | None) -> str:
    """A decimal without exponent or trailing zeros (50000.00 → "50000", 2.50 → "2.5")."""
    return "" if d is None else format(d.normalize(), "f")


def need_for_matching(*, actor: Actor, id: Any) -> Need:
    """A need the actor may manage and see suggestions for; 404 otherwise."""
    if not can(actor, perms.SUGGEST_VIEW):
        raise NotFound()
    return cselectors.need_get(actor=actor, id=id, action=cperms.NEED_MANAGE)


def is_suggestable(need: Need) -> bool:
    return need.status in PROJECT_NEED_STATUSES


def default_amount(need: Need, resource: Resource) -> Decimal | None:
    """What accepting commits by default: the need's quantity where it is in the resource's unit (at most what is left);
    1 for a resource whose capacity is not counted; otherwise nothing (staff type it)."""
    qty, unit = idx.need_quantity(need)
    if qty is not None and qty > 0 and unit == resource.capacity_unit:
        amount = min(qty, resource.remaining) if resource.remaining is not None else qty
    elif resource.remaining is None:
        amount = Decimal(1)
    else:
        return None
    amount = amount.quantize(Decimal("0.01"))
    return amount if amount > 0 else None


def visible_resource_ids(actor: Actor, index: idx.Index) -> np.ndarray:
    """Mask of the resources the actor may commit to a project (``cobuild.selectors.resource_base``)."""
    if scope_q(actor, cperms.RESOURCE_VIEW, Resource.scope_fields) is None:
        return np.ones(index.size, dtype=bool)
    ids = cselectors.resource_base(actor, cperms.RESOURCE_VIEW).filter(idx.live_q(index.today)).values_list("id", flat=True)
    return index.mask_of(ids)


def decided_resource_ids(need_ids: list[int]) -> dict[int, set[int]]:
    """Per need: resources rejected for it, or accepted into a project that is still running."""
    out: dict[int, set[int]] = {}
    rows = MatchDecision.objects.filter(need_id__in=need_ids).filter(
        Q(verdict=MatchVerdict.REJECTED) | (Q(verdict=MatchVerdict.ACCEPTED) & ~Q(project__status=ProjectStatus.CANCELLED))
    ).values_list("need_id", "resource_id")
    for nid, rid in rows:
        out.setdefault(nid, set()).add(rid)
    return out


def _rows(needs: list[Need], suggestions: dict[str, list[matching.Suggestion]]) -> dict[int, list[SuggestionRow]]:
    ids = {int(s.resource_id) for items in suggestions.values() for s in items}
    resources = Resource.objects.select_related("unit", "category").in_bulk(list(ids))
    out: dict[int, list[SuggestionRow]] = {}
    for n in needs:
        rows = []
        for s in suggestions.get(str(n.pk), []):
            r = resources.get(int(s.resource_id))
            if r is None:  # deleted since the index was read
                continue
            rows.append(SuggestionRow(n, r, s.rank, s.score, s.reasons, s.components, default_amount(n, r)))
        out[n.pk] = rows
    return out


def suggestions_for_need(*, actor: Actor, need: Need, k: int = TOP_K) -> list[SuggestionRow]:
    """The best ``k`` resources for the need, best first, with score and reasons; empty unless the need is published."""
    if not can(actor, perms.SUGGEST_VIEW) or not is_suggestable(need):
        return []
    k = max(1, min(int(k), 20))
    index = idx.current_index()
    if index.size == 0:
        return []
    allowed = index.serving(need) & visible_resource_ids(actor, index)
    decided = decided_resource_ids([need.pk]).get(need.pk, set())
    if decided:
        allowed &= ~index.mask_of(decided)
    found = index.matcher.suggest_all([idx.engine_need(need)], top_k=k, only={str(need.pk): allowed})
    return _rows([need], found)[need.pk]


def rejected_for_need(*, actor: Actor, need: Need) -> QuerySet[MatchDecision]:
    if not can(actor, perms.SUGGEST_VIEW):
        return MatchDecision.objects.none()
    return (MatchDecision.objects.filter(need=need, verdict=MatchVerdict.REJECTED)
            .select_related("resource", "resource__unit", "decided_by").order_by("-created_at", "-id"))


def accepted_for_need(*, actor: Actor, need: Need) -> QuerySet[MatchDecision]:
    if not can(actor, perms.SUGGEST_VIEW):
        return MatchDecision.objects.none()
    return (MatchDecision.objects.filter(need=need, verdict=MatchVerdict.ACCEPTED)
            .select_related("resource", "resource__unit", "project", "decided_by").order_by("-created_at", "-id"))


# --- the matching board ------------------------------------------------------------------------------


def board_regions(*, actor: Actor) -> QuerySet[Region]:
    """Districts and subdistricts the actor may open the board for."""
    if not can(actor, perms.MATCH_BOARD):
        return Region.objects.none()
    return cselectors.regions_in_area(actor, perms.MATCH_BOARD, Level.DISTRICT, Level.SUBDISTRICT)


def board_region(*, actor: Actor, region: Any) -> Region:
    """The region of the board: the one asked for (a district or subdistrict in reach), or the actor's own."""
    regions = board_regions(actor=actor)
    pk = int_param(region) if region not in (None, "") else None
    if pk is not None:  # a malformed value is ignored (own area); a region out of reach is not found
        found = regions.filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return found
    own = [p for p in region_paths(actor, perms.MATCH_BOARD) if p]
    first = regions.filter(path__in=own).first() or regions.first()
    if first is None:
        raise NotFound()
    return first


@dataclass
class BoardRow:
    need: Need
    proposal: SuggestionRow | None
    alternatives: int  # further suggestions the need had before the assignment

    @property
    def quantity_text(self) -> str:
        return f"{plain(self.need.quantity)} {self.need.quantity_unit}".strip() if self.need.quantity is not None else ""


@dataclass(frozen=True)
class BoardEntry:
    """One row of a computed board, as the cache holds it: the need and the proposal by id, with the engine's score."""

    need_id: int
    resource_id: int | None
    rank: int
    score: float
    reasons: tuple[str, ...]
    components: dict[str, float]
    alternatives: int


class Board(Sequence[BoardRow]):
    """The board's rows in order. Its length and the number of proposals are known without reading any record; the
    needs and resources are read only for the rows asked for (a page: two queries), so a page of a district's board
    costs the same as a page of a subdistrict's."""

    def __init__(self, entries: list[BoardEntry]) -> None:
        self.entries = entries
        self.proposed = sum(1 for e in entries if e.resource_id is not None)

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, i: int) -> BoardRow: ...
    @overload
    def __getitem__(self, i: slice) -> list[BoardRow]: ...
    def __getitem__(self, i: int | slice) -> BoardRow | list[BoardRow]:
        if isinstance(i, slice):
            return _board_rows(self.entries[i])
        rows = _board_rows([self.entries[i]])
        if not rows:  # pragma: no cover - the need was deleted since the board was computed
            raise IndexError(i)
        return rows[0]

    def __iter__(self) -> Iterator[BoardRow]:
        for start in range(0, len(self.entries), BOARD_CHUNK):
            yield from _board_rows(self.entries[start:start + BOARD_CHUNK])


def _board_rows(entries: list[BoardEntry]) -> list[BoardRow]:
    """The entries with their needs and proposed resources read (two queries)."""
    needs = Need.objects.select_related("category", "community").in_bulk([e.need_id for e in entries])
    resources = Resource.objects.select_related("unit", "category").in_bulk([e.resource_id for e in entries if e.resource_id is not None])
    out = []
    for e in entries:
        n = needs.get(e.need_id)
        if n is None:  # deleted since the board was computed (its key has changed since)
            continue
        r = resources.get(e.resource_id) if e.resource_id is not None else None
        proposal = SuggestionRow(n, r, e.rank, e.score, e.reasons, e.components, default_amount(n, r)) if r is not None else None
        out.append(BoardRow(n, proposal, e.alternatives))
    return out


def _scope_signature(actor: Actor) -> str:
    rows = sorted((s.role, s.kind, s.region_path, s.unit_id or 0, s.department_id or 0) for s in actor_scopes(actor))
    return repr((bool(getattr(actor, "is_superuser", False)), rows))


def _board_needs(actor: Actor, region: Region) -> QuerySet[Need]:
    return scoped(Need.objects.filter(status__in=PROJECT_NEED_STATUSES), actor, cperms.NEED_MANAGE).filter(region_path__startswith=region.path)


def _board_key(actor: Actor, region: Region, index: idx.Index) -> str:
    """What the board of ``region`` for this actor is computed from: his scope, the published needs of the region in
    it, the decisions on them (and the status of the projects they became) and the resources (the index's key, which
    also holds today's date). Read from the records themselves (three aggregates), so that any change — through a
    service, an import or the admin — gives the board a new key."""
    needs = _board_needs(actor, region).aggregate(n=Count("id"), last=Max("updated_at"), ids=Sum("id"))
    decisions = MatchDecision.objects.filter(need__region_path__startswith=region.path).aggregate(
        n=Count("id"), last=Max("updated_at"), ids=Sum("id"), project=Max("project__updated_at"))
    text = repr((region.pk, region.path, _scope_signature(actor), sorted(needs.items()), sorted(decisions.items()), index.key))
    return "cobuild:board:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def assign_rounds(needs: list[matching.Need], matcher: matching.Matcher, found: dict[str, list[matching.Suggestion]],
                  rounds: int = 4) -> dict[str, str]:
    """Need id → resource id: the global assignment, never promising a resource beyond its remaining capacity.

    Round 1 gives every resource room for one need (``matching.assign``: maximum total score, each need one resource).
    A resource whose proposals all have a known amount in its own unit (the need's quantity) keeps what is left over,
    and later rounds offer that rest to needs still without a proposal whose quantity fits in it; a resource proposed
    without a known amount (no comparable quantity, or a capacity not counted) is promised once.
    """
    by_id = {r.id: r for r in matcher.resources}
    left: dict[str, float] = {}  # resource id → capacity still unpromised (absent: not yet proposed; 0: no more)

    def amount(n: matching.Need, r: matching.Resource) -> float | None:
        if n.quantity is None or not n.quantity_unit or n.quantity_unit != r.capacity_unit or r.capacity is None:
            return None
        return min(n.quantity, r.capacity)

    out: dict[str, str] = {}
    need_by_id = {n.id: n for n in needs}
    for round_no in range(rounds):
        todo = [n for n in needs if n.id not in out]
        edges: dict[str, list[matching.Suggestion]] = {}
        for n in todo:
            keep = []
            for s in found.get(n.id, []):
                r = by_id.get(s.resource_id)
                if r is None:
                    continue
                if s.resource_id not in left:
                    keep.append(s)
                elif round_no and left[s.resource_id] > 0:
                    a = amount(n, r)
                    if a is not None and n.quantity is not None and n.quantity <= left[s.resource_id] + 1e-9:
                        keep.append(s)
            if keep:
                edges[n.id] = keep
        if not edges:
            break
        used = {s.resource_id for items in edges.values() for s in items}
        slots = [replace(by_id[rid], capacity=1.0) for rid in sorted(used)]
        got = matching.assign([need_by_id[nid] for nid in edges], slots, edges)
        if not got:
            break
        for nid, rid, _one in got:
            out[nid] = rid
            r = by_id[rid]
            a = amount(need_by_id[nid], r)
            start = left.get(rid, r.capacity if r.capacity is not None else 0.0)
            left[rid] = start - a if a is not None and start is not None else 0.0
    return out


def board(*, actor: Actor, region: Region, k: int = TOP_K) -> Board:
    """All published needs of the region (within the actor's reach) with the global assignment's proposal each.

    Each need gets at most one resource, chosen over every need's top ``k`` so that the total score is highest, and a
    resource is never promised beyond its remaining capacity (:func:`assign_rounds`). The proposed amount is the need's
    quantity where it is in the resource's unit, never more than is left. After an acceptance the board is computed
    again from the remaining capacity.

    The assignment (the engine over every need of a district) is computed once per set of inputs (:func:`_board_key`)
    and kept in the cache; a request then reads only the rows of its page (:class:`Board`).
    """
    if not can(actor, perms.MATCH_BOARD) or region.level not in (Level.DISTRICT, Level.SUBDISTRICT):
        raise NotFound()
    index = idx.current_index()
    key = f"{_board_key(actor, region, index)}:{k}"
    entries = cache.get(key)
    if entries is None:
        entries = _compute_board(actor, region, index, k)
        cache.set(key, entries, BOARD_TTL)
    return Board(entries)


def warm_board_cache() -> None:
    """Load the cache's client once, before the server forks its workers (a ``Warmup`` step): the board is read from the
    cache, and a worker's first read would otherwise import the client library (redis-py: about a second on a busy
    machine) inside a request. Its connection pool notices the fork and opens new connections in each worker."""
    cache.get("cobuild:board:warm")


def _compute_board(actor: Actor, region: Region, index: idx.Index, k: int) -> list[BoardEntry]:
    needs = list(
        _board_needs(actor, region).select_related("category", "community")
        .order_by("community__path", "published_at", "id")[:BOARD_MAX_NEEDS]
    )
    if not needs:
        return []
    if index.size == 0:
        return [BoardEntry(n.pk, None, 0, 0.0, (), {}, 0) for n in needs]
    visible = visible_resource_ids(actor, index)
    decided = decided_resource_ids([n.pk for n in needs])
    only: dict[str, Any] = {}
    for n in needs:
        mask = index.serving(n) & visible
        if decided.get(n.pk):
            mask &= ~index.mask_of(decided[n.pk])
        only[str(n.pk)] = mask
    engine_needs = [idx.engine_need(n) for n in needs]
    found = index.matcher.suggest_all(engine_needs, top_k=k, only=only)
    pairs = assign_rounds(engine_needs, index.matcher, found)
    out = []
    for n in needs:
        nid = str(n.pk)
        chosen = next((s for s in found.get(nid, []) if nid in pairs and s.resource_id == pairs[nid]), None)
        alternatives = len(found.get(nid, []))
        if chosen is None:
            out.append(BoardEntry(n.pk, None, 0, 0.0, (), {}, alternatives))
        else:
            out.append(BoardEntry(n.pk, int(chosen.resource_id), chosen.rank, float(chosen.score), tuple(chosen.reasons),
                                  {str(a): float(b) for a, b in chosen.components.items()}, alternatives))
    return out


def validate_k(value: Any) -> int:
    k = int_param(value) if value not in (None, "") else TOP_K
    if k is None or k > 20:
        raise ValidationError.for_field("k", _("Enter a whole number from 1 to 20."))
    return k
