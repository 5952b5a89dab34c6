"""Spreadsheet importers for members, resident units and party organisations.

Natural keys make re-imports idempotent: members by the keyed hash of the ID number, units by
USCC, organisations by (region code, name). Rows are written through the services, so they are
validated, scoped and audited like any other write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core import pii
from gongjian.core.errors import ValidationError
from gongjian.core.scope import in_scope, scoped
from gongjian.core.tabular import Column, Importer, parse_bool, parse_choice, parse_date
from gongjian.regions.models import Region

from . import permissions as perms
from . import services
from .choices import Basis, Formation, Gender, MemberStatus, OrgRank, Sector, UnitKind
from .models import Member, PartyOrg, ResidentUnit


def _region_by_code(code: str, field: str, context: dict[str, Any]) -> Region:
    code = code.strip()
    region = context["regions"].get(code)
    if region is None:
        region = Region.objects.filter(code=code, is_active=True).first()
        if region is None:
            raise ValidationError.for_field(field, _("No region with this code exists."))
        context["regions"][code] = region
    return region


def _active_unit(uscc: str, field: str) -> ResidentUnit | None:
    """The active resident unit with this code (None for a blank cell); an unknown code is ``field``'s error."""
    if not uscc.strip():
        return None
    unit = ResidentUnit.objects.filter(uscc=pii.normalize_uscc(uscc.strip(), field=field), is_active=True).first()
    if unit is None:
        raise ValidationError.for_field(field, _("No active resident unit with this code is registered."))
    return unit


def _as_columns(check: Callable[[], Any], columns: dict[str, str]) -> Any:
    """Dry-run a service's validation; its errors name the file's columns instead of the service's fields."""
    try:
        return check()
    except ValidationError as exc:
        raise ValidationError(exc.message, details={columns.get(k, k): v for k, v in exc.details.items()}) from None


def _changed(obj: Model, data: dict[str, Any]) -> bool:
    for key, value in data.items():
        current = getattr(obj, f"{key}_id", None) if hasattr(obj, f"{key}_id") else getattr(obj, key, None)
        wanted = value.pk if isinstance(value, Model) else value
        if current != wanted and not (current in (None, "") and wanted in (None, "")):
            return True
    return False


