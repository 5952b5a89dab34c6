"""Turn an actor's scope rows into one queryset filter.

Models that hold scoped records declare ``scope_fields = ScopeFields(...)``: which of their
columns carry a region path, a unit id, a department id, or the owning account. A region-subtree
scope becomes ``path LIKE '<scope path>%'`` on an indexed column of the record's own table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet

from . import versions
from .contracts import scope_model
from .errors import NotFound
from .permissions import Reach, is_registered, rules_for

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ScopeFields:
    region: tuple[str, ...] = ()
    unit: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    user: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActorScope:
    role: str
    kind: str
    region_path: str
    unit_id: int | None
    department_id: int | None
    place: str = field(default="", compare=False)  # the region's, unit's or department's name, for the top bar


def actor_scopes(actor: Any) -> list[ActorScope]:
    """The actor's active scope rows, read once per actor object."""
    if actor is None or not getattr(actor, "pk", None):
        return []
    cached = getattr(actor, "_gongjian_scopes", None)
    if cached is not None:
        return cached
    rows = _shared_scopes(actor.pk)
    actor._gongjian_scopes = rows
    return rows


# The modules whose writes change what ``actor_scopes`` answers: the scope rows (accounts' grant and revoke), the
# regions' paths and names, the departments' names. A unit's name (the place a liaison's top bar shows) follows a
# rename within SCOPES_TTL: every write of orgs (members, all day long) would otherwise read every account's scopes again.
SCOPE_MODULES = ("accounts", "regions")
SCOPES_TTL = 300  # seconds at most, for a write that bypasses the services


def _shared_scopes(user_id: int) -> list[ActorScope]:
    """The account's active scope rows, kept in the shared cache beside the versions of ``SCOPE_MODULES``: every
    request of every page and API call needs them, and they change only by the writes that move those versions (a
    revoked scope is gone from the next request after the revocation commits, on every server)."""
    key = f"scopes:{user_id}"
    vkeys = [versions.version_key(m) for m in SCOPE_MODULES]
    found = cache.get_many([key, *vkeys])
    now = tuple(found.get(k) or 0 for k in vkeys)
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == now:
        return list(stored[1])
    rows = _read_scopes(user_id)
    cache.set(key, (now, rows), SCOPES_TTL)
    return rows


def _read_scopes(user_id: int) -> list[ActorScope]:
    return [
        ActorScope(
            role=s.role,
            kind=s.kind,
            region_path=s.region.path if s.region is not None else "",
            unit_id=s.unit_id,
            department_id=s.department_id,
            place=str(s.region or s.unit or s.department or ""),
        )
        for s in scope_model().objects.filter(user_id=user_id, is_active=True).select_related("region", "unit", "department").order_by("id")
    ]


def forget_scopes(actor: Any) -> None:
    if hasattr(actor, "_gongjian_scopes"):
        del actor._gongjian_scopes


def path_prefix_q(field: str, prefix: str) -> Q:
    """``field`` lies under the region path ``prefix`` — one indexed comparison on either database.

    PostgreSQL: ``LIKE 'prefix%'`` served by the ``varchar_pattern_ops`` indexes. SQLite's LIKE is
    case-insensitive and cannot use a plain index, so there the same set is written as a range:
    paths are ASCII digits and slashes, and every string that starts with ``/…/`` sorts at or after
    it and before the same text with its final ``/`` replaced by ``0`` (the next byte).
    """
    if connection.vendor == "sqlite" and prefix.endswith("/"):
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + "0"})
    return Q(**{f"{field}__startswith": prefix})


def scope_branches(actor: Any, action: str, fields: ScopeFields) -> list[Q] | None:
    """The actor's reach for ``action`` as separate conditions whose OR is the scope; None means everything.

    Selectors of large tables can run one query per branch and UNION them (each branch then uses its
    own index), instead of one OR that makes the database scan the table.
    """
    if actor is None or not getattr(actor, "is_active", False) or not getattr(actor, "is_authenticated", True):
        return []
    if not is_registered(action):
        return []
    if getattr(actor, "is_superuser", False):
        return None
    allowed = rules_for(action)
    branches: list[Q] = []
    seen: set[str] = set()

    def add(q: Q) -> None:
        key = repr(q)
        if key not in seen:
            seen.add(key)
            branches.append(q)

    for scope in actor_scopes(actor):
        reach = allowed.get(scope.role)
        if reach is None:
            continue
        if reach is Reach.SELF:
            for f in fields.user:
                add(Q(**{f: actor.pk}))
            continue
        if scope.kind == "region" and scope.region_path:
            for f in fields.region:
                add(path_prefix_q(f, scope.region_path))
        elif scope.kind == "unit" and scope.unit_id:
            for f in fields.unit:
                add(Q(**{f: scope.unit_id}))
        elif scope.kind == "department" and scope.department_id:
            for f in fields.department:
                add(Q(**{f: scope.department_id}))
    return branches


def scope_q(actor: Any, action: str, fields: ScopeFields) -> Q | None:
    """The filter for records the actor may reach for ``action``; None means everything.

    Anonymous or inactive actors and unregistered actions reach nothing.
    """
    branches = scope_branches(actor, action, fields)
    if branches is None:
        return None
    q = Q(pk__in=[])
    for b in branches:
        q |= b
    return q


def scoped(qs: QuerySet[M], actor: Any, action: str, fields: ScopeFields | None = None) -> QuerySet[M]:
    fields = fields or qs.model.scope_fields  # type: ignore[attr-defined]
    q = scope_q(actor, action, fields)
    return qs if q is None else qs.filter(q)


def get_in_scope(qs: QuerySet[M], actor: Any, action: str, fields: ScopeFields | None = None, **lookup: Any) -> M:
    """One record by lookup inside the scope; outside it (or absent) is NotFound, never a hint."""
    try:
        return scoped(qs, actor, action, fields).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def in_scope(obj: Model, actor: Any, action: str) -> bool:
    return scoped(type(obj)._default_manager.filter(pk=obj.pk), actor, action).exists()


def region_paths(actor: Any, action: str) -> list[str]:
    """The region paths the actor reaches for ``action`` (for pickers and trees); [""] = all."""
    if not is_registered(action) or actor is None or not getattr(actor, "is_active", False):
        return []
    if getattr(actor, "is_superuser", False):
        return [""]
    allowed = rules_for(action)
    return sorted({s.region_path for s in actor_scopes(actor) if s.kind == "region" and allowed.get(s.role) is Reach.SCOPE and s.region_path})
