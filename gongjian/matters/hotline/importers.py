"""Hotline import: 12345 work orders (工单) from .xlsx or CSV (UTF-8, with BOM, GB18030) become matters.

Columns (headers in Chinese or English, or the keys; only 工单编号, 主要内容 and 社区 are required):
工单编号 · 问题分类 · 标题 · 主要内容 · 被反映区 · 街乡镇 · 社区 · 地址 · 紧急程度 · 来电时间 · 办理结果 ·
是否解决 · 是否满意 · 来电人 · 来电电话.

Decisions (also in the report and docs/performance.md's neighbour, the module docs):

* **Regions.** 社区 is a 12-digit community code or a community name; a name is looked up among the
  communities of the 街乡镇 and 被反映区 given (each a name or a code). A name that several communities
  carry (淮河社区 in two districts) without a 街乡镇/区 that tells them apart is a row error naming the
  candidates. The community must lie in the importing administrator's area.
* **Category.** 问题分类 is matched against the dispatch catalogue: by full path (住房与物业/老旧小区改造/
  加装电梯, with / › > - or 、 between levels, or the catalogue's full name), else by the leaf name,
  else by a catalogue name contained in the text (or the text in one name) when exactly one category
  fits. Several fits → a row error naming them. No fit, or an empty cell → the catalogue's “其他”
  category when it has one (12345 catalogues end with 其他); without one, an unknown text is a row error
  and an empty cell leaves the category blank.
* **Title** = 标题 when given, else the first sentence of 主要内容 (at most 60 characters).
* **Outcome.** 是否解决 = 是 needs a 办理结果 (the resolution); 是否满意 (满意 / 基本满意 / 不满意) needs a
  solved order. Each row becomes a matter through ``matter_report`` as the importing administrator
  (source hotline, the work-order number as ``external_ref``, reported at 来电时间; owned by the
  community, the first receiver). A solved order's outcome is recorded through
  ``matter_hotline_outcome``: the hotline handled it, so the timeline says “12345热线” (entered by the
  importing administrator) and no level of the city appears to act for another — resolved, then closed
  or reopened at the owning level when the hotline's callback says 不满意. Only a work order the city's
  own workflow has not taken further (reported or accepted; resolved for a later callback) takes the
  hotline's outcome; one already escalated or with departments is a row error (its owner records it).
* **Idempotence** on 工单编号: a work order already imported is “unchanged” when its row says the
  same; a later export of the same order may carry the hotline's progress (resolved, then the
  callback): those steps are added through the services (“updated”). The report itself (content,
  category, community, urgency, time, caller) belongs to the matter once imported: a row that changes
  it, or that takes back a resolution or a satisfaction, is refused with a row error (edit the matter
  instead). A work order number twice in one file is a row error on the second.
* **Import all** writes only when no row has an error; **import the valid rows** writes those (the
  core import flow). The caller's phone is encrypted and looked up by its hash (``core.pii``, through
  the service); nothing of it goes into the error report.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gongjian.core import pii
from gongjian.core.errors import DomainError, ValidationError
from gongjian.core.scope import region_paths
from gongjian.core.tabular import Column, Importer, parse_date
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from .. import services
from ..choices import MatterSource, MatterStatus, Satisfaction, Urgency
from ..models import Matter, MatterCategory

IMPORT = perms.IMPORT
HOTLINE_NOTE = "12345热线工单导入"
FALLBACK_CATEGORY = "其他"
TITLE_MAX = 60
_PATH_SEPARATORS = re.compile(r"\s*(?:/|／|›|>|＞|→|-|—|、|\\)\s*")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")

SATISFACTION_WORDS = {
    "满意": Satisfaction.SATISFIED, "非常满意": Satisfaction.SATISFIED, "satisfied": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASICALLY, "比较满意": Satisfaction.BASICALLY, "basically satisfied": Satisfaction.BASICALLY,
    "不满意": Satisfaction.UNSATISFIED, "非常不满意": Satisfaction.UNSATISFIED, "unsatisfied": Satisfaction.UNSATISFIED,
}
URGENCY_WORDS = {
    "紧急": Urgency.EMERGENCY, "特急": Urgency.EMERGENCY, "加急": Urgency.EMERGENCY, "急": Urgency.EMERGENCY,
    "水电气暖": Urgency.UTILITIES, "停水停电": Urgency.UTILITIES,
    "一般": Urgency.GENERAL, "普通": Urgency.GENERAL,
    "复杂": Urgency.COMPLEX, "疑难": Urgency.COMPLEX,
}
# The order of the hotline's progress: an import may move a matter forward along it, never back.
_STAGE = {"open": 0, "resolved": 1, "callback": 2}


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).strip()


def parse_datetime(value: str, field: str = "reported_at") -> dt.datetime | None:
    """A call time as the hotline exports it (2026-03-15 09:12:33, 2026/3/15 9:12, an Excel date-time) in local time."""
    text = unicodedata.normalize("NFKC", value or "").strip().replace("T", " ")
    if not text:
        return None
    text = re.sub(r"\.\d+$", "", text)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M:%S",
                "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H时%M分", "%Y%m%d%H%M%S"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=timezone.get_current_timezone())
        except ValueError:
            continue
    day = parse_date(text, field=field)  # a date alone: the start of the working day
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))) if day else None


def title_from(content: str) -> str:
    """The first sentence of the content, at most ``TITLE_MAX`` characters."""
    text = " ".join((content or "").split())
    first = _SENTENCE_END.split(text, maxsplit=1)[0].strip(" ，,：:") or text
    return first if len(first) <= TITLE_MAX else first[: TITLE_MAX - 1] + "…"


class Catalogue:
    """The dispatch catalogue indexed for matching the hotline's 问题分类 text."""

    def __init__(self) -> None:
        cats = list(MatterCategory.objects.filter(is_active=True).select_related("parent__parent"))
        self.by_id = {c.pk: c for c in cats}
        self.paths: dict[tuple[str, ...], MatterCategory] = {}
        self.by_name: dict[str, list[MatterCategory]] = {}
        for c in cats:
            names: list[str] = []
            node: MatterCategory | None = c
            while node is not None:
                names.insert(0, _norm(node.name))
                node = node.parent
            self.paths[tuple(names)] = c
            self.by_name.setdefault(_norm(c.name), []).append(c)
        self.full_names = {_norm(c.full_name): c for c in cats if c.full_name}
        fallback = sorted(self.by_name.get(FALLBACK_CATEGORY, []), key=lambda c: (c.level, c.sort_order, c.pk))
        self.fallback = fallback[0] if fallback else None

    @staticmethod
    def label(c: MatterCategory) -> str:
        return c.full_name or c.name

    def match(self, text: str) -> MatterCategory | None:
        value = _norm(text)
        if not value:
            return self.fallback
        if value in self.full_names:
            return self.full_names[value]
        parts = tuple(p for p in (_norm(x) for x in _PATH_SEPARATORS.split(unicodedata.normalize("NFKC", text))) if p)
        if len(parts) > 1:
            if parts in self.paths:
                return self.paths[parts]
            # a path whose upper levels the hotline names differently: its leaf, when unambiguous under any parent
            tail = [c for path, c in self.paths.items() if path[-len(parts):] == parts]
            if len(tail) == 1:
                return tail[0]
            value = parts[-1]
        exact = self.by_name.get(value, [])
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            # the same leaf name under several branches: prefer the deepest one only if it is alone at that depth
            raise self._ambiguous(text, exact)
        fuzzy = [c for name, cs in self.by_name.items() for c in cs if len(name) >= 2 and (name in value or value in name)]
        if fuzzy:
            deepest = max(c.level for c in fuzzy)
            fuzzy = [c for c in fuzzy if c.level == deepest]
            # a name and its own ancestors are one fit: keep the most specific
            if len(fuzzy) == 1:
                return fuzzy[0]
            raise self._ambiguous(text, fuzzy)
        if self.fallback is not None:
            return self.fallback
        raise ValidationError.for_field("category", _("No category of the dispatch catalogue matches “%(text)s”.") % {"text": text.strip()})

    def _ambiguous(self, text: str, found: list[MatterCategory]) -> ValidationError:
        names = "、".join(sorted({self.label(c) for c in found})[:6])
        return ValidationError.for_field("category", _("“%(text)s” fits several categories: %(names)s; write the full path.")
                                         % {"text": text.strip(), "names": names})


