"""Functional departments of a city or district."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields

from .. import permissions as P
from ..choices import DepartmentKind
from ..models import Department, Region
from .codes import clean_name
from .common import MODULE, TOP_LEVELS, locked_in_scope, name_taken, raise_errors, region_of_level, set_active

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
    return region_of_level(actor, P.DEPARTMENTS_MANAGE, region, TOP_LEVELS, _("Departments belong to a city or a district."))


@transaction.atomic
def department_create(*, actor: Actor, region: Region | int, name: str, kind: str = DepartmentKind.OTHER, phone: str = "") -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    reg = _department_region(actor, region)
    errors: dict[str, list[Any]] = {}
    name, kind, phone = _clean_department(name, kind, phone, errors)
    name_taken(errors, Department.objects.filter(region=reg, name=name),
               lambda: _("%(region)s already has a department named %(name)s.") % {"region": reg.name, "name": name})
    raise_errors(errors)
    dept = Department(region=reg, region_path=reg.path, name=name, kind=kind, phone=phone)
    audited_save(dept, actor=actor, verb="department.create", fields=DEPT_FIELDS, module=MODULE)
    return dept


def _department_in_scope(actor: Actor, action: str, department: Department | int) -> Department:
    return locked_in_scope(Department, actor, action, department, "region", ScopeFields(region=("region_path",)))


@transaction.atomic
def department_update(
    *, actor: Actor, department: Department | int, name: str | None = None, kind: str | None = None, phone: str | None = None
) -> Department:
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    errors: dict[str, list[Any]] = {}
    n, k, p = _clean_department(
        dept.name if name is None else name, dept.kind if kind is None else kind, dept.phone if phone is None else phone, errors
    )
    name_taken(errors, Department.objects.filter(region_id=dept.region_id, name=n).exclude(pk=dept.pk),
               lambda: _("%(region)s already has a department named %(name)s.") % {"region": dept.region.name, "name": n})
    raise_errors(errors)
    audited_save(dept, actor=actor, verb="department.update", fields=DEPT_FIELDS, changes={"name": n, "kind": k, "phone": p}, module=MODULE)
    return dept


@transaction.atomic
def department_deactivate(*, actor: Actor, department: Department | int) -> Department:
    return set_active(_department_in_scope(actor, P.DEPARTMENTS_MANAGE, department), actor=actor, active=False, verb="department")


@transaction.atomic
def department_activate(*, actor: Actor, department: Department | int) -> Department:
    return set_active(_department_in_scope(actor, P.DEPARTMENTS_MANAGE, department), actor=actor, active=True, verb="department")
