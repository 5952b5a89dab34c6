"""The subdistrict structure: offices (and the configurable standard ones) and staff quotas."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound, ValidationError
from gongjian.core.kernel import Actor, audited_save, snapshot
from gongjian.core.permissions import require

from .. import permissions as P
from ..choices import Level, OfficeKind
from ..models import Office, OfficeTemplate, Region, StaffQuota
from .codes import clean_name
from .common import MODULE, locked_in_scope, name_taken, raise_errors, region_in_scope, set_active

# --- subdistrict structure: offices --------------------------------------------------------------


def _subdistrict(actor: Actor, subdistrict: Region | int) -> Region:
    reg = region_in_scope(actor, P.STRUCTURE_MANAGE, subdistrict)
    if reg.level != Level.SUBDISTRICT:
        raise ValidationError.for_field("subdistrict", _("Offices and staff quotas belong to a subdistrict."))
    return reg


def instantiate_offices(reg: Region) -> list[Office]:
    existing = set(Office.objects.filter(subdistrict=reg).values_list("name", flat=True))
    new = [
        Office(subdistrict=reg, region_path=reg.path, name=t.name, kind=t.kind, order=t.order)
        for t in OfficeTemplate.objects.filter(is_active=True).order_by("order", "id")
        if t.name not in existing
    ]
    Office.objects.bulk_create(new)
    return new


@transaction.atomic
def structure_instantiate(*, actor: Actor, subdistrict: Region | int) -> list[Office]:
    """Create the standard offices (from the configurable templates) a subdistrict does not have yet."""
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    new = instantiate_offices(reg)
    if new:
        audit.record(actor=actor, verb="office.instantiate", target=reg, changes={"offices": [o.name for o in new]})
        registry.bump(MODULE)
    return new


def _clean_office(name: Any, kind: Any, head: Any, order: Any, errors: dict[str, list[Any]]) -> tuple[str, str, str, int]:
    try:
        name = clean_name(name)
    except ValidationError as exc:
        errors.update(exc.details)
    kind = str(kind or "")
    if kind not in OfficeKind.values:
        errors.setdefault("kind", []).append(_("Choose office, centre or station."))
    head = " ".join(str(head or "").split())
    if len(head) > 64:
        errors.setdefault("head", []).append(_("The name is longer than %(n)s characters.") % {"n": 64})
    try:
        order_i = int(order or 0)
        if order_i < 0 or order_i > 999:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("order", []).append(_("Write a whole number between 0 and 999."))
        order_i = 0
    return str(name), kind, head, order_i


OFFICE_FIELDS = ["name", "kind", "head", "order", "is_active"]


@transaction.atomic
def office_create(*, actor: Actor, subdistrict: Region | int, name: str, kind: str, head: str = "", order: int | None = None) -> Office:
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    errors: dict[str, list[Any]] = {}
    if order is None:
        order = (Office.objects.filter(subdistrict=reg).order_by("-order").values_list("order", flat=True).first() or 0) + 1
    name, kind, head, order_i = _clean_office(name, kind, head, order, errors)
    name_taken(errors, Office.objects.filter(subdistrict=reg, name=name),
               lambda: _("%(region)s already has an office named %(name)s.") % {"region": reg.name, "name": name})
    raise_errors(errors)
    office = Office(subdistrict=reg, region_path=reg.path, name=name, kind=kind, head=head, order=order_i)
    audited_save(office, actor=actor, verb="office.create", fields=OFFICE_FIELDS, module=MODULE)
    return office


def _office_in_scope(actor: Actor, office: Office | int) -> Office:
    return locked_in_scope(Office, actor, P.STRUCTURE_MANAGE, office, "subdistrict")


@transaction.atomic
def office_update(
    *, actor: Actor, office: Office | int, name: str | None = None, kind: str | None = None, head: str | None = None, order: int | None = None
) -> Office:
    obj = _office_in_scope(actor, office)
    errors: dict[str, list[Any]] = {}
    n, k, h, o = _clean_office(
        obj.name if name is None else name,
        obj.kind if kind is None else kind,
        obj.head if head is None else head,
        obj.order if order is None else order,
        errors,
    )
    name_taken(errors, Office.objects.filter(subdistrict_id=obj.subdistrict_id, name=n).exclude(pk=obj.pk),
               lambda: _("%(region)s already has an office named %(name)s.") % {"region": obj.subdistrict.name, "name": n})
    raise_errors(errors)
    audited_save(obj, actor=actor, verb="office.update", fields=OFFICE_FIELDS, changes={"name": n, "kind": k, "head": h, "order": o},
                 module=MODULE)
    return obj


@transaction.atomic
def office_set_active(*, actor: Actor, office: Office | int, active: bool) -> Office:
    return set_active(_office_in_scope(actor, office), actor=actor, active=active, verb="office")


def office_deactivate(*, actor: Actor, office: Office | int) -> Office:
    return office_set_active(actor=actor, office=office, active=False)


# --- the configurable standard structure -----------------------------------------------------


@transaction.atomic
def office_template_save(
    *, actor: Actor, template: OfficeTemplate | int | None = None, name: str, kind: str, order: int = 0, is_active: bool = True
) -> OfficeTemplate:
    require(actor, P.STRUCTURE_CONFIGURE)
    errors: dict[str, list[Any]] = {}
    name, kind, _head, order_i = _clean_office(name, kind, "", order, errors)
    obj = None
    if template is not None:
        pk = template.pk if isinstance(template, OfficeTemplate) else template
        obj = OfficeTemplate.objects.select_for_update().filter(pk=pk).first()
        if obj is None:
            raise NotFound()
    name_taken(errors, OfficeTemplate.objects.filter(name=name).exclude(pk=obj.pk if obj else 0),
               lambda: _("A standard office named %(name)s already exists.") % {"name": name})
    raise_errors(errors)
    verb = "office_template.create" if obj is None else "office_template.update"
    obj = obj or OfficeTemplate()
    audited_save(obj, actor=actor, verb=verb, changes={"name": name, "kind": kind, "order": order_i, "is_active": bool(is_active)})
    return obj


# --- staff quotas --------------------------------------------------------------------------------


QUOTA_FIELDS = ["count", "year", "office_id", "moved_down", "note"]


def _clean_quota(
    reg: Region, count: Any, year: Any, office: Office | int | None, note: Any, errors: dict[str, list[Any]]
) -> tuple[int, int, Office | None, str]:
    try:
        count_i = int(count)
        if count_i <= 0 or count_i > 10000:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("count", []).append(_("Write a whole number of positions between 1 and 10000."))
        count_i = 0
    try:
        year_i = int(year)
        if year_i < 1949 or year_i > timezone.localdate().year + 1:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("year", []).append(_("Write a year between 1949 and next year."))
        year_i = 0
    office_obj = None
    if office not in (None, ""):
        pk = office.pk if isinstance(office, Office) else office
        office_obj = Office.objects.filter(pk=pk, subdistrict=reg).first()
        if office_obj is None:
            errors.setdefault("office", []).append(_("The office must belong to %(region)s.") % {"region": reg.name})
    note = str(note or "").strip()
    if len(note) > 255:
        errors.setdefault("note", []).append(_("The note is longer than %(n)s characters.") % {"n": 255})
    return count_i, year_i, office_obj, note


@transaction.atomic
def quota_create(
    *, actor: Actor, subdistrict: Region | int, count: int, year: int, office: Office | int | None = None, moved_down: bool = True, note: str = ""
) -> StaffQuota:
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    errors: dict[str, list[Any]] = {}
    count_i, year_i, office_obj, note = _clean_quota(reg, count, year, office, note, errors)
    raise_errors(errors)
    quota = StaffQuota(subdistrict=reg, region_path=reg.path, office=office_obj, count=count_i, year=year_i, moved_down=bool(moved_down),
                       note=note)
    audited_save(quota, actor=actor, verb="quota.create", fields=QUOTA_FIELDS, module=MODULE)
    return quota


def _quota_in_scope(actor: Actor, quota: StaffQuota | int) -> StaffQuota:
    return locked_in_scope(StaffQuota, actor, P.STRUCTURE_MANAGE, quota, "subdistrict")


@transaction.atomic
def quota_update(
    *, actor: Actor, quota: StaffQuota | int, count: int, year: int, office: Office | int | None = None, moved_down: bool = True, note: str = ""
) -> StaffQuota:
    obj = _quota_in_scope(actor, quota)
    errors: dict[str, list[Any]] = {}
    count_i, year_i, office_obj, note = _clean_quota(obj.subdistrict, count, year, office, note, errors)
    raise_errors(errors)
    audited_save(obj, actor=actor, verb="quota.update", fields=QUOTA_FIELDS, module=MODULE,
                 changes={"count": count_i, "year": year_i, "office": office_obj, "moved_down": bool(moved_down), "note": note})
    return obj


@transaction.atomic
def quota_delete(*, actor: Actor, quota: StaffQuota | int) -> None:
    """A quota is a number, not a person or organisation: a wrong entry may be removed (audited)."""
    obj = _quota_in_scope(actor, quota)
    audit.record(actor=actor, verb="quota.delete", target=obj, changes=snapshot(obj, QUOTA_FIELDS))
    obj.delete()
    registry.bump(MODULE)
