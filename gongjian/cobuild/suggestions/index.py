"""The matching engine's inputs, built from the database, and the engine's index kept in memory between requests.

**Which resources are candidates for a need** (decided here, documented in docs/performance.md too):

* *live*: on offer, remaining capacity above zero or not counted, and available until today or later;
* *serving the need's community*: a resource that names service regions serves the communities inside them (a region
  that is the community or an ancestor of it; a region inside the community — a grid — serves it too). A resource
  without service regions serves by its radius around its unit when both the unit and the need have coordinates,
  otherwise the district its unit is located in. The engine then scores distance, period and text; a unit outside its
  own radius still ranks low and says so ("超出服务半径");
* *within the staff member's reach*: the resources the accepting administrator may commit to a project — those of units
  located in his area and those on offer whose service regions contain his area or lie inside it (the same rule as
  ``cobuild.selectors.resource_base``, which ``project_create`` checks again);
* *not rejected* for that need, and not already taken up by an active project of that need.

**The index.** Reading texts (jieba) is the expensive part; it is done once per process and reused until resources
change. Every request reads a few aggregates (count and last change of resources, units, categories and regions, the sum
of remaining capacity); when they moved, the rows that changed are compared with what the index holds: capacity or
status changes are patched into a copy of the index (:meth:`Matcher.with_capacity`), anything else (a new resource,
an edited text, a unit that moved) builds it again — reading only texts it has not seen (a token cache).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import Region

from .. import matching
from ..choices import CapacityUnit, ResourceStatus
from ..models import Category, Need, Resource

#: The capacity units as the engine's reasons print them ("剩余 50000 元").
CAPACITY_UNIT_ZH: dict[str, str] = {
    CapacityUnit.SQUARE_METRES: "平方米",
    CapacityUnit.YUAN: "元",
    CapacityUnit.PEOPLE: "人",
    CapacityUnit.HOURS: "小时",
    CapacityUnit.ITEMS: "件",
}
# What staff type as a need's unit of measure → (capacity unit, factor).
_QUANTITY_UNITS: dict[str, tuple[str, Decimal]] = {}
for _words, _unit, _factor in (
    (("元", "块", "块钱", "人民币", "rmb", "yuan", "¥"), CapacityUnit.YUAN, Decimal(1)),
    (("万元", "万"), CapacityUnit.YUAN, Decimal(10000)),
    (("平方米", "平米", "平方", "㎡", "m²", "m2", "平方公尺"), CapacityUnit.SQUARE_METRES, Decimal(1)),
    (("人", "人次", "名", "位", "个人", "people", "persons"), CapacityUnit.PEOPLE, Decimal(1)),
    (("小时", "个小时", "时", "h", "hours", "hour"), CapacityUnit.HOURS, Decimal(1)),
    (("件", "个", "份", "台", "套", "箱", "本", "张", "把", "辆", "袋", "盒", "桶", "items"), CapacityUnit.ITEMS, Decimal(1)),
):
    for _w in _words:
        _QUANTITY_UNITS[_w] = (_unit, _factor)


def need_quantity(need: Need) -> tuple[Decimal | None, str]:
    """The need's quantity in a capacity unit (``(amount, CapacityUnit value)``), or ``(None, "")`` when unknown."""
    if need.quantity is None:
        return None, ""
    hit = _QUANTITY_UNITS.get(need.quantity_unit.strip().lower())
    if hit is None:
        return None, ""
    return need.quantity * hit[1], hit[0]


def district_path(path: str) -> str:
    """The district part of a region path ("/410100/410103/…" → "/410100/410103/"); the path itself above that."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if parts else "/"


def engine_need(n: Need) -> matching.Need:
    qty, unit = need_quantity(n)
    return matching.Need(
        id=str(n.pk), title=n.title, description=n.description, category=n.category.name if n.category_id and n.category else "",
        lat=float(n.lat) if n.lat is not None else None, lng=float(n.lng) if n.lng is not None else None,
        wanted_from=n.wanted_from, wanted_to=n.wanted_to, quantity=float(qty) if qty is not None else None,
        quantity_unit=CAPACITY_UNIT_ZH.get(unit, ""), region_code=n.region_path,
    )


def live_q(today: dt.date) -> Q:
    """Resources that can be suggested at all: on offer, capacity left (or not counted), not expired."""
    return (Q(status=ResourceStatus.OFFERED) & (Q(remaining__isnull=True) | Q(remaining__gt=0))
            & (Q(available_to__isnull=True) | Q(available_to__gte=today)))


def _capacity(status: str, remaining: Decimal | None, available_to: dt.date | None, today: dt.date) -> float | None:
    """What the engine should take as a resource's capacity now: 0 takes it out."""
    if status != ResourceStatus.OFFERED or (available_to is not None and available_to < today):
        return 0.0
    return float(remaining) if remaining is not None else None


