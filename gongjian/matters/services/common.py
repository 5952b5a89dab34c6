"""What every write of matters shares: the module's constants, locking the matter (and an assignment) at the
version the caller saw, the owning level, timeline entries, saving with the version and notifying the next actor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.accounts.choices import Role
from gongjian.core import notify
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from gongjian.core.kernel import Actor, account_of, key_of
from gongjian.core.params import int_param
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.choices import Level
from gongjian.regions.models import Department, Region

from .. import permissions as perms
from ..choices import MATTER_TRANSITIONS
from ..models import Assignment, Matter, MatterEvent
from ..selectors import acting_paths, actor_departments, visible_matters

MODULE = "matters"
NUMBER_PREFIX = "SX"


CONFLICT_MESSAGE = _("This matter has just been handled by someone else; reload it and try again.")


def _text(value: Any, *, field: str, required: Any, max_length: int) -> str:
    """One required multi-line text of a service (a result, a resolution …), cleaned; ValidationError on ``field``."""
    errors = Errors()
    text = clean_text(value, field=field, errors=errors, required=required, max_length=max_length, multiline=True)
    errors.raise_if_any()
    return text


def _now() -> dt.datetime:
    return timezone.now()


def _label(actor: Actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "") or "")[:150]


def matter_url(matter_id: int) -> str:
    try:
        return reverse("matters:matter_detail", args=[matter_id])
    except NoReverseMatch:
        return f"/matters/{matter_id}/"


def make_number(pk: int, reported_at: dt.datetime) -> str:
    """``SX`` + the local report date + the id (at least six digits): unique because the id is."""
    return f"{NUMBER_PREFIX}{timezone.localtime(reported_at):%Y%m%d}{pk:06d}"


def _expected_version(matter: Any, version: Any) -> int | None:
    if version not in (None, ""):
        v = int_param(version)
        if v is None:
            raise ValidationError.for_field("version", _("The version is not valid; reload the page."))
        return v
    return matter.version if isinstance(matter, Matter) else None


def _lock(actor: Actor, matter: Matter | int, *, version: Any = None) -> Matter:
    """The matter, visible to the actor (NotFound otherwise), locked, at the version the caller saw."""
    pk = key_of(matter, Matter)
    expected = _expected_version(matter, version)
    if not visible_matters(actor).filter(pk=pk).exists():
        raise NotFound()
    m = Matter.objects.select_for_update().get(pk=pk)
    if expected is not None and m.version != expected:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    return m


def _lock_to(actor: Actor, matter: Matter | int, *, version: Any, to: str, action: str) -> tuple[Matter, Region]:
    """The matter locked at the caller's version (``_lock``), allowed to move to ``to``, and the level the actor acts
    for that owns it (``_owner_region``)."""
    m = _lock(actor, matter, version=version)
    MATTER_TRANSITIONS.check(m, to)
    return m, _owner_region(actor, action, m)


def _sync(target: Any, source: Any) -> None:
    """Copy the saved state back onto the instance the caller passed."""
    if isinstance(target, type(source)) and target is not source:
        for f in source._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))


def _owner_region(actor: Actor, action: str, m: Matter) -> Region:
    """The actor must act for the level that owns the matter now."""
    paths = acting_paths(actor, action)
    if not paths:
        raise PermissionDenied()
    if "" not in paths and m.owner_path not in paths:
        raise PermissionDenied(
            _("Only the level that owns this matter now (%(owner)s) can do this.") % {"owner": m.owner.full_name or m.owner.name},
            code="not_owner",
        )
    return m.owner


def _event(m: Matter, kind: str, *, actor: Actor, at: dt.datetime, from_status: str = "", to_status: str = "",
           region: Region | None = None, department: Department | None = None, note: str = "") -> MatterEvent:
    return MatterEvent.objects.create(
        matter=m, kind=kind, at=at, actor=account_of(actor), actor_label=_label(actor),
        from_status=from_status, to_status=to_status, region=region, department=department, note=note,
    )


def _save(m: Matter, fields: Iterable[str], *, bump_version: bool = True) -> None:
    names = set(fields) | {"updated_at"}
    if bump_version:
        m.version += 1
        names.add("version")
    m.save(update_fields=sorted(names))


def _admins(region: Region | None) -> list[Any]:
    if region is None:
        return []
    levels: dict[str, str] = {Level.CITY: Role.CITY_ADMIN, Level.DISTRICT: Role.DISTRICT_ADMIN, Level.SUBDISTRICT: Role.SUBDISTRICT_ADMIN,
                              Level.COMMUNITY: Role.COMMUNITY_ADMIN}
    role = levels.get(region.level)
    return notify.recipients(roles=[role], region=region) if role else []


def _handlers(department: Department) -> list[Any]:
    return notify.recipients(roles=[Role.DEPARTMENT_HANDLER], department=department)


def _notify(users: list[Any], actor: Actor, m: Matter, *, verb: str, title: Any, body: Any = "") -> None:
    others = [u for u in users if getattr(u, "pk", None) != getattr(actor, "pk", None)]
    notify.send(others, verb=verb, title=f"{title}：{m.number} {m.title}"[:200], body=str(body), url=matter_url(m.pk), target=m)


def _lock_assignment(actor: Actor, assignment: Assignment | int) -> tuple[Matter, Assignment]:
    """The assignment of one of the actor's departments (NotFound otherwise): matter locked first, then the assignment."""
    require(actor, perms.HANDLE)
    pk = key_of(assignment, Assignment)
    depts = actor_departments(actor)
    is_super = bool(getattr(actor, "is_superuser", False))
    row = Assignment.objects.filter(pk=pk).values("matter_id", "department_id").first()
    if row is None or (not is_super and row["department_id"] not in depts):
        raise NotFound()
    m = Matter.objects.select_for_update().get(pk=row["matter_id"])
    a = Assignment.objects.select_for_update().select_related("department", "by_region").get(pk=pk)
    if isinstance(assignment, Assignment) and assignment.status != a.status:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    return m, a
