from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from gongjian.core import permissions, registry
from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor, actor_key
from gongjian.core.scope import actor_scopes
from gongjian.orgs import selectors as orgs_selectors
from gongjian.regions.models import Department, Region

from . import permissions as perms
from .choices import ROLE_REGION_LEVEL, Role
from .models import ApiToken, Scope, User


def home_panels(*, actor: Actor) -> list[dict[str, Any]]:
    """Each module contributes the panels of the roles it serves; None means 'not for this actor'."""
    panels: list[dict[str, Any]] = []
    for module in registry.modules():
        for make in module.panels:
            panel = make(actor)
            if panel:
                panels.append(panel)
    return panels


# --- accounts inside an administrator's area ------------------------------------------------------


def _scope_place_q(paths: list[str], prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= (
            Q(**{f"{prefix}region__path__startswith": p})
            | Q(**{f"{prefix}unit__region_path__startswith": p})
            | Q(**{f"{prefix}department__region_path__startswith": p})
        )
    return q


def account_queryset(*, actor: Actor) -> QuerySet[User]:
    """Accounts with at least one scope row (active or taken away) inside the actor's area.

    Accounts without any scope row (and superusers) are reached only by superusers."""
    if not permissions.can(actor, perms.ACCOUNT_VIEW):
        return User.objects.none()
    paths = perms.admin_paths(actor)
    if paths is None:
        return User.objects.all()
    if not paths:
        return User.objects.none()
    inside = Scope.objects.filter(user_id=OuterRef("pk")).filter(_scope_place_q(paths))
    return User.objects.filter(Exists(inside), is_superuser=False)


def account_visible(*, actor: Actor, user: User) -> bool:
    return account_queryset(actor=actor).filter(pk=user.pk).exists()


def locked_usernames(usernames: list[str] | None = None) -> set[str]:
    """Usernames django-axes holds locked right now (failures at the limit within the cool-off)."""
    from axes.models import AccessAttempt

    qs = AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff:
        qs = qs.filter(attempt_time__gte=timezone.now() - dt.timedelta(hours=float(cooloff)))
    if usernames is not None:
        qs = qs.filter(username__in=usernames)
    return set(qs.values_list("username", flat=True))


def account_list(*, actor: Actor, filters: dict[str, str] | None = None) -> QuerySet[User]:
    """The account list: search (username, display name, e-mail), role, status (active/inactive/locked)."""
    f = filters or {}
    qs = account_queryset(actor=actor)
    q = (f.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    role = (f.get("role") or "").strip()
    if role:
        if role not in Role.values:
            return qs.none()
        qs = qs.filter(Exists(Scope.objects.filter(user_id=OuterRef("pk"), role=role, is_active=True)))
    status = (f.get("status") or "").strip()
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    elif status == "locked":
        qs = qs.filter(username__in=locked_usernames())
    active_scopes = Scope.objects.filter(is_active=True).select_related("region", "unit", "department").order_by("role", "id")
    return qs.prefetch_related(Prefetch("scopes", queryset=active_scopes, to_attr="active_scopes")).order_by("username")


def account_get(*, actor: Actor, id: Any) -> User:
    """One account inside the actor's area; outside (or absent) is NotFound."""
    try:
        return account_queryset(actor=actor).get(pk=int(id))
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def account_scopes(*, user: User) -> list[Scope]:
    return list(Scope.objects.filter(user=user).select_related("region", "unit", "department").order_by("-is_active", "role", "id"))


def holders_by_place(
    *, roles: Iterable[str], region_ids: Iterable[int] = (), department_ids: Iterable[int] = ()
) -> dict[tuple[str, int], list[User]]:
    """Active accounts with an active scope of one of ``roles`` on each of these regions and departments, keyed
    ``("region", id)`` / ``("department", id)``: one query per kind of place, for notices sent to many places at once."""
    out: dict[tuple[str, int], list[User]] = {}
    base = Scope.objects.filter(is_active=True, user__is_active=True, role__in=list(roles)).select_related("user")
    for kind, field, ids in (("region", "region_id", list(region_ids)), ("department", "department_id", list(department_ids))):
        if ids:
            for s in base.filter(**{f"{field}__in": ids}):
                out.setdefault((kind, getattr(s, field)), []).append(s.user)
    return out


def grantable_regions(*, actor: Actor, role: str | None = None) -> QuerySet[Any]:
    """Regions inside the actor's area where it may give ``role`` (for the picker)."""
    paths = perms.admin_paths(actor, for_role=role) if role else perms.admin_paths(actor)
    qs = _within(Region.objects.filter(is_active=True), paths, "path")
    if role in ROLE_REGION_LEVEL:
        qs = qs.filter(level=ROLE_REGION_LEVEL[Role(role)])
    return qs.order_by("path")


def _within(qs: QuerySet[Any], paths: list[str] | None, field: str = "region_path") -> QuerySet[Any]:
    """Records whose ``field`` lies in one of the subtrees (every record when ``paths`` is None)."""
    if paths is None:
        return qs
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return qs.filter(q)


def grantable_units(*, actor: Actor) -> QuerySet[Any]:
    return orgs_selectors.units_within(perms.admin_paths(actor))


def grantable_departments(*, actor: Actor) -> QuerySet[Any]:
    return _within(Department.objects.filter(is_active=True).select_related("region"), perms.admin_paths(actor)).order_by("region_path", "name")


def own_tokens(*, actor: Actor) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=actor_key(actor)).order_by("-created_at")


def scope_labels(*, actor: Actor) -> list[dict[str, Any]]:
    """The actor's active roles and places, for the top bar and the home page."""
    if actor is None or not actor_key(actor):
        return []
    rows = Scope.objects.filter(user_id=actor.pk, is_active=True).select_related("region", "unit", "department").order_by("role", "id")
    return by_role([
        {"role": s.role, "role_label": s.get_role_display(), "place": str(s.region or s.unit or s.department or ""),
         "kind": s.kind, "region": s.region, "unit": s.unit, "department": s.department}
        for s in rows
    ])


def own_places(*, actor: Actor) -> list[dict[str, Any]]:
    """The actor's active roles and places from the scope rows this request already read (``core.scope.actor_scopes``,
    kept by version): no query, and no region, unit or department loaded to name a place."""
    return by_role(
        {"role": s.role, "role_label": Role(s.role).label if s.role in Role.values else s.role, "place": s.place, "kind": s.kind}
        for s in actor_scopes(actor)
    )


def by_role(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Role rows (``{"role": …}``) in the order of ``Role`` (the widest first), rows of one role in their given order."""
    order = list(Role.values)
    return sorted(rows, key=lambda r: order.index(r["role"]) if r["role"] in order else len(order))