class Places:
    """Regions by code and name, for the hotline's 区 / 街乡镇 / 社区 columns, within the importer's area."""

    def __init__(self, actor: Any) -> None:
        self.paths = region_paths(actor, IMPORT) if actor is not None else [""]
        self.cache: dict[tuple[str, str, str], Region] = {}

    def _one_of(self, level: str, value: str, within: str, field: str) -> Region | None:
        value = _norm(value)
        if not value:
            return None
        qs = Region.objects.filter(level=level, is_active=True)
        if within:
            qs = qs.filter(path__startswith=within)
        if value.isdigit():
            found = list(qs.filter(code=value)[:2])
        else:
            found = list(qs.filter(name=value)[:11])
            if not found and level == Level.DISTRICT:
                found = list(qs.filter(name__startswith=value.rstrip("区县市"))[:11])
        if not found:
            raise ValidationError.for_field(field, _("No %(level)s “%(name)s” found.") % {"level": Level(level).label, "name": value})
        if len(found) > 1:
            names = "、".join(r.full_name or r.name for r in found[:10])
            raise ValidationError.for_field(field, _("Several regions are called “%(name)s”: %(names)s; give the code or the parent.")
                                            % {"name": value, "names": names})
        return found[0]

    def community(self, district: str, subdistrict: str, community: str) -> Region:
        key = (_norm(district), _norm(subdistrict), _norm(community))
        if key in self.cache:
            return self.cache[key]
        within = ""
        d = self._one_of(Level.DISTRICT, district, "", "district")
        if d is not None:
            within = d.path
        s = self._one_of(Level.SUBDISTRICT, subdistrict, within, "subdistrict")
        if s is not None:
            within = s.path
        c = self._one_of(Level.COMMUNITY, community, within, "community")
        if c is None:
            raise ValidationError.for_field("community", gettext("This column is required."))
        if not any(c.path.startswith(p) for p in self.paths):
            raise ValidationError.for_field("community", _("“%(name)s” is not in your area.") % {"name": c.full_name or c.name})
        self.cache[key] = c
        return c


