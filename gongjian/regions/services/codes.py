"""Statistical codes, levels, kinds and names of regions: the cleaners the services and the importer share."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import ValidationError

from ..choices import CODE_LENGTH, KINDS_BY_LEVEL, LEVEL_ORDER, PARENT_LEVEL, Level, RegionKind

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