class MemberImporter(Importer):
    kind = "orgs-members"
    name = _("Party members")
    key = "id_number"
    columns = (
        Column("name", pgettext_lazy("person", "Full name"), required=True, example="张伟"),
        Column("id_number", _("ID number"), required=True, example="410103198507150031",
               help=_("18 characters; gender and birth date are taken from it")),
        Column("phone", _("Phone"), example="13812345678"),
        Column("org", _("Party organisation"), required=True, example="淮河社区第一党支部", help=_("name of an organisation in your area")),
        Column("org_region", _("Organisation region code"), example="410103001001", help=_("needed only if two organisations share the name")),
        Column("employer_uscc", _("Employer unit USCC"), example="11410103MB0000000X"),
        Column("home_code", _("Home community code"), example="410103001001"),
        Column("in_service", _("In-service member"), example="是"),
        Column("join_date", _("Join date"), example="2010-07-01"),
        Column("status", _("Status"), example="正式党员"),
    )

    def prepare(self, actor: Any) -> dict[str, Any]:
        return {"actor": actor, "regions": {}, "orgs": {}, "units": {}}

    def _org(self, name: str, region_code: str, context: dict[str, Any]) -> PartyOrg:
        key = (name, region_code)
        if key not in context["orgs"]:
            qs = scoped(PartyOrg.objects.filter(is_active=True, name=name), context["actor"], perms.MEMBER_MANAGE)
            if region_code:
                qs = qs.filter(region__code=region_code)
            found = list(qs[:2])
            if not found:
                raise ValidationError.for_field("org", _("No active party organisation with this name in your area."))
            if len(found) > 1:
                raise ValidationError.for_field("org_region", _("Several organisations have this name; give the organisation region code."))
            context["orgs"][key] = found[0]
        return context["orgs"][key]

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        idn = pii.normalize_id_number(values["id_number"])
        data: dict[str, Any] = {
            "name": values["name"], "id_number": idn, "phone": values.get("phone", ""),
            "org": self._org(values["org"].strip(), values.get("org_region", "").strip(), context),
            "in_service": parse_bool(values.get("in_service", ""), field="in_service"),
            "join_date": parse_date(values.get("join_date", ""), field="join_date"),
            "status": parse_choice(values.get("status", ""), MemberStatus, field="status", default=MemberStatus.FULL),
        }
        data["employer_unit"] = _active_unit(values.get("employer_uscc", ""), "employer_uscc")
        home = values.get("home_code", "").strip()
        data["home_community"] = _region_by_code(home, "home_code", context) if home else None
        existing = Member.objects.filter(id_number_hash=pii.lookup_hash(idn)).first()
        actor = context["actor"]
        if existing is not None:
            if not in_scope(existing, actor, perms.MEMBER_MANAGE):
                raise ValidationError.for_field("id_number", _("This ID number is already registered."))
            data["_existing"] = existing
        # dry-run the service's validation without writing: a row that updates an existing member is
        # checked like one that creates a member, so the report lists it instead of the import failing
        if existing is None or existing.is_active:
            clean = _as_columns(lambda: services.clean_member(actor, {**data, "org": data["org"].pk}, member=existing), _MEMBER_FIELD_TO_COLUMN)
            # compare and write the values as the service stores them ("刘　洋 " is "刘 洋", "+86 135-…" is "135…")
            data["name"], data["phone"] = clean["name"], clean["phone"]
        return data

    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:
        data = dict(data)
        existing = data.pop("_existing", None) or Member.objects.filter(id_number_hash=pii.lookup_hash(data["id_number"])).first()
        org = data.pop("org")
        if existing is None:
            services.member_create(actor=actor, org=org, **data)
            return "created"
        if not existing.is_active:
            return "unchanged"
        fields = {k: v for k, v in data.items() if k not in ("id_number",)}
        phone_same = pii.lookup_hash(pii.normalize_phone(data["phone"])) == existing.phone_hash if data["phone"] else existing.phone_hash == ""
        if not _changed(existing, {k: v for k, v in fields.items() if k != "phone"}) and phone_same and existing.org_id == org.pk:
            return "unchanged"
        before = (services.member_snapshot(existing), existing.org_id)
        updated = services.member_update(actor=actor, member=existing, **fields)
        if updated.org_id != org.pk:
            updated = services.member_transfer(actor=actor, member=updated, to_org=org, note="import")
        return "updated" if (services.member_snapshot(updated), updated.org_id) != before else "unchanged"


_MEMBER_FIELD_TO_COLUMN = {"employer_unit": "employer_uscc", "home_community": "home_code"}


class UnitImporter(Importer):
    kind = "orgs-units"
    name = _("Resident units")
    key = "uscc"
    columns = (
        Column("name", _("Name"), required=True, example="河南省供销合作总社"),
        Column("uscc", _("Unified social credit code"), required=True, example="11410000MB0000000X"),
        Column("kind", _("Kind"), required=True, example="省直单位"),
        Column("region_code", _("Region code"), required=True, example="410105002003"),
        Column("address", _("Address"), example="花园路1号"),
        Column("liaison_name", _("Liaison"), example="李强"),
        Column("liaison_phone", _("Liaison phone"), example="13912345678"),
        Column("lat", _("Latitude"), example="34.7712"),
        Column("lng", _("Longitude"), example="113.6832"),
    )

    def prepare(self, actor: Any) -> dict[str, Any]:
        return {"actor": actor, "regions": {}}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": values["name"], "uscc": pii.normalize_uscc(values["uscc"]),
            "kind": parse_choice(values["kind"], UnitKind, field="kind"),
            "region": _region_by_code(values["region_code"], "region_code", context),
            "address": values.get("address", ""), "liaison_name": values.get("liaison_name", ""),
            "liaison_phone": values.get("liaison_phone", ""), "lat": values.get("lat", ""), "lng": values.get("lng", ""),
        }
        existing = ResidentUnit.objects.filter(uscc=data["uscc"]).first()
        actor = context["actor"]
        _as_columns(lambda: services.clean_unit(actor, {**data, "region": data["region"].pk}, unit=existing), {"region": "region_code"})
        if existing is not None:
            if not in_scope(existing, actor, perms.UNIT_MANAGE):
                raise ValidationError.for_field("uscc", _("A resident unit with this unified social credit code is already registered."))
        return data

    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:
        existing = ResidentUnit.objects.filter(uscc=data["uscc"]).first()
        return self.upsert(existing, create=lambda: services.resident_unit_create(actor=actor, **data),
                           update=lambda u: services.resident_unit_update(actor=actor, unit=u, **data), snapshot=services.unit_snapshot,
                           frozen=existing is not None and not existing.is_active)