def parse_satisfaction(value: str) -> str:
    v = _norm(value).lower()
    if not v:
        return ""
    if v in SATISFACTION_WORDS:
        return SATISFACTION_WORDS[v]
    raise ValidationError.for_field("satisfaction", _("Write 满意, 基本满意 or 不满意."))


def parse_urgency(value: str) -> str:
    """An urgency word; blank → "" (the category's default urgency, else general)."""
    v = _norm(value)
    if not v:
        return ""
    if v in URGENCY_WORDS:
        return URGENCY_WORDS[v]
    for key, label in Urgency.choices:
        if v.lower() in {key, str(label).lower()}:
            return key
    raise ValidationError.for_field("urgency", _("Write 紧急, 水电气暖, 一般 or 复杂."))


def parse_solved(value: str) -> bool | None:
    v = _norm(value).lower()
    if not v:
        return None
    if v in {"是", "已解决", "解决", "y", "yes", "true", "1", "√"}:
        return True
    if v in {"否", "未解决", "n", "no", "false", "0", "×"}:
        return False
    raise ValidationError.for_field("solved", _("Write 是 or 否."))


def _wanted(data: dict[str, Any]) -> int:
    return _STAGE["callback"] if data["satisfaction"] else _STAGE["resolved"] if data["solved"] else _STAGE["open"]


def _stage(m: Matter) -> int:
    if m.callback_at is not None or m.status in (MatterStatus.CLOSED, MatterStatus.REOPENED):
        return _STAGE["callback"]
    if m.resolved_at is not None:
        return _STAGE["resolved"]
    return _STAGE["open"]


