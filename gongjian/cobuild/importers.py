"""Spreadsheet importers for needs and resources.

Natural keys make re-imports idempotent: a need is (community code, title, wanted from), a resource
(unit USCC, title). Rows are written through the services, so they are validated, scoped and
audited like any other write. Categories are given by name; an unknown name is a row error.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor
from gongjian.core.scope import in_scope
from gongjian.core.tabular import Column, Importer, parse_choice
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import Region

from . import permissions as perms
from . import services
from .choices import CapacityUnit, NeedSource, ResourceKind, Urgency
from .models import Category, Need, Resource


def _category(name: str, context: dict[str, Any]) -> Category | None:
    name = name.strip()
    if not name:
        return None
    cats = context.setdefault("categories", {c.name: c for c in Category.objects.filter(is_active=True)})
    if name not in cats:
        raise ValidationError.for_field("category", _("Unknown category “%(name)s”; use one of the categories in the list.") % {"name": name})
    return cats[name]


UNIT_ALIASES = {"平方米": CapacityUnit.SQUARE_METRES, "㎡": CapacityUnit.SQUARE_METRES, "m2": CapacityUnit.SQUARE_METRES,
                "平米": CapacityUnit.SQUARE_METRES, "人": CapacityUnit.PEOPLE, "小时": CapacityUnit.HOURS, "件": CapacityUnit.ITEMS,
                "个": CapacityUnit.ITEMS, "元": CapacityUnit.YUAN}


def _capacity_unit(value: str) -> str:
    v = value.strip()
    if v in UNIT_ALIASES:
        return UNIT_ALIASES[v]
    return parse_choice(v, CapacityUnit, field="capacity_unit", default="")


def remap_fields(exc: ValidationError, mapping: dict[str, str]) -> ValidationError:
    """The service's error with its fields renamed to the file's columns."""
    return ValidationError(exc.message, details={mapping.get(k, k): v for k, v in exc.details.items()})


class NeedImporter(Importer):
    kind = "cobuild-needs"
    name = _("Needs")
    key = "natural"
    columns = (
        Column("title", _("Title"), required=True, example="为独居老人配送午餐"),
        Column("community_code", _("Community code"), required=True, example="410103001001"),
        Column("description", _("Description"), example="社区有12位独居老人需要每日午餐配送"),
        Column("category", _("Category"), example="助老"),
        Column("address", _("Address"), example="淮河路1号院"),
        Column("lat", _("Latitude"), example="34.7421"),
        Column("lng", _("Longitude"), example="113.6380"),
        Column("quantity", _("Quantity"), example="12"),
        Column("quantity_unit", _("Unit of measure"), example="人"),
        Column("wanted_from", _("Wanted from"), example="2026-12-01"),
        Column("wanted_to", _("Wanted until"), example="2027-02-28"),
        Column("urgency", _("Urgency"), example="一般"),
        Column("source", _("Source"), example="社区工作人员"),
    )

    def prepare(self, actor: Actor) -> dict[str, Any]:
        return {"actor": actor, "regions": {}}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        code = values["community_code"].strip()
        community = context["regions"].get(code)
        if community is None:
            community = Region.objects.filter(code=code, is_active=True).first()
            if community is None:
                raise ValidationError.for_field("community_code", _("No region with this code exists."))
            context["regions"][code] = community
        source = parse_choice(values.get("source", ""), NeedSource, field="source", default=NeedSource.STAFF)
        if source == NeedSource.WISH:
            raise ValidationError.for_field("source", _("Micro-wishes are submitted by residents themselves."))
        data: dict[str, Any] = {
            "title": values["title"], "description": values.get("description", ""),
            "category": _category(values.get("category", ""), context), "community": community,
            "address": values.get("address", ""), "lat": values.get("lat", ""), "lng": values.get("lng", ""),
            "quantity": values.get("quantity", ""), "quantity_unit": values.get("quantity_unit", ""),
            "wanted_from": values.get("wanted_from", ""), "wanted_to": values.get("wanted_to", ""),
            "urgency": parse_choice(values.get("urgency", ""), Urgency, field="urgency", default=Urgency.NORMAL), "source": source,
        }
        try:
            clean = services.clean_need(context["actor"], {**data, "community": community.pk,
                                                           "category": data["category"].pk if data["category"] else None})
        except ValidationError as exc:
            raise remap_fields(exc, {"community": "community_code"}) from None
        clean["natural"] = f"{community.code}|{clean['title']}|{clean['wanted_from'] or ''}"
        return clean

    def _existing(self, data: dict[str, Any]) -> Need | None:
        return Need.objects.filter(community=data["community"], title=data["title"], wanted_from=data["wanted_from"]).order_by("id").first()

    def write_row(self, data: dict[str, Any], *, actor: Actor, context: dict[str, Any]) -> str:
        payload = {k: v for k, v in data.items() if k != "natural"}
        existing = self._existing(data)
        if existing is not None and not in_scope(existing, actor, perms.NEED_MANAGE):
            raise ValidationError(_("A need with this title and start date already exists in another area."))
        return self.upsert(existing, create=lambda: services.need_create(actor=actor, **payload),
                           update=lambda n: services.need_update(actor=actor, need=n, **payload), snapshot=services.need_snapshot,
                           frozen=existing is not None and existing.status not in ("draft", "published"))


class ResourceImporter(Importer):
    kind = "cobuild-resources"
    name = _("Resources")
    key = "natural"
    columns = (
        Column("uscc", _("Unit's unified social credit code"), required=True, example="11410000MB0000000X"),
        Column("title", _("Title"), required=True, example="党员活动室（120平方米）"),
        Column("kind", _("Kind"), required=True, example="场地"),
        Column("description", _("Description"), example="工作日晚间和周末可供社区使用"),
        Column("category", _("Category"), example="场地"),
        Column("capacity", _("Capacity"), example="120"),
        Column("capacity_unit", _("Capacity unit"), example="平方米"),
        Column("radius_km", _("Service radius (km)"), example="3"),
        Column("service_region_codes", _("Service region codes"), example="410103001001;410103001014",
               help=_("Separate several codes with ; or 、")),
        Column("available_from", _("Available from"), example="2026-12-01"),
        Column("available_to", _("Available until"), example="2027-12-31"),
    )

    def prepare(self, actor: Actor) -> dict[str, Any]:
        return {"actor": actor, "units": {}}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        actor = context["actor"]
        uscc = pii.normalize_uscc(values["uscc"], field="uscc")
        unit = ResidentUnit.objects.filter(uscc=uscc, is_active=True).first()
        if unit is None or not in_scope(unit, actor, perms.RESOURCE_MANAGE):
            raise ValidationError.for_field("uscc", _("No active resident unit with this code in your area."))
        codes = [c for c in values.get("service_region_codes", "").replace("、", ";").replace(",", ";").replace("，", ";").split(";") if c.strip()]
        regions = list(Region.objects.filter(code__in=[c.strip() for c in codes], is_active=True))
        if len(regions) != len({c.strip() for c in codes}):
            known = {r.code for r in regions}
            missing = "、".join(c.strip() for c in codes if c.strip() not in known)
            raise ValidationError.for_field("service_region_codes", _("No region with the code %(codes)s exists.") % {"codes": missing})
        cat = _category(values.get("category", ""), context)
        data: dict[str, Any] = {
            "unit": unit.pk, "title": values["title"], "description": values.get("description", ""),
            "category": cat.pk if cat else None,
            "kind": parse_choice(values["kind"], ResourceKind, field="kind"),
            "capacity": values.get("capacity", ""),
            "capacity_unit": _capacity_unit(values.get("capacity_unit", "")),
            "radius_km": values.get("radius_km", ""), "service_regions": [r.pk for r in regions],
            "available_from": values.get("available_from", ""), "available_to": values.get("available_to", ""),
        }
        existing = Resource.objects.filter(unit=unit, title=" ".join(values["title"].split())).order_by("id").first()
        try:
            services.clean_resource(actor, data, resource=existing)
        except ValidationError as exc:
            raise remap_fields(exc, {"unit": "uscc", "service_regions": "service_region_codes"}) from None
        data["natural"] = f"{unit.uscc}|{' '.join(values['title'].split())}"
        return data

    def write_row(self, data: dict[str, Any], *, actor: Actor, context: dict[str, Any]) -> str:
        payload = {k: v for k, v in data.items() if k != "natural"}
        existing = Resource.objects.filter(unit_id=payload["unit"], title=" ".join(payload["title"].split())).order_by("id").first()
        return self.upsert(existing, create=lambda: services.resource_create(actor=actor, **payload),
                           update=lambda r: services.resource_update(actor=actor, resource=r, **payload),
                           snapshot=services.resource_snapshot, frozen=existing is not None and existing.status == "withdrawn")