class PartyOrgImporter(Importer):
    kind = "orgs-party-orgs"
    name = _("Party organisations")
    key = "natural_key"
    columns = (
        Column("name", _("Name"), required=True, example="淮河社区第一党支部"),
        Column("rank", _("Rank"), required=True, example="党支部"),
        Column("region_code", _("Region code"), required=True, example="410103001001"),
        Column("sector", _("Sector"), required=True, example="社区"),
        Column("parent", _("Parent organisation"), example="淮河社区党委"),
        Column("parent_region", _("Parent region code"), example="410103001001"),
        Column("formation", _("Formation"), example="单独建"),
        Column("basis", _("Basis"), example="地缘"),
        Column("unit_uscc", _("Unit USCC"), example=""),
        Column("founded_on", _("Founded on"), example="2005-07-01"),
    )

    def prepare(self, actor: Any) -> dict[str, Any]:
        return {"actor": actor, "regions": {}, "pending": {}}

    def clean_row(self, values: dict[str, str], context: dict[str, Any]) -> dict[str, Any]:
        region = _region_by_code(values["region_code"], "region_code", context)
        data: dict[str, Any] = {
            "name": " ".join(values["name"].split()), "rank": parse_choice(values["rank"], OrgRank, field="rank"),
            "region": region, "sector": parse_choice(values["sector"], Sector, field="sector"),
            "formation": parse_choice(values.get("formation", ""), Formation, field="formation", default=Formation.STANDALONE),
            "basis": parse_choice(values.get("basis", ""), Basis, field="basis", default=Basis.LOCATION),
            "founded_on": parse_date(values.get("founded_on", ""), field="founded_on"),
            "unit": None, "parent": None,
        }
        data["natural_key"] = f"{region.code}:{data['name']}"
        data["unit"] = _active_unit(values.get("unit_uscc", ""), "unit_uscc")
        parent_name = " ".join(values.get("parent", "").split())
        if parent_name:
            pregion = _region_by_code(values.get("parent_region", "") or values["region_code"], "parent_region", context)
            parent = PartyOrg.objects.filter(is_active=True, name=parent_name, region=pregion).first()
            if parent is None:
                pending = context["pending"].get(f"{pregion.code}:{parent_name}")
                if pending is None:
                    raise ValidationError.for_field(
                        "parent", _("The parent organisation was not found; list it in an earlier row or create it first.")
                    )
                data["parent_key"] = f"{pregion.code}:{parent_name}"
                if data["rank"] not in services.ALLOWED_CHILDREN[pending]:
                    raise ValidationError.for_field("rank", _("This rank cannot sit under the parent's rank."))
            else:
                data["parent"] = parent
        context["pending"][data["natural_key"]] = data["rank"]
        existing = PartyOrg.objects.filter(is_active=True, name=data["name"], region=region).first()
        actor = context["actor"]
        check = {k: (v.pk if isinstance(v, Model) else v) for k, v in data.items() if k not in ("natural_key", "parent_key")}
        _as_columns(lambda: services.clean_org(actor, check, org=existing), {"region": "region_code", "unit": "unit_uscc"})
        if existing is not None:
            if not in_scope(existing, actor, perms.ORG_MANAGE):
                raise ValidationError.for_field("name", _("An organisation with this name already exists in this region."))
        return data

    def write_row(self, data: dict[str, Any], *, actor: Any, context: dict[str, Any]) -> str:
        data = dict(data)
        natural = data.pop("natural_key")
        parent_key = data.pop("parent_key", None)
        if parent_key:
            code, name = parent_key.split(":", 1)
            data["parent"] = PartyOrg.objects.filter(is_active=True, name=name, region__code=code).first()
        existing = PartyOrg.objects.filter(is_active=True, name=data["name"], region=data["region"]).first()
        if existing is None:
            services.party_org_create(actor=actor, **data)
            context.setdefault("written", set()).add(natural)
            return "created"
        if not _changed(existing, data):
            return "unchanged"
        services.party_org_update(actor=actor, org=existing, **data)
        return "updated"


__all__ = ["Gender", "MemberImporter", "PartyOrgImporter", "UnitImporter", "parse_choice"]