class HotlineImporter(Importer):
    kind = "matters-hotline"
    name = _("12345 hotline work orders")
    key = "external_ref"
    columns = (
        Column("external_ref", pgettext_lazy("hotline column", "Work-order number"), required=True, example="2026031512345001"),
        Column("category", pgettext_lazy("hotline column", "Problem category"), example="住房与物业/老旧小区改造/加装电梯",
               help=_("A path or a leaf name of the dispatch catalogue; unknown or blank: 其他 when the catalogue has it.")),
        Column("title", pgettext_lazy("hotline column", "Title"), example="", help=_("Blank: the first sentence of the content.")),
        Column("content", pgettext_lazy("hotline column", "Main content"), required=True,
               example="市民反映淮河路1号院6号楼无电梯，老人上下楼困难，希望加装电梯。"),
        Column("district", pgettext_lazy("hotline column", "District reported"), example="二七区"),
        Column("subdistrict", pgettext_lazy("hotline column", "Subdistrict or town"), example="淮河路街道"),
        Column("community", pgettext_lazy("hotline column", "Community"), required=True, example="淮河社区",
               help=_("A community name or its 12-digit code.")),
        Column("address", pgettext_lazy("hotline column", "Address"), example="淮河路1号院6号楼"),
        Column("urgency", pgettext_lazy("hotline column", "Urgency"), example="一般"),
        Column("reported_at", pgettext_lazy("hotline column", "Call time"), example="2026-03-15 09:12"),
        Column("result", pgettext_lazy("hotline column", "Handling result"), example="已协调住建部门纳入加装电梯计划。"),
        Column("solved", pgettext_lazy("hotline column", "Solved"), example="是"),
        Column("satisfaction", pgettext_lazy("hotline column", "Satisfied"), example="满意"),
        Column("reporter_name", pgettext_lazy("hotline column", "Caller"), example="张先生"),
        Column("reporter_phone", pgettext_lazy("hotline column", "Caller's phone"), example="13800000000"),
    )
    # Other headers the hotline systems use for the same columns.
    ALIASES = {
        "工单号": "external_ref", "工单编码": "external_ref", "受理编号": "external_ref", "诉求分类": "category", "事项分类": "category",
        "反映内容": "content", "诉求内容": "content", "问题描述": "content", "工单内容": "content", "所属区": "district",
        "区县": "district", "被反映街乡镇": "subdistrict", "街道": "subdistrict", "所属街道": "subdistrict", "社区（村）": "community",
        "所属社区": "community", "被反映社区": "community", "问题地址": "address", "发生地址": "address", "来电日期": "reported_at",
        "受理时间": "reported_at", "处理结果": "result", "办理情况": "result", "回复内容": "result", "是否已解决": "solved",
        "满意度": "satisfaction", "回访满意度": "satisfaction", "联系人": "reporter_name", "来电人姓名": "reporter_name",
        "联系电话": "reporter_phone", "来电号码": "reporter_phone",
    }

    def header_map(self, header: list[str]) -> dict[str, int]:
        return super().header_map([self.ALIASES.get(_norm(h).replace("*", ""), h) for h in header])

    def prepare(self, actor: Any) -> dict[str, Any]:
        return {"actor": actor, "catalogue": Catalogue(), "places": Places(actor), "now": timezone.now()}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[Any]] = {}

        def attempt(fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except ValidationError as exc:
                for k, v in (exc.details or {"": [exc.message]}).items():
                    errors.setdefault(k, []).extend(v if isinstance(v, list | tuple) else [v])
                return None

        ref = _norm(values["external_ref"])
        if len(ref) > 64 or not re.fullmatch(r"[0-9A-Za-z_\-]+", ref or "-"):
            errors["external_ref"] = [_("A work-order number has letters, digits, - or _ only (at most 64).")]
        content = (values.get("content") or "").strip()
        title = " ".join((values.get("title") or "").split()) or title_from(content)
        if len(title) > 200:
            errors["title"] = [_("At most 200 characters.")]
        community = attempt(context["places"].community, values.get("district", ""), values.get("subdistrict", ""),
                            values.get("community", ""))
        category = attempt(context["catalogue"].match, values.get("category", ""))
        urgency = attempt(parse_urgency, values.get("urgency", ""))
        reported_at = attempt(parse_datetime, values.get("reported_at", ""), "reported_at")
        if reported_at is not None and reported_at > context["now"] + dt.timedelta(minutes=5):
            errors.setdefault("reported_at", []).append(_("The call time is in the future."))
        solved = attempt(parse_solved, values.get("solved", ""))
        satisfaction = attempt(parse_satisfaction, values.get("satisfaction", ""))
        result = (values.get("result") or "").strip()
        if solved and not result:
            errors.setdefault("result", []).append(_("A solved work order needs its handling result."))
        if satisfaction and not solved:
            errors.setdefault("satisfaction", []).append(_("Only a solved work order has a satisfaction."))
        phone = attempt(lambda v: pii.normalize_phone(v, field="reporter_phone"), values.get("reporter_phone", ""))
        name = " ".join((values.get("reporter_name") or "").split())
        if len(name) > 64:
            errors.setdefault("reporter_name", []).append(_("At most 64 characters."))
        address = " ".join((values.get("address") or "").split())[:255]
        if errors:
            raise ValidationError(_("Some fields are not valid."), details=errors)
        data = {
            "external_ref": ref, "title": title, "description": content, "community": community, "category": category,
            "urgency": urgency or (category.default_urgency if category is not None and category.default_urgency else Urgency.GENERAL),
            "reported_at": reported_at, "address": address, "reporter_name": name, "reporter_phone": phone or "",
            "resolution": result if solved else "", "solved": bool(solved), "satisfaction": satisfaction or "",
        }
        existing = Matter.objects.filter(external_ref=ref).first()
        if existing is not None:
            self._check_existing(existing, data, context)
        return data

    # -- an order imported before ------------------------------------------------------------
    def _report_changes(self, m: Matter, data: dict[str, Any]) -> list[str]:
        changed = []
        if m.description.strip() != data["description"]:
            changed.append("content")
        if m.community_id != data["community"].pk:
            changed.append("community")
        if (m.category_id or None) != (data["category"].pk if data["category"] is not None else None):
            changed.append("category")
        if data["reported_at"] is not None and abs((m.reported_at - data["reported_at"]).total_seconds()) >= 60:
            changed.append("reported_at")
        return changed

    def _check_existing(self, m: Matter, data: dict[str, Any], context: dict[str, Any]) -> None:
        if m.source != MatterSource.HOTLINE:
            raise ValidationError.for_field("external_ref", _("This work-order number belongs to a matter that did not come from the hotline."))
        if not any(m.region_path.startswith(p) for p in context["places"].paths):
            raise ValidationError.for_field("external_ref", _("This work order was imported in another area."))
        changed = self._report_changes(m, data)
        if changed:
            labels = "、".join(self.label(k) for k in changed)
            raise ValidationError.for_field(changed[0], _("Work order %(ref)s was imported before with other %(cols)s; change the matter "
                                                          "itself instead.") % {"ref": m.external_ref, "cols": labels})
        wanted = _wanted(data)
        have = _stage(m)
        if wanted < have:
            raise ValidationError.for_field("solved", _("Work order %(ref)s is already further along (%(status)s); an import cannot take "
                                                        "back its resolution or satisfaction.") % {"ref": m.external_ref,
                                                                                                  "status": m.get_status_display()})
        if have == _STAGE["callback"] and data["satisfaction"] and m.satisfaction != data["satisfaction"]:
            raise ValidationError.for_field("satisfaction", _("Work order %(ref)s already has a callback with another satisfaction.")
                                            % {"ref": m.external_ref})
        if wanted > have and m.status in (MatterStatus.REJECTED,):
            raise ValidationError.for_field("solved", _("Work order %(ref)s was rejected; it cannot be resolved by an import.")
                                            % {"ref": m.external_ref})
        if wanted > have and have == _STAGE["open"] and m.status not in (MatterStatus.REPORTED, MatterStatus.ACCEPTED):
            raise ValidationError.for_field("solved", _("Work order %(ref)s is already being handled here (%(status)s); its outcome is "
                                                        "recorded by the level that owns it.") % {"ref": m.external_ref,
                                                                                                  "status": m.get_status_display()})

    # -- writing ------------------------------------------------------------------------------
    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:
        m = Matter.objects.filter(external_ref=data["external_ref"]).first()
        if m is None:
            m = services.matter_report(
                actor=actor, title=data["title"], description=data["description"], category=data["category"], urgency=data["urgency"],
                community=data["community"], address=data["address"], source=MatterSource.HOTLINE,
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"], external_ref=data["external_ref"],
                source_ref=HOTLINE_NOTE, reported_at=data["reported_at"],
            )
            outcome = "created"
        else:
            self._check_existing(m, data, context)
            outcome = "unchanged"
        wanted = _wanted(data)
        have = _stage(m)
        if wanted <= have:
            return outcome
        try:
            services.matter_hotline_outcome(actor=actor, matter=m, resolution=data["resolution"] if have < _STAGE["resolved"] else "",
                                            satisfaction=data["satisfaction"] if wanted >= _STAGE["callback"] else "")
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        return "updated" if outcome == "unchanged" else outcome

