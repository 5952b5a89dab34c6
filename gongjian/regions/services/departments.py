"""Functional departments of a city or district."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor, snapshot
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields, get_in_scope

from .. import permissions as P
from ..choices import DepartmentKind, Level
from ..models import Department, Region
from .codes import clean_name
from .common import MODULE, region_in_scope

# --- departments ---------------------------------------------------------------------------------


DEPT_FIELDS = ["name", "kind", "region_id", "phone", "is_active"]
PHONE_CHARS = set("0123456789-+() 转")


def _clean_department(name: Any, kind: Any, phone: Any, errors: dict[str, list[Any]]) -> tuple[str, str, str]:
    try:
        name = clean_name(name)
    except ValidationError as exc:
        errors.update(exc.details)
    kind = str(kind or DepartmentKind.OTHER)
    if kind not in DepartmentKind.values:
        errors.setdefault("kind", []).append(_("Unknown department kind."))
    phone = str(phone or "").strip()
    if phone and (len(phone) > 32 or not set(phone) <= PHONE_CHARS):
        errors.setdefault("phone", []).append(_("Write the office phone with digits and dashes only, e.g. 0371-67181234."))
    return str(name), kind, phone


def _department_region(actor: Actor, region: Region | int) -> Region:
    obj = region_in_scope(actor, P.DEPARTMENTS_MANAGE, region)
    if obj.level not in (Level.CITY, Level.DISTRICT):
        raise ValidationError.for_field("region", _("Departments belong to a city or a district."))
    return obj


@transaction.atomic
def department_create(*, actor: Actor, region: Region | int, name: str, kind: str = DepartmentKind.OTHER, phone: str = "") -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    reg = _department_region(actor, region)
    errors: dict[str, list[Any]] = {}
    name, kind, phone = _clean_department(name, kind, phone, errors)
    if not errors.get("name") and Department.objects.filter(region=reg, name=name).exists():
        errors.setdefault("name", []).append(_("%(region)s already has a department named %(name)s.") % {"region": reg.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    dept = Department.objects.create(region=reg, region_path=reg.path, name=name, kind=kind, phone=phone)
    audit.record(actor=actor, verb="department.create", target=dept, changes=snapshot(dept, DEPT_FIELDS))
    registry.bump(MODULE)
    return dept


def _department_in_scope(actor: Actor, action: str, department: Department | int) -> Department:
    pk = department.pk if isinstance(department, Department) else department
    return get_in_scope(Department.objects.select_for_update().select_related("region"), actor, action, ScopeFields(region=("region_path",)), pk=pk)


@transaction.atomic
def department_update(
    *, actor: Actor, department: Department | int, name: str | None = None, kind: str | None = None, phone: str | None = None
) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    before = snapshot(dept, DEPT_FIELDS)
    errors: dict[str, list[Any]] = {}
    n, k, p = _clean_department(
        dept.name if name is None else name, dept.kind if kind is None else kind, dept.phone if phone is None else phone, errors
    )
    if not errors.get("name") and Department.objects.filter(region_id=dept.region_id, name=n).exclude(pk=dept.pk).exists():
        errors.setdefault("name", []).append(_("%(region)s already has a department named %(name)s.") % {"region": dept.region.name, "name": n})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    dept.name, dept.kind, dept.phone = n, k, p
    dept.save()
    audit.record(actor=actor, verb="department.update", target=dept, changes=audit.diff(before, snapshot(dept, DEPT_FIELDS)))
    registry.bump(MODULE)
    return dept


@transaction.atomic
def department_deactivate(*, actor: Actor, department: Department | int) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    if dept.is_active:
        dept.is_active = False
        dept.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="department.deactivate", target=dept, changes={"is_active": {"before": True, "after": False}})
        registry.bump(MODULE)
    return dept


@transaction.atomic
def department_activate(*, actor: Actor, department: Department | int) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    if not dept.is_active:
        dept.is_active = True
        dept.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="department.activate", target=dept, changes={"is_active": {"before": False, "after": True}})
        registry.bump(MODULE)
    return dept
