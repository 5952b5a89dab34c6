"""Writes of the regions module: the region tree, departments, the governance committee and the
subdistrict structure (offices, staff quotas, delegated powers).

Every function is one transaction, takes ``actor=``, checks the permission and the scope, validates
before writing anything, and records an audit event.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields, get_in_scope, region_paths

from . import permissions as P
from .choices import CODE_LENGTH, KINDS_BY_LEVEL, LEVEL_ORDER, PARENT_LEVEL, DepartmentKind, Level, OfficeKind, RegionKind, clean_code
from .models import DelegatedPower, Department, GovernanceCommittee, Office, OfficeTemplate, Region, StaffQuota

MODULE = "regions"
NAME_MAX = 64
DEFAULT_KIND = {
    Level.CITY: RegionKind.CITY,
    Level.DISTRICT: RegionKind.DISTRICT,
    Level.SUBDISTRICT: RegionKind.SUBDISTRICT,
    Level.COMMUNITY: RegionKind.COMMUNITY,
    Level.GRID: RegionKind.GRID,
}
# How many leading digits of a code identify the region for its children.
SIGNIFICANT = {Level.CITY: 4, Level.DISTRICT: 6, Level.SUBDISTRICT: 9, Level.COMMUNITY: 12, Level.GRID: 15}


# --- validation helpers (shared with the importer) ---------------------------------------------


def significant_prefix(code: str, level: str) -> str:
    return code[: SIGNIFICANT[Level(level)]]


def clean_level(value: Any, field: str = "level") -> Level:
    raw = str(value or "").strip()
    for lvl in LEVEL_ORDER:
        if raw.lower() == lvl.value or raw == str(lvl.label) or raw in LEVEL_ALIASES.get(lvl, ()):
            return lvl
    raise ValidationError.for_field(
        field, _("Unknown level “%(v)s”; use city, district, subdistrict, community or grid (市、区、街道、社区、网格).") % {"v": raw}
    )


LEVEL_ALIASES: dict[Level, tuple[str, ...]] = {
    Level.CITY: ("市", "城市"),
    Level.DISTRICT: ("区", "县", "区县", "区(县)", "县区", "功能区"),
    Level.SUBDISTRICT: ("街道", "乡镇", "街道(乡镇)"),
    Level.COMMUNITY: ("社区", "村", "社区(村)", "居委会", "村委会"),
    Level.GRID: ("网格",),
}
KIND_ALIASES: dict[RegionKind, tuple[str, ...]] = {
    RegionKind.CITY: ("市",),
    RegionKind.DISTRICT: ("区", "市辖区"),
    RegionKind.COUNTY: ("县", "县级市"),
    RegionKind.ZONE: ("功能区", "开发区"),
    RegionKind.SUBDISTRICT: ("街道", "街道办事处"),
    RegionKind.TOWN: ("镇",),
    RegionKind.TOWNSHIP: ("乡",),
    RegionKind.COMMUNITY: ("社区", "城市社区", "居委会"),
    RegionKind.VILLAGE: ("村", "村委会"),
    RegionKind.GRID: ("网格",),
    RegionKind.OTHER: ("其他", "管委会", "办事处"),
}


def clean_kind(value: Any, level: Level, field: str = "kind") -> RegionKind:
    raw = str(value or "").strip()
    if not raw:
        return DEFAULT_KIND[level]
    kind = None
    for k in RegionKind:
        if raw.lower() == k.value or raw == str(k.label) or raw in KIND_ALIASES.get(k, ()):
            kind = k
            break
    if kind is None:
        raise ValidationError.for_field(field, _("Unknown kind “%(v)s”.") % {"v": raw})
    if kind not in KINDS_BY_LEVEL[level]:
        allowed = "、".join(str(k.label) for k in sorted(KINDS_BY_LEVEL[level]))
        raise ValidationError.for_field(
            field,
            _("A %(level)s cannot be of kind “%(kind)s”; choose one of: %(allowed)s.")
            % {"level": level.label, "kind": kind.label, "allowed": allowed},
        )
    return kind


def clean_name(value: Any, field: str = "name", max_length: int = NAME_MAX) -> str:
    # Control and invisible format characters (NUL, zero-width space, BOM …) pasted from web pages
    # would make two names that look alike differ, and PostgreSQL refuses NUL.
    text = "".join(ch for ch in str(value or "") if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r")
    name = " ".join(text.split())
    if not name:
        raise ValidationError.for_field(field, _("The name is required."))
    if len(name) > max_length:
        raise ValidationError.for_field(field, _("The name is longer than %(n)s characters.") % {"n": max_length})
    return name


def code_shape_error(code: str, level: Level) -> Any:
    """Why ``code`` cannot be the statistical code of a region at ``level`` (None when it can)."""
    length = CODE_LENGTH[level]
    if not code.isdigit() or not code.isascii():
        return _("The statistical code may contain digits only.")
    if len(code) != length:
        return _("A %(level)s code has %(n)s digits (this one has %(got)s).") % {"level": level.label, "n": length, "got": len(code)}
    if level == Level.CITY and (not code.endswith("00") or code.endswith("0000")):
        return _("A city code ends in 00 but not in 0000, e.g. 410100.")
    if level == Level.DISTRICT and code.endswith("00"):
        return _("A district code does not end in 00 (that would be a city), e.g. 410103 or 410171.")
    if level == Level.SUBDISTRICT and (not code.endswith("000") or code[6:9] == "000"):
        return _("A subdistrict code is its 9-digit code followed by 000, e.g. 410103001000.")
    if level == Level.COMMUNITY and code.endswith("000"):
        return _("A community code does not end in 000 (that would be a subdistrict), e.g. 410103001001.")
    if level == Level.GRID and code.endswith("000"):
        return _("A grid code does not end in 000.")
    return None


def parent_error(code: str, level: Level, parent_code: str | None, parent_level: str | None) -> tuple[str, Any] | None:
    """(field, message) when the parent does not fit; None when it does."""
    if level == Level.CITY:
        if parent_code:
            return "parent", _("A city is the top of the tree and has no parent.")
        return None
    if not parent_code:
        return "parent", _("A %(level)s needs a parent region.") % {"level": level.label}
    expected = PARENT_LEVEL[level]
    if parent_level != expected:
        return "level", _("The level must be one below the parent: under a %(parent)s comes a %(child)s, not a %(level)s.") % {
            "parent": Level(parent_level).label if parent_level in Level.values else parent_level,
            "child": LEVEL_ORDER[LEVEL_ORDER.index(Level(parent_level)) + 1].label
            if parent_level in Level.values and parent_level != Level.GRID
            else "—",
            "level": level.label,
        }
    prefix = significant_prefix(parent_code, expected)
    if not code.startswith(prefix):
        return "code", _("The code must start with the parent's code %(prefix)s.") % {"prefix": prefix}
    return None


def _path(parent: Region | None, code: str) -> str:
    return (parent.path if parent else "/") + code + "/"


def _full_name(parent: Region | None, name: str) -> str:
    return ((parent.full_name if parent else "") + name)[:255]


def _snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _region_in_scope(actor: Any, action: str, region: Region | int) -> Region:
    pk = region.pk if isinstance(region, Region) else region
    return get_in_scope(Region.objects.select_related("parent"), actor, action, pk=pk)


def _ensure_below_top(actor: Any, action: str, region: Region) -> None:
    """Administrators manage the regions *below* their own top region, not the top itself."""
    if getattr(actor, "is_superuser", False):
        return
    paths = region_paths(actor, action)
    if not any(region.path.startswith(p) and region.path != p for p in paths):
        raise PermissionDenied(_("You manage the regions below your own region; ask the level above to change this one."))


def _parent_for(actor: Any, action: str, parent: Region | int | None) -> Region | None:
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError.for_field("parent", _("Choose the parent region."))
        return None
    return _region_in_scope(actor, action, parent)


# --- the region tree -----------------------------------------------------------------------------


REGION_FIELDS = ["code", "name", "level", "kind", "parent_id", "path", "full_name", "is_active"]


@transaction.atomic
def region_create(*, actor: Any, code: str, name: str, level: str, parent: Region | int | None = None, kind: str = "") -> Region:
    require(actor, P.MANAGE)
    errors: dict[str, list[Any]] = {}
    code = clean_code(code)
    lvl = clean_level(level)
    parent_obj = _parent_for(actor, P.MANAGE, parent) if lvl != Level.CITY or parent is not None else None
    if lvl == Level.CITY:
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied(_("Only a system administrator can create a city."))
    try:
        name = clean_name(name)
    except ValidationError as exc:
        errors.update(exc.details)
    try:
        kind_v = clean_kind(kind, lvl)
    except ValidationError as exc:
        errors.update(exc.details)
        kind_v = DEFAULT_KIND[lvl]
    pe = parent_error(code, lvl, parent_obj.code if parent_obj else None, parent_obj.level if parent_obj else None)
    if pe and pe[0] != "code":
        errors.setdefault(pe[0], []).append(pe[1])
    else:
        shape = code_shape_error(code, lvl)
        if shape or pe:
            errors.setdefault("code", []).append(shape or pe[1])  # type: ignore[index]
    if parent_obj is not None and not parent_obj.is_active:
        errors.setdefault("parent", []).append(_("The parent region is deactivated."))
    if not errors.get("code"):
        clash = Region.objects.filter(code=code).first()
        if clash:
            errors.setdefault("code", []).append(
                _("The statistical code %(code)s is already used by %(name)s.") % {"code": code, "name": clash.full_name or clash.name}
            )
    if not errors.get("name") and parent_obj is not None and Region.objects.filter(parent=parent_obj, name=name).exists():
        errors.setdefault("name", []).append(_("%(parent)s already has a region named %(name)s.") % {"parent": parent_obj.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    region = Region(
        code=code,
        name=name,
        level=lvl,
        kind=kind_v,
        parent=parent_obj,
        path=_path(parent_obj, code),
        depth=_path(parent_obj, code).count("/") - 2,
        full_name=_full_name(parent_obj, name),
    )
    try:
        with transaction.atomic():
            region.save()
    except IntegrityError:
        raise ValidationError.for_field("code", _("The statistical code %(code)s is already used.") % {"code": code}) from None
    audit.record(actor=actor, verb="region.create", target=region, changes=_snapshot(region, REGION_FIELDS))
    if lvl == Level.SUBDISTRICT:
        # A new subdistrict starts from the configurable standard structure (6 offices, 3 centres, 1 station).
        offices = _instantiate(region)
        if offices:
            audit.record(actor=actor, verb="office.instantiate", target=region, changes={"offices": [o.name for o in offices]})
    registry.bump(MODULE)
    return region


@transaction.atomic
def region_update(
    *, actor: Any, region: Region | int, name: str | None = None, kind: str | None = None, code: str | None = None, parent: Region | int | None = None
) -> Region:
    """Rename, re-kind, re-code or move a region. Moving re-codes and re-paths the whole subtree,
    and every record that carries a region path follows."""
    require(actor, P.MANAGE)
    obj = _region_in_scope(actor, P.MANAGE, region)
    obj = Region.objects.select_for_update(of=("self",)).select_related("parent").get(pk=obj.pk)
    _ensure_below_top(actor, P.MANAGE, obj)
    before = _snapshot(obj, REGION_FIELDS)
    lvl = Level(obj.level)
    errors: dict[str, list[Any]] = {}
    new_name = obj.name
    if name is not None:
        try:
            new_name = clean_name(name)
        except ValidationError as exc:
            errors.update(exc.details)
    new_kind = obj.kind
    if kind is not None:
        try:
            new_kind = clean_kind(kind, lvl)
        except ValidationError as exc:
            errors.update(exc.details)
    new_parent = obj.parent
    if parent is not None and (obj.parent is None or (parent.pk if isinstance(parent, Region) else parent) != obj.parent_id):
        new_parent = _region_in_scope(actor, P.MANAGE, parent)
        if new_parent.path.startswith(obj.path):
            errors.setdefault("parent", []).append(_("A region cannot be moved under itself or one of its sub-regions."))
        elif not new_parent.is_active:
            errors.setdefault("parent", []).append(_("The parent region is deactivated."))
    new_code = obj.code if code is None else clean_code(code)
    shape = code_shape_error(new_code, lvl)
    if shape:
        errors.setdefault("code", []).append(shape)
    elif not errors.get("parent"):
        pe = parent_error(new_code, lvl, new_parent.code if new_parent else None, new_parent.level if new_parent else None)
        if pe:
            errors.setdefault(pe[0], []).append(pe[1])
    if not errors.get("code") and new_code != obj.code:
        clash = Region.objects.filter(code=new_code).exclude(pk=obj.pk).first()
        if clash:
            errors.setdefault("code", []).append(
                _("The statistical code %(code)s is already used by %(name)s.") % {"code": new_code, "name": clash.full_name or clash.name}
            )
    if not errors.get("name") and new_parent is not None and Region.objects.filter(parent=new_parent, name=new_name).exclude(pk=obj.pk).exists():
        errors.setdefault("name", []).append(_("%(parent)s already has a region named %(name)s.") % {"parent": new_parent.name, "name": new_name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)

    moved = new_code != obj.code or new_parent != obj.parent
    renamed = new_name != obj.name or (new_parent != obj.parent)
    old_path = obj.path
    obj.name, obj.kind, obj.code, obj.parent = new_name, new_kind, new_code, new_parent
    obj.path = _path(new_parent, new_code)
    obj.depth = obj.path.count("/") - 2
    obj.full_name = _full_name(new_parent, new_name)
    if moved:
        _recode_subtree(obj, old_path, before["code"], lvl)
    obj.save()
    if renamed or moved:
        refresh_full_names(obj)
    audit.record(actor=actor, verb="region.move" if moved else "region.update", target=obj, changes=audit.diff(before, _snapshot(obj, REGION_FIELDS)))
    registry.bump(MODULE)
    return obj


def _recode_subtree(obj: Region, old_path: str, old_code: str, lvl: Level) -> None:
    """Give the descendants codes under the new prefix, new paths, and move every region path
    stored on other records (declared in their ``scope_fields``) along."""
    old_sig, new_sig = significant_prefix(old_code, lvl), significant_prefix(obj.code, lvl)
    descendants = list(Region.objects.filter(path__startswith=old_path).exclude(path=old_path).order_by("depth"))
    codemap = {old_code: obj.code}
    for d in descendants:
        codemap[d.code] = new_sig + d.code[len(old_sig) :] if d.code.startswith(old_sig) else d.code
    new_codes = [codemap[d.code] for d in descendants if codemap[d.code] != d.code]
    clash = Region.objects.filter(code__in=new_codes).exclude(path__startswith=old_path).first()
    if clash:
        raise ValidationError.for_field(
            "code", _("Moving would give a sub-region the code %(code)s, already used by %(name)s.") % {"code": clash.code, "name": clash.full_name}
        )
    path_map = {old_path: obj.path}
    for d in descendants:
        segs = d.path[len(old_path) :].strip("/").split("/")
        new_path = obj.path + "".join(codemap.get(s, s) + "/" for s in segs)
        path_map[d.path] = new_path
        d.code, d.path = codemap[d.code], new_path
        d.depth = new_path.count("/") - 2
    # Free the old codes/paths first so the unique indexes never see two rows with one value.
    if descendants:
        for d in descendants:
            Region.objects.filter(pk=d.pk).update(code=f"~{d.pk}", path=f"~{d.pk}")
        Region.objects.bulk_update(descendants, ["code", "path", "depth"], batch_size=500)
    for model in apps.get_models():
        fields: ScopeFields | None = getattr(model, "scope_fields", None)
        if model is Region or fields is None:
            continue
        for f in fields.region:
            if "__" in f:  # a path read through a relation follows by itself
                continue
            for old, new in path_map.items():
                model._default_manager.filter(**{f: old}).update(**{f: new})


def refresh_full_names(root: Region) -> int:
    """Recompute ``full_name`` for the subtree under ``root`` (after a rename or a move)."""
    rows = list(Region.objects.filter(path__startswith=root.path).exclude(pk=root.pk).order_by("depth").only("id", "name", "parent_id", "full_name"))
    names: dict[int | None, str] = {root.pk: root.full_name}
    changed = []
    for r in rows:
        fn = (names.get(r.parent_id, "") + r.name)[:255]
        names[r.pk] = fn
        if fn != r.full_name:
            r.full_name = fn
            changed.append(r)
    if changed:
        Region.objects.bulk_update(changed, ["full_name"], batch_size=500)
    return len(changed)


@transaction.atomic
def region_deactivate(*, actor: Any, region: Region | int) -> Region:
    require(actor, P.MANAGE)
    obj = _region_in_scope(actor, P.MANAGE, region)
    _ensure_below_top(actor, P.MANAGE, obj)
    if not obj.is_active:
        return obj
    active_children = Region.objects.filter(parent=obj, is_active=True).count()
    if active_children:
        raise ValidationError.for_field(
            "region", _("%(name)s still has %(n)s active sub-regions; deactivate them first.") % {"name": obj.name, "n": active_children}
        )
    holding = _active_records_in(obj)
    if holding:
        raise ValidationError.for_field(
            "region",
            _("%(name)s still has active records located in it: %(records)s. Move or deactivate them first.")
            % {"name": obj.name, "records": gettext("; ").join(f"{label} {n}" for label, n in holding)},
        )
    obj.is_active = False
    obj.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=actor, verb="region.deactivate", target=obj, changes={"is_active": {"before": True, "after": False}})
    registry.bump(MODULE)
    return obj


def _active_records_in(region: Region) -> list[tuple[str, int]]:
    """Active records of other modules located in the region's subtree (party organisations,
    units, members by their organisation or home …): a deactivated region would strand them,
    since pickers offer active regions only. Any model declaring region ``scope_fields`` and an
    ``is_active`` field counts, so later modules are covered too."""
    from django.db.models import Q

    found: list[tuple[str, int]] = []
    for model in apps.get_models():
        fields: ScopeFields | None = getattr(model, "scope_fields", None)
        if model._meta.app_label == "regions" or fields is None or not fields.region:
            continue
        if "is_active" not in {f.name for f in model._meta.concrete_fields}:
            continue
        where = Q()
        for f in fields.region:
            where |= Q(**{f"{f}__startswith": region.path})
        n = model._default_manager.filter(where, is_active=True).count()
        if n:
            found.append((str(model._meta.verbose_name_plural), n))
    return found


@transaction.atomic
def region_activate(*, actor: Any, region: Region | int) -> Region:
    require(actor, P.MANAGE)
    obj = _region_in_scope(actor, P.MANAGE, region)
    _ensure_below_top(actor, P.MANAGE, obj)
    if obj.is_active:
        return obj
    if obj.parent is not None and not obj.parent.is_active:
        raise ValidationError.for_field("region", _("The parent region is deactivated; activate it first."))
    obj.is_active = True
    obj.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=actor, verb="region.activate", target=obj, changes={"is_active": {"before": False, "after": True}})
    registry.bump(MODULE)
    return obj


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


def _department_region(actor: Any, region: Region | int) -> Region:
    obj = _region_in_scope(actor, P.DEPARTMENTS_MANAGE, region)
    if obj.level not in (Level.CITY, Level.DISTRICT):
        raise ValidationError.for_field("region", _("Departments belong to a city or a district."))
    return obj


@transaction.atomic
def department_create(*, actor: Any, region: Region | int, name: str, kind: str = DepartmentKind.OTHER, phone: str = "") -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    reg = _department_region(actor, region)
    errors: dict[str, list[Any]] = {}
    name, kind, phone = _clean_department(name, kind, phone, errors)
    if not errors.get("name") and Department.objects.filter(region=reg, name=name).exists():
        errors.setdefault("name", []).append(_("%(region)s already has a department named %(name)s.") % {"region": reg.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    dept = Department.objects.create(region=reg, region_path=reg.path, name=name, kind=kind, phone=phone)
    audit.record(actor=actor, verb="department.create", target=dept, changes=_snapshot(dept, DEPT_FIELDS))
    registry.bump(MODULE)
    return dept


def _department_in_scope(actor: Any, action: str, department: Department | int) -> Department:
    pk = department.pk if isinstance(department, Department) else department
    return get_in_scope(Department.objects.select_for_update().select_related("region"), actor, action, ScopeFields(region=("region_path",)), pk=pk)


@transaction.atomic
def department_update(
    *, actor: Any, department: Department | int, name: str | None = None, kind: str | None = None, phone: str | None = None
) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    before = _snapshot(dept, DEPT_FIELDS)
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
    audit.record(actor=actor, verb="department.update", target=dept, changes=audit.diff(before, _snapshot(dept, DEPT_FIELDS)))
    registry.bump(MODULE)
    return dept


@transaction.atomic
def department_deactivate(*, actor: Any, department: Department | int) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    if dept.is_active:
        dept.is_active = False
        dept.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="department.deactivate", target=dept, changes={"is_active": {"before": True, "after": False}})
        registry.bump(MODULE)
    return dept


@transaction.atomic
def department_activate(*, actor: Any, department: Department | int) -> Department:
    require(actor, P.DEPARTMENTS_MANAGE)
    dept = _department_in_scope(actor, P.DEPARTMENTS_MANAGE, department)
    if not dept.is_active:
        dept.is_active = True
        dept.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="department.activate", target=dept, changes={"is_active": {"before": False, "after": True}})
        registry.bump(MODULE)
    return dept


# --- governance committee ----------------------------------------------------------------------


@transaction.atomic
def committee_save(
    *,
    actor: Any,
    region: Region | int,
    name: str = "",
    director: str = "",
    established_on: dt.date | None = None,
    remit: str = "",
    department_ids: list[int] | None = None,
) -> GovernanceCommittee:
    """Create or update the governance committee (社工委) of a city or district and its member departments."""
    require(actor, P.COMMITTEE_MANAGE)
    reg = _region_in_scope(actor, P.COMMITTEE_MANAGE, region)
    if reg.level not in (Level.CITY, Level.DISTRICT):
        raise ValidationError.for_field("region", _("A governance committee belongs to a city or a district."))
    errors: dict[str, list[Any]] = {}
    name = " ".join(str(name or "").split()) or gettext("%(region)s Urban and Rural Community Development and Governance Committee") % {
        "region": reg.name
    }
    if len(name) > 128:
        errors.setdefault("name", []).append(_("The name is longer than %(n)s characters.") % {"n": 128})
    director = " ".join(str(director or "").split())
    if len(director) > 64:
        errors.setdefault("director", []).append(_("The name is longer than %(n)s characters.") % {"n": 64})
    if established_on and established_on > dt.date.today() + dt.timedelta(days=366):
        errors.setdefault("established_on", []).append(_("The date lies too far in the future."))
    ids = sorted({int(i) for i in (department_ids or [])})
    depts = list(Department.objects.filter(pk__in=ids, region=reg, is_active=True))
    if len(depts) != len(ids):
        errors.setdefault("departments", []).append(_("Member departments must be active departments of %(region)s.") % {"region": reg.name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    committee = GovernanceCommittee.objects.select_for_update().filter(region=reg).first()
    created = committee is None
    before: dict[str, Any] = {}
    if committee is None:
        committee = GovernanceCommittee(region=reg, region_path=reg.path)
    else:
        before = {
            **_snapshot(committee, ["name", "director", "established_on", "remit"]),
            "departments": sorted(committee.departments.values_list("pk", flat=True)),
        }
    committee.name, committee.director, committee.established_on, committee.remit = name, director, established_on, str(remit or "").strip()
    committee.save()
    committee.departments.set(depts)
    after = {**_snapshot(committee, ["name", "director", "established_on", "remit"]), "departments": ids}
    audit.record(actor=actor, verb="committee.create" if created else "committee.update", target=committee, changes=audit.diff(before, after))
    registry.bump(MODULE)
    return committee


# --- subdistrict structure: offices --------------------------------------------------------------


def _subdistrict(actor: Any, subdistrict: Region | int) -> Region:
    reg = _region_in_scope(actor, P.STRUCTURE_MANAGE, subdistrict)
    if reg.level != Level.SUBDISTRICT:
        raise ValidationError.for_field("subdistrict", _("Offices and staff quotas belong to a subdistrict."))
    return reg


def _instantiate(reg: Region) -> list[Office]:
    existing = set(Office.objects.filter(subdistrict=reg).values_list("name", flat=True))
    new = [
        Office(subdistrict=reg, region_path=reg.path, name=t.name, kind=t.kind, order=t.order)
        for t in OfficeTemplate.objects.filter(is_active=True).order_by("order", "id")
        if t.name not in existing
    ]
    Office.objects.bulk_create(new)
    return new


@transaction.atomic
def structure_instantiate(*, actor: Any, subdistrict: Region | int) -> list[Office]:
    """Create the standard offices (from the configurable templates) a subdistrict does not have yet."""
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    new = _instantiate(reg)
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
def office_create(*, actor: Any, subdistrict: Region | int, name: str, kind: str, head: str = "", order: int | None = None) -> Office:
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    errors: dict[str, list[Any]] = {}
    if order is None:
        order = (Office.objects.filter(subdistrict=reg).order_by("-order").values_list("order", flat=True).first() or 0) + 1
    name, kind, head, order_i = _clean_office(name, kind, head, order, errors)
    if not errors.get("name") and Office.objects.filter(subdistrict=reg, name=name).exists():
        errors.setdefault("name", []).append(_("%(region)s already has an office named %(name)s.") % {"region": reg.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    office = Office.objects.create(subdistrict=reg, region_path=reg.path, name=name, kind=kind, head=head, order=order_i)
    audit.record(actor=actor, verb="office.create", target=office, changes=_snapshot(office, OFFICE_FIELDS))
    registry.bump(MODULE)
    return office


def _office_in_scope(actor: Any, office: Office | int) -> Office:
    pk = office.pk if isinstance(office, Office) else office
    return get_in_scope(Office.objects.select_for_update().select_related("subdistrict"), actor, P.STRUCTURE_MANAGE, pk=pk)


@transaction.atomic
def office_update(
    *, actor: Any, office: Office | int, name: str | None = None, kind: str | None = None, head: str | None = None, order: int | None = None
) -> Office:
    require(actor, P.STRUCTURE_MANAGE)
    obj = _office_in_scope(actor, office)
    before = _snapshot(obj, OFFICE_FIELDS)
    errors: dict[str, list[Any]] = {}
    n, k, h, o = _clean_office(
        obj.name if name is None else name,
        obj.kind if kind is None else kind,
        obj.head if head is None else head,
        obj.order if order is None else order,
        errors,
    )
    if not errors.get("name") and Office.objects.filter(subdistrict_id=obj.subdistrict_id, name=n).exclude(pk=obj.pk).exists():
        errors.setdefault("name", []).append(_("%(region)s already has an office named %(name)s.") % {"region": obj.subdistrict.name, "name": n})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    obj.name, obj.kind, obj.head, obj.order = n, k, h, o
    obj.save()
    audit.record(actor=actor, verb="office.update", target=obj, changes=audit.diff(before, _snapshot(obj, OFFICE_FIELDS)))
    registry.bump(MODULE)
    return obj


@transaction.atomic
def office_set_active(*, actor: Any, office: Office | int, active: bool) -> Office:
    require(actor, P.STRUCTURE_MANAGE)
    obj = _office_in_scope(actor, office)
    if obj.is_active != active:
        obj.is_active = active
        obj.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor,
            verb="office.activate" if active else "office.deactivate",
            target=obj,
            changes={"is_active": {"before": not active, "after": active}},
        )
        registry.bump(MODULE)
    return obj


def office_deactivate(*, actor: Any, office: Office | int) -> Office:
    return office_set_active(actor=actor, office=office, active=False)


# --- the configurable standard structure -----------------------------------------------------


@transaction.atomic
def office_template_save(
    *, actor: Any, template: OfficeTemplate | int | None = None, name: str, kind: str, order: int = 0, is_active: bool = True
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
    if not errors.get("name") and OfficeTemplate.objects.filter(name=name).exclude(pk=obj.pk if obj else 0).exists():
        errors.setdefault("name", []).append(_("A standard office named %(name)s already exists.") % {"name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    fields = ["name", "kind", "order", "is_active"]
    before = _snapshot(obj, fields) if obj else {}
    obj = obj or OfficeTemplate()
    obj.name, obj.kind, obj.order, obj.is_active = name, kind, order_i, bool(is_active)
    obj.save()
    audit.record(
        actor=actor,
        verb="office_template.update" if before else "office_template.create",
        target=obj,
        changes=audit.diff(before, _snapshot(obj, fields)),
    )
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
        if year_i < 1949 or year_i > dt.date.today().year + 1:
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
    *, actor: Any, subdistrict: Region | int, count: int, year: int, office: Office | int | None = None, moved_down: bool = True, note: str = ""
) -> StaffQuota:
    require(actor, P.STRUCTURE_MANAGE)
    reg = _subdistrict(actor, subdistrict)
    errors: dict[str, list[Any]] = {}
    count_i, year_i, office_obj, note = _clean_quota(reg, count, year, office, note, errors)
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    quota = StaffQuota.objects.create(
        subdistrict=reg, region_path=reg.path, office=office_obj, count=count_i, year=year_i, moved_down=bool(moved_down), note=note
    )
    audit.record(actor=actor, verb="quota.create", target=quota, changes=_snapshot(quota, QUOTA_FIELDS))
    registry.bump(MODULE)
    return quota


def _quota_in_scope(actor: Any, quota: StaffQuota | int) -> StaffQuota:
    pk = quota.pk if isinstance(quota, StaffQuota) else quota
    return get_in_scope(StaffQuota.objects.select_for_update().select_related("subdistrict"), actor, P.STRUCTURE_MANAGE, pk=pk)


@transaction.atomic
def quota_update(
    *, actor: Any, quota: StaffQuota | int, count: int, year: int, office: Office | int | None = None, moved_down: bool = True, note: str = ""
) -> StaffQuota:
    require(actor, P.STRUCTURE_MANAGE)
    obj = _quota_in_scope(actor, quota)
    before = _snapshot(obj, QUOTA_FIELDS)
    errors: dict[str, list[Any]] = {}
    count_i, year_i, office_obj, note = _clean_quota(obj.subdistrict, count, year, office, note, errors)
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    obj.count, obj.year, obj.office, obj.moved_down, obj.note = count_i, year_i, office_obj, bool(moved_down), note
    obj.save()
    audit.record(actor=actor, verb="quota.update", target=obj, changes=audit.diff(before, _snapshot(obj, QUOTA_FIELDS)))
    registry.bump(MODULE)
    return obj


@transaction.atomic
def quota_delete(*, actor: Any, quota: StaffQuota | int) -> None:
    """A quota is a number, not a person or organisation: a wrong entry may be removed (audited)."""
    require(actor, P.STRUCTURE_MANAGE)
    obj = _quota_in_scope(actor, quota)
    snapshot = _snapshot(obj, QUOTA_FIELDS)
    audit.record(actor=actor, verb="quota.delete", target=obj, changes=snapshot)
    obj.delete()
    registry.bump(MODULE)


# --- delegated powers ----------------------------------------------------------------------------


POWER_FIELDS = ["name", "description", "legal_basis", "effective_on", "is_active"]


def _clean_power(name: Any, description: Any, legal_basis: Any, errors: dict[str, list[Any]]) -> tuple[str, str, str]:
    try:
        name = clean_name(name, max_length=128)
    except ValidationError as exc:
        errors.update(exc.details)
    legal_basis = str(legal_basis or "").strip()
    if len(legal_basis) > 255:
        errors.setdefault("legal_basis", []).append(_("The legal basis is longer than %(n)s characters.") % {"n": 255})
    return str(name), str(description or "").strip(), legal_basis


@transaction.atomic
def power_create(
    *, actor: Any, region: Region | int, name: str, description: str = "", legal_basis: str = "", effective_on: dt.date | None = None
) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    reg = _region_in_scope(actor, P.POWERS_MANAGE, region)
    if reg.level not in (Level.CITY, Level.DISTRICT):
        raise ValidationError.for_field("region", _("Powers are delegated to subdistricts by a city or a district."))
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    if not errors.get("name") and DelegatedPower.objects.filter(region=reg, name=name).exists():
        errors.setdefault("name", []).append(_("%(region)s has already delegated a power named %(name)s.") % {"region": reg.name, "name": name})
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    power = DelegatedPower.objects.create(
        region=reg, region_path=reg.path, name=name, description=description, legal_basis=legal_basis, effective_on=effective_on
    )
    audit.record(actor=actor, verb="power.create", target=power, changes=_snapshot(power, POWER_FIELDS))
    registry.bump(MODULE)
    return power


def _power_in_scope(actor: Any, power: DelegatedPower | int) -> DelegatedPower:
    pk = power.pk if isinstance(power, DelegatedPower) else power
    return get_in_scope(DelegatedPower.objects.select_for_update().select_related("region"), actor, P.POWERS_MANAGE, pk=pk)


@transaction.atomic
def power_update(
    *, actor: Any, power: DelegatedPower | int, name: str, description: str = "", legal_basis: str = "", effective_on: dt.date | None = None
) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    obj = _power_in_scope(actor, power)
    before = _snapshot(obj, POWER_FIELDS)
    errors: dict[str, list[Any]] = {}
    name, description, legal_basis = _clean_power(name, description, legal_basis, errors)
    if not errors.get("name") and DelegatedPower.objects.filter(region_id=obj.region_id, name=name).exclude(pk=obj.pk).exists():
        errors.setdefault("name", []).append(
            _("%(region)s has already delegated a power named %(name)s.") % {"region": obj.region.name, "name": name}
        )
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], details=errors)
    obj.name, obj.description, obj.legal_basis, obj.effective_on = name, description, legal_basis, effective_on
    obj.save()
    audit.record(actor=actor, verb="power.update", target=obj, changes=audit.diff(before, _snapshot(obj, POWER_FIELDS)))
    registry.bump(MODULE)
    return obj


@transaction.atomic
def power_deactivate(*, actor: Any, power: DelegatedPower | int) -> DelegatedPower:
    require(actor, P.POWERS_MANAGE)
    obj = _power_in_scope(actor, power)
    if obj.is_active:
        obj.is_active = False
        obj.save(update_fields=["is_active", "updated_at"])
        audit.record(actor=actor, verb="power.deactivate", target=obj, changes={"is_active": {"before": True, "after": False}})
        registry.bump(MODULE)
    return obj
