"""The region tree: create, rename, re-code, move (with the whole subtree), deactivate and activate."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import PermissionDenied, ValidationError
from gongjian.core.kernel import Actor, audited_save, snapshot
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields

from .. import permissions as P
from ..choices import Level, clean_code
from ..models import Region
from .codes import DEFAULT_KIND, clean_kind, clean_level, clean_name, code_shape_error, parent_error, significant_prefix
from .common import MODULE, ensure_below_top, full_name_under, parent_for, raise_errors, region_in_scope, set_active, tree_path
from .structure import instantiate_offices

# --- the region tree -----------------------------------------------------------------------------


REGION_FIELDS = ["code", "name", "level", "kind", "parent_id", "path", "full_name", "is_active"]


@transaction.atomic
def region_create(*, actor: Actor, code: str, name: str, level: str, parent: Region | int | None = None, kind: str = "") -> Region:
    require(actor, P.MANAGE)
    errors: dict[str, list[Any]] = {}
    code = clean_code(code)
    lvl = clean_level(level)
    parent_obj = parent_for(actor, P.MANAGE, parent) if lvl != Level.CITY or parent is not None else None
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
        message = shape or (pe[1] if pe else None)
        if message:
            errors.setdefault("code", []).append(message)
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
    raise_errors(errors)
    region = Region(
        code=code,
        name=name,
        level=lvl,
        kind=kind_v,
        parent=parent_obj,
        path=tree_path(parent_obj, code),
        depth=tree_path(parent_obj, code).count("/") - 2,
        full_name=full_name_under(parent_obj, name),
    )
    code_taken = ("code", _("The statistical code %(code)s is already used.") % {"code": code})
    audited_save(region, actor=actor, verb="region.create", fields=REGION_FIELDS, unique={"code": code_taken}, module=MODULE)
    if lvl == Level.SUBDISTRICT:
        # A new subdistrict starts from the configurable standard structure (6 offices, 3 centres, 1 station).
        offices = instantiate_offices(region)
        if offices:
            audit.record(actor=actor, verb="office.instantiate", target=region, changes={"offices": [o.name for o in offices]})
    return region


@transaction.atomic
def region_update(
    *,
    actor: Actor,
    region: Region | int,
    name: str | None = None,
    kind: str | None = None,
    code: str | None = None,
    parent: Region | int | None = None,
) -> Region:
    """Rename, re-kind, re-code or move a region. Moving re-codes and re-paths the whole subtree,
    and every record that carries a region path follows."""
    require(actor, P.MANAGE)
    obj = region_in_scope(actor, P.MANAGE, region)
    obj = Region.objects.select_for_update(of=("self",)).select_related("parent").get(pk=obj.pk)
    ensure_below_top(actor, P.MANAGE, obj)
    before = snapshot(obj, REGION_FIELDS)
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
        new_parent = region_in_scope(actor, P.MANAGE, parent)
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
    raise_errors(errors)

    moved = new_code != obj.code or new_parent != obj.parent
    renamed = new_name != obj.name or (new_parent != obj.parent)
    old_path = obj.path
    new_path = tree_path(new_parent, new_code)

    def place(o: Region, values: dict[str, Any]) -> None:
        """Set the new values; a move re-codes and re-paths the subtree before the region itself is saved."""
        for key, value in values.items():
            setattr(o, key, value)
        if moved:
            _recode_subtree(o, old_path, before["code"], lvl)

    audited_save(obj, actor=actor, verb="region.move" if moved else "region.update", fields=REGION_FIELDS, before=before, apply=place,
                 changes={"name": new_name, "kind": new_kind, "code": new_code, "parent": new_parent, "path": new_path,
                          "depth": new_path.count("/") - 2, "full_name": full_name_under(new_parent, new_name)},
                 module=MODULE)
    if renamed or moved:
        refresh_full_names(obj)
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
def region_deactivate(*, actor: Actor, region: Region | int) -> Region:
    require(actor, P.MANAGE)
    obj = region_in_scope(actor, P.MANAGE, region)
    ensure_below_top(actor, P.MANAGE, obj)
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
    return set_active(obj, actor=actor, active=False, verb="region")


def _active_records_in(region: Region) -> list[tuple[str, int]]:
    """Active records of other modules located in the region's subtree (party organisations,
    units, members by their organisation or home …): a deactivated region would strand them,
    since pickers offer active regions only. Any model declaring region ``scope_fields`` and an
    ``is_active`` field counts, so later modules are covered too."""

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
def region_activate(*, actor: Actor, region: Region | int) -> Region:
    require(actor, P.MANAGE)
    obj = region_in_scope(actor, P.MANAGE, region)
    ensure_below_top(actor, P.MANAGE, obj)
    if obj.is_active:
        return obj
    if obj.parent is not None and not obj.parent.is_active:
        raise ValidationError.for_field("region", _("The parent region is deactivated; activate it first."))
    return set_active(obj, actor=actor, active=True, verb="region")