_SIG_FIELDS = ("title", "description", "category_id", "radius_km", "available_from", "available_to", "capacity_unit", "unit_id")


@dataclass
class Index:
    """One built matcher and what the web app needs beside it, per resource position ``j``."""

    key: tuple[Any, ...]
    today: dt.date
    matcher: matching.Matcher
    ids: list[int]
    stamps: dict[int, dt.datetime]  # id → updated_at when built (or patched)
    sigs: dict[int, tuple[Any, ...]]  # id → text-relevant fields
    unit_district: np.ndarray  # district path of the unit, per j
    unit_lat: np.ndarray
    unit_lng: np.ndarray
    radius: np.ndarray
    has_regions: np.ndarray
    serves_exact: dict[str, list[int]] = field(default_factory=dict)  # service region path → js
    serves_below: dict[str, list[int]] = field(default_factory=dict)  # ancestor path of a service region → js

    @property
    def size(self) -> int:
        return len(self.ids)

    def position(self, resource_id: int) -> int | None:
        return self.matcher.index_of.get(str(resource_id))

    def mask_of(self, resource_ids: Iterable[int] | None) -> np.ndarray:
        """True for the given resource ids (None: all)."""
        if resource_ids is None:
            return np.ones(self.size, dtype=bool)
        return self.matcher.allowed_mask([str(i) for i in resource_ids])

    def serving(self, need: Need) -> np.ndarray:
        """Which resources serve the need's community (see the module's docstring)."""
        path = need.region_path
        mask = np.zeros(self.size, dtype=bool)
        parts = [p for p in path.split("/") if p]
        for k in range(1, len(parts) + 1):
            js = self.serves_exact.get("/" + "/".join(parts[:k]) + "/")
            if js:
                mask[js] = True
        below = self.serves_below.get(path)
        if below:
            mask[below] = True
        # without service regions: the radius when both sides have coordinates, else the unit's district
        free = ~self.has_regions
        by_district = free & (self.unit_district == district_path(path))
        if need.lat is not None and need.lng is not None:
            lat1, lng1 = math.radians(float(need.lat)), math.radians(float(need.lng))
            with np.errstate(invalid="ignore"):
                a = (np.sin((self.unit_lat - lat1) / 2) ** 2
                     + np.cos(lat1) * np.cos(self.unit_lat) * np.sin((self.unit_lng - lng1) / 2) ** 2)
                dist = 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
                measurable = free & ~np.isnan(self.radius) & ~np.isnan(dist)
                mask |= measurable & (dist <= self.radius)
            mask |= by_district & ~measurable
        else:
            mask |= by_district
        return mask


_lock = threading.Lock()
_current: Index | None = None
_token_cache: dict[str, Any] = {}
_stats = {"builds": 0, "patches": 0}


def _key(today: dt.date) -> tuple[Any, ...]:
    res = Resource.objects.aggregate(n=Count("id"), last=Max("updated_at"), left=Sum("remaining"))
    units = ResidentUnit.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    cats = Category.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    regions = Region.objects.aggregate(n=Count("id"), last=Max("updated_at"))  # service regions are held by path
    return (today, res["n"], res["last"], res["left"], units["n"], units["last"], cats["n"], cats["last"], regions["n"], regions["last"])


def _sig(row: dict[str, Any], regions: tuple[str, ...]) -> tuple[Any, ...]:
    return (*(row[f] for f in _SIG_FIELDS), regions)


