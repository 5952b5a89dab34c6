"""The region-tree importer (kind "regions"): code, name, level, parent_code, kind.

Checking looks at the whole file: a row whose parent comes later in the same file still works,
because rows are resolved level by level (city, district, subdistrict, community, grid) against
the database and the rows accepted so far. Writing is set-based (bulk create / bulk update) and
idempotent on the statistical code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import ValidationError
from gongjian.core.scope import region_paths
from gongjian.core.tabular import ApplyResult, CheckResult, Column, Importer, RowError

from . import permissions as P
from .choices import LEVEL_ORDER, Level
from .models import Region
from .services import MODULE, clean_code, clean_kind, clean_level, clean_name, code_shape_error, parent_error, refresh_full_names

OUTSIDE = RowError(0, "", "outside the scope")


@dataclass
class Existing:
    pk: int
    code: str
    name: str
    level: str
    kind: str
    parent_code: str
    path: str
    full_name: str
    is_active: bool


class RegionImporter(Importer):
    kind = "regions"
    name = _("region tree")
    key = "code"
    columns = (
        Column("code", _("Statistical code"), required=True, example="410103001001",
               help=_("6 digits for a city or district, 12 for a subdistrict or community")),
        Column("name", _("Name"), required=True, example="淮河社区"),
        Column("level", _("Level"), required=True, example="community",
               help=_("city / district / subdistrict / community / grid, or 市 / 区 / 街道 / 社区 / 网格")),
        Column("parent_code", _("Parent code"), example="410103001000", help=_("empty only for the city")),
        Column("kind", _("Kind"), example="community", help=_("district / county / zone; subdistrict / town / township; community / village")),
    )

    # Headers offices use, matched whatever the interface language is.
    HEADER_ALIASES = {
        "code": ("统计代码", "区划代码", "统计用区划代码", "代码", "编码"),
        "name": ("名称", "区域名称", "名字"),
        "level": ("层级", "级别", "级次"),
        "parent_code": ("上级代码", "上级区划代码", "上级统计代码", "上级编码", "parent"),
        "kind": ("类型", "类别", "城乡分类"),
    }

    def __init__(self, scope_code: str | None = None) -> None:
        self.scope_code = scope_code
        self.outside: list[int] = []  # rows skipped because they lie outside --scope (command only)

    def header_map(self, header: list[str]) -> dict[str, int]:
        lookup = {alias: key for key, aliases in self.HEADER_ALIASES.items() for alias in aliases}
        normalised = [lookup.get(h.replace("*", "").replace("（必填）", "").strip(), h) for h in header]
        return super().header_map(normalised)

    # -- look-ups shared by all rows ------------------------------------------------------------

    def prepare(self, actor: Any) -> dict[str, Any]:
        cached = getattr(self, "_context", None)
        if cached is not None and cached[0] is actor:
            return cached[1]
        context = self._load(actor)
        self._context = (actor, context)
        return context

    def _load(self, actor: Any) -> dict[str, Any]:
        rows = Region.objects.values_list("id", "code", "name", "level", "kind", "parent__code", "path", "full_name", "is_active")
        existing = {r[1]: Existing(r[0], r[1], r[2], r[3], r[4], r[5] or "", r[6], r[7], r[8]) for r in rows}
        if actor is None or getattr(actor, "is_superuser", False):
            paths = [""]
        else:
            paths = region_paths(actor, P.IMPORT)
        if self.scope_code:
            root = existing.get(self.scope_code)
            paths = [root.path] if root else ["/-none-/"]
        return {"existing": existing, "paths": paths}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[Any]] = {}
        code = clean_code(values.get("code"))
        level = None
        try:
            level = clean_level(values.get("level"))
        except ValidationError as exc:
            errors.update(exc.details)
        name = ""
        try:
            name = clean_name(values.get("name"))
        except ValidationError as exc:
            errors.update(exc.details)
        kind = None
        if level is not None:
            shape = code_shape_error(code, level)
            if shape:
                errors.setdefault("code", []).append(shape)
            try:
                kind = clean_kind(values.get("kind"), level)
            except ValidationError as exc:
                errors.update(exc.details)
        parent_code = clean_code(values.get("parent_code"))
        if parent_code and (not parent_code.isdigit() or len(parent_code) not in (6, 12, 15)):
            errors.setdefault("parent_code", []).append(gettext("The parent code must be 6, 12 or 15 digits."))
        if errors:
            raise ValidationError(next(iter(errors.values()))[0], details=errors)
        return {"code": code, "name": name, "level": str(level), "kind": str(kind), "parent_code": parent_code}

    # -- whole-file resolution ------------------------------------------------------------------

    def check(self, file: IO[bytes] | bytes, *, filename: str = "", actor: Any = None) -> CheckResult:
        result = super().check(file, filename=filename, actor=actor)
        context = self.prepare(actor)
        existing: dict[str, Existing] = context["existing"]
        paths: list[str] = context["paths"]
        # code -> (level, path, rownum) of rows accepted so far
        accepted: dict[str, tuple[str, str, int]] = {}
        rejected: dict[str, int] = {}
        by_level = sorted(result.valid, key=lambda item: (LEVEL_ORDER.index(Level(item[1]["level"])), item[0]))
        keep: list[tuple[int, dict[str, Any]]] = []
        for rownum, data in by_level:
            err = self._resolve(rownum, data, existing, accepted, rejected, paths)
            if err is OUTSIDE:
                self.outside.append(rownum)
                rejected[data["code"]] = rownum
                continue
            if err:
                result.errors.append(err)
                rejected[data["code"]] = rownum
                continue
            accepted[data["code"]] = (data["level"], data["path"], rownum)
            keep.append((rownum, data))
        result.valid = sorted(keep, key=lambda item: item[0])
        result.errors.sort(key=lambda e: e.row)
        return result

    def _resolve(
        self,
        rownum: int,
        data: dict[str, Any],
        existing: dict[str, Existing],
        accepted: dict[str, tuple[str, str, int]],
        rejected: dict[str, int],
        paths: list[str],
    ) -> RowError | None:
        code, level, parent_code = data["code"], Level(data["level"]), data["parent_code"]
        col = self.label
        parent_level, parent_path = None, "/"
        if parent_code:
            if parent_code in accepted:
                parent_level, parent_path = accepted[parent_code][0], accepted[parent_code][1]
            elif parent_code in existing:
                parent_level, parent_path = existing[parent_code].level, existing[parent_code].path
            elif parent_code in rejected:
                return RowError(
                    rownum,
                    col("parent_code"),
                    gettext("The parent %(code)s (row %(row)s) has errors.") % {"code": parent_code, "row": rejected[parent_code]},
                )
            else:
                return RowError(
                    rownum, col("parent_code"), gettext("Unknown parent code %(code)s: not in the system nor in this file.") % {"code": parent_code}
                )
        pe = parent_error(code, level, parent_code or None, parent_level)
        if pe:
            column = {"parent": "parent_code"}.get(pe[0], pe[0])
            return RowError(rownum, col(column), str(pe[1]))
        old = existing.get(code)
        if old is not None:
            if old.level != level:
                return RowError(
                    rownum,
                    col("level"),
                    gettext("%(code)s is already a %(level)s in the system; the level cannot change by import.")
                    % {"code": code, "level": Level(old.level).label},
                )
            if old.parent_code != parent_code:
                return RowError(
                    rownum,
                    col("parent_code"),
                    gettext("%(code)s already sits under %(parent)s; move it on its edit page, not by import.")
                    % {"code": code, "parent": old.parent_code or "—"},
                )
        path = parent_path + code + "/"
        data["path"] = path
        unchanged = old is not None and old.name == data["name"] and old.kind == data["kind"]
        if "" not in paths:
            inside = any(path.startswith(p) and (path != p or unchanged) for p in paths)
            if not inside:
                if self.scope_code:
                    return OUTSIDE
                return RowError(rownum, col("code"), gettext("%(code)s lies outside the regions you may import into.") % {"code": code})
        return None

    # -- writing ----------------------------------------------------------------------------------

    def apply(self, result: CheckResult, *, actor: Any, mode: str = "all") -> ApplyResult:
        if mode not in {"all", "valid"}:
            raise ValidationError.for_field("mode", _("Choose whether to import all rows or only the valid rows."))
        if mode == "all" and result.errors:
            raise ValidationError(
                _("%(n)s rows have errors; nothing was imported. Fix them, or choose to import only the valid rows.") % {"n": result.error_rows}
            )
        out = ApplyResult(skipped=result.error_rows)
        with transaction.atomic():
            existing = {r.code: r for r in Region.objects.select_for_update().filter(code__in=[d["code"] for _n, d in result.valid])}
            rows = sorted((d for _n, d in result.valid), key=lambda d: LEVEL_ORDER.index(Level(d["level"])))
            created_codes: list[str] = []
            updated: list[Region] = []
            renamed: list[Region] = []
            # Parents of new rows: existing regions (any) and the rows created here, level by level.
            parent_codes = {d["parent_code"] for d in rows if d["parent_code"]}
            known = {r.code: r for r in Region.objects.filter(code__in=parent_codes)}
            for lvl in LEVEL_ORDER:
                batch: list[Region] = []
                for d in rows:
                    if d["level"] != lvl:
                        continue
                    old = existing.get(d["code"])
                    if old is not None:
                        if old.name == d["name"] and old.kind == d["kind"]:
                            out.unchanged += 1
                            continue
                        if old.name != d["name"]:
                            renamed.append(old)
                        old.name, old.kind = d["name"], d["kind"]
                        parent = known.get(d["parent_code"])
                        old.full_name = ((parent.full_name if parent else "") + old.name)[:255]
                        updated.append(old)
                        continue
                    parent = known.get(d["parent_code"]) if d["parent_code"] else None
                    path = (parent.path if parent else "/") + d["code"] + "/"
                    batch.append(
                        Region(
                            code=d["code"],
                            name=d["name"],
                            level=d["level"],
                            kind=d["kind"],
                            parent=parent,
                            path=path,
                            depth=path.count("/") - 2,
                            full_name=((parent.full_name if parent else "") + d["name"])[:255],
                        )
                    )
                if batch:
                    Region.objects.bulk_create(batch, batch_size=1000)
                    if not batch[0].pk:  # backends without RETURNING ids
                        batch = list(Region.objects.filter(code__in=[r.code for r in batch]))
                    for r in batch:
                        known[r.code] = r
                    created_codes.extend(r.code for r in batch)
            if updated:
                Region.objects.bulk_update(updated, ["name", "kind", "full_name", "updated_at"], batch_size=1000)
                for r in renamed:
                    refresh_full_names(r)
            out.created = len(created_codes)
            out.updated = len(updated)
            if out.created or out.updated:
                audit.record(
                    actor=actor,
                    verb="region.import",
                    target=("regions.region", ""),
                    target_label=gettext("region tree"),
                    changes={"created": created_codes, "updated": [r.code for r in updated], "unchanged": out.unchanged, "skipped": out.skipped},
                )
                registry.bump(MODULE)
        return out


def import_file(
    path: str, *, actor: Any = None, scope_code: str | None = None, mode: str = "all"
) -> tuple[CheckResult, ApplyResult | None, dict[str, float], list[int]]:
    """Check and import a whole file (the management command). Returns timings in seconds."""
    importer = RegionImporter(scope_code=scope_code)
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        data = fh.read()
    result = importer.check(data, filename=path, actor=actor)
    t1 = time.perf_counter()
    outcome = None
    if result.ok or mode == "valid":
        outcome = importer.apply(result, actor=actor, mode=mode)
    t2 = time.perf_counter()
    return result, outcome, {"check": t1 - t0, "write": t2 - t1, "total": t2 - t0}, importer.outside
