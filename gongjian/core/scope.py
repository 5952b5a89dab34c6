"""Turn an actor's scope rows into one queryset filter.

Models that hold scoped records declare ``scope_fields = ScopeFields(...)``: which of their
columns carry a region path, a unit id, a department id, or the owning account. A region-subtree
scope becomes ``path LIKE '<scope path>%'`` on an indexed column of the record's own table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

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


def actor_scopes(actor: Any) -> list[ActorScope]:
    """The actor's active scope rows, read once per actor object."""
    if actor is None or not getattr(actor, "pk", None):
        return []
    cached = getattr(actor, "_gongjian_scopes", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from gongjian.accounts.models import Scope

    rows = [
        ActorScope(
            role=s.role,
            kind=s.kind,
            region_path=s.region.path if s.region is not None else "",
            unit_id=s.unit_id,
            department_id=s.department_id,
        )
        for s in Scope.objects.filter(user_id=actor.pk, is_active=True).select_related("region")
    ]
    actor._gongjian_scopes = rows
    return rows


def forget_scopes(actor: Any) -> None:
    if hasattr(actor, "_gongjian_scopes"):
        del actor._gongjian_scopes


def scope_q(actor: Any, action: str, fields: ScopeFields) -> Q | None:
    """The filter for records the actor may reach for ``action``; None means everything.

    Anonymous or inactive actors and unregistered actions reach nothing.
    """
    if actor is None or not getattr(actor, "is_active", False) or not getattr(actor, "is_authenticated", True):
        return Q(pk__in=[])
    if not is_registered(action):
        return Q(pk__in=[])
    if getattr(actor, "is_superuser", False):
        return None
    allowed = rules_for(action)
    q = Q(pk__in=[])
    for scope in actor_scopes(actor):
        reach = allowed.get(scope.role)
        if reach is None:
            continue
        if reach is Reach.SELF:
            for f in fields.user:
                q |= Q(**{f: actor.pk})
            continue
        if scope.kind == "region" and scope.region_path:
            for f in fields.region:
                q |= Q(**{f"{f}__startswith": scope.region_path})
        elif scope.kind == "unit" and scope.unit_id:
            for f in fields.unit:
                q |= Q(**{f: scope.unit_id})
        elif scope.kind == "department" and scope.department_id:
            for f in fields.department:
                q |= Q(**{f: scope.department_id})
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