def _region_paths(ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    through = Resource.service_regions.through
    out: dict[int, list[str]] = {}
    rows = through.objects.filter(resource_id__in=list(ids)).values_list("resource_id", "region__path").order_by("resource_id", "region__path")
    for rid, path in rows:
        out.setdefault(rid, []).append(path)
    return {k: tuple(v) for k, v in out.items()}


def _build(key: tuple[Any, ...], today: dt.date) -> Index:
    rows = list(
        Resource.objects.filter(live_q(today))
        .values("id", "updated_at", "remaining", "unit__name", "unit__lat", "unit__lng", "unit__region_path", "category__name", *_SIG_FIELDS)
        .order_by("id")
    )
    paths = _region_paths(r["id"] for r in rows) if rows else {}
    resources: list[matching.Resource] = []
    for r in rows:
        resources.append(matching.Resource(
            id=str(r["id"]), title=r["title"], description=r["description"], category=r["category__name"] or "", unit=r["unit__name"],
            lat=float(r["unit__lat"]) if r["unit__lat"] is not None else None,
            lng=float(r["unit__lng"]) if r["unit__lng"] is not None else None,
            radius_km=float(r["radius_km"]) if r["radius_km"] is not None else None,
            capacity=float(r["remaining"]) if r["remaining"] is not None else None,
            available_from=r["available_from"], available_to=r["available_to"],
            service_region_codes=paths.get(r["id"], ()), capacity_unit=CAPACITY_UNIT_ZH.get(r["capacity_unit"], ""),
        ))
    matcher = matching.Matcher(resources, today=today, token_cache=_token_cache)
    nan = math.nan
    index = Index(
        key=key, today=today, matcher=matcher, ids=[r["id"] for r in rows],
        stamps={r["id"]: r["updated_at"] for r in rows}, sigs={r["id"]: _sig(r, paths.get(r["id"], ())) for r in rows},
        unit_district=np.array([district_path(r["unit__region_path"] or "") for r in rows], dtype=object),
        unit_lat=np.radians(np.array([float(r["unit__lat"]) if r["unit__lat"] is not None else nan for r in rows], dtype=np.float64)),
        unit_lng=np.radians(np.array([float(r["unit__lng"]) if r["unit__lng"] is not None else nan for r in rows], dtype=np.float64)),
        radius=np.array([float(r["radius_km"]) if r["radius_km"] is not None else nan for r in rows], dtype=np.float64),
        has_regions=np.array([bool(paths.get(r["id"])) for r in rows], dtype=bool),
    )
    for j, r in enumerate(rows):
        for p in paths.get(r["id"], ()):
            index.serves_exact.setdefault(p, []).append(j)
            parts = [x for x in p.split("/") if x]
            for k in range(1, len(parts)):
                index.serves_below.setdefault("/" + "/".join(parts[:k]) + "/", []).append(j)
    _stats["builds"] += 1
    return index


def _refresh(old: Index, key: tuple[Any, ...], today: dt.date) -> Index:
    """The index for ``key``: ``old`` patched when only capacities or statuses changed, else built again."""
    if old.key[0] != today or old.key[4:] != key[4:]:
        return _build(key, today)
    light = Resource.objects.values_list("id", "updated_at", "status", "remaining", "available_to")
    changed: dict[int, tuple[dt.datetime, float | None]] = {}
    live_now: set[int] = set()
    for rid, stamp, status, remaining, available_to in light:
        cap = _capacity(status, remaining, available_to, today)
        if cap != 0.0:
            live_now.add(rid)
        if old.stamps.get(rid) != stamp:
            changed[rid] = (stamp, cap)
    if any(rid not in old.sigs and rid in live_now for rid in changed):
        return _build(key, today)  # a resource the index does not hold is now on offer
    known = [rid for rid in changed if rid in old.sigs]
    if known:
        paths = _region_paths(known)
        for row in Resource.objects.filter(pk__in=known).values("id", *_SIG_FIELDS):
            if _sig(row, paths.get(row["id"], ())) != old.sigs[row["id"]]:
                return _build(key, today)
    capacity: dict[str, float | None] = {str(rid): changed[rid][1] for rid in known}
    capacity.update({str(rid): 0.0 for rid in old.sigs if rid not in live_now})  # withdrawn, exhausted or deleted
    stamps = dict(old.stamps)
    stamps.update({rid: changed[rid][0] for rid in known})
    _stats["patches"] += 1
    return Index(key=key, today=today, matcher=old.matcher.with_capacity(capacity), ids=old.ids, stamps=stamps, sigs=old.sigs,
                 unit_district=old.unit_district, unit_lat=old.unit_lat, unit_lng=old.unit_lng, radius=old.radius,
                 has_regions=old.has_regions, serves_exact=old.serves_exact, serves_below=old.serves_below)


def current_index() -> Index:
    """The engine's index for the resources as they are now (built or patched when they changed)."""
    global _current
    today = timezone.localdate()
    key = _key(today)
    index = _current
    if index is not None and index.key == key:
        return index
    with _lock:
        index = _current
        if index is not None and index.key == key:
            return index
        index = _build(key, today) if index is None else _refresh(index, key, today)
        _current = index
        return index


def forget() -> None:
    """Drop the index (tests; a fresh database)."""
    global _current
    with _lock:
        _current = None


def stats() -> dict[str, int]:
    return dict(_stats)
