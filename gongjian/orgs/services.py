"""Writes of the organisations module: party organisations, members, resident units, policies.

Every function takes ``actor=`` keyword-only, checks the permission matrix (``permissions.py``),
checks that the records it touches lie in the actor's scope (a record outside it is "not found"),
validates everything before writing (nothing is written on error), runs in one transaction and
writes one audit event. ID numbers and phone numbers are stored encrypted with a keyed hash for
exact lookup; the audit log records that they changed, never their values.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from functools import partial
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, pii
from gongjian.core.errors import NotFound, ValidationError
from gongjian.core.kernel import Actor, audited_save, text_field
from gongjian.core.permissions import can, require
from gongjian.core.scope import in_scope, region_paths, scoped
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import permissions as perms
from . import search
from .choices import Basis, Formation, Gender, MemberStatus, OrgRank, PolicyLevel, PolicyRole, Sector, UnitKind
from .models import Member, PartyOrg, Policy, PolicyAttachment, ResidentUnit

MODULE = perms.MODULE
SENSITIVE = frozenset({"id_number", "phone", "liaison_phone"})
COORD_PLACES = "0.000001"

# Which ranks may sit directly under which: a community party committee sits under a subdistrict
# working committee; a branch has no child organisations.
ALLOWED_CHILDREN: dict[str, set[str]] = {
    OrgRank.COMMITTEE: {OrgRank.COMMITTEE, OrgRank.WORKING_COMMITTEE, OrgRank.GENERAL_BRANCH, OrgRank.BRANCH},
    OrgRank.WORKING_COMMITTEE: {OrgRank.COMMITTEE, OrgRank.GENERAL_BRANCH, OrgRank.BRANCH},
    OrgRank.GENERAL_BRANCH: {OrgRank.BRANCH},
    OrgRank.BRANCH: set(),
}
ACTIVE_STATUSES = (MemberStatus.FULL, MemberStatus.PROBATIONARY)
LEAVING_STATUSES = (MemberStatus.TRANSFERRED_OUT, MemberStatus.DECEASED)

ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
# extension -> accepted leading bytes (None: plain text, checked for NUL bytes)
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".wps": (b"\xd0\xcf\x11\xe0",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG",),
    ".txt": None,
}


# --- helpers ---------------------------------------------------------------------------------


def _resolve(model: type[Model], value: Any, qs: QuerySet[Any] | None = None) -> Any:
    """A model instance from an instance or a primary key, looked up in ``qs`` (a scoped queryset)."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else value
    base = qs if qs is not None else model._default_manager.all()
    try:
        return base.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        return False


def _region_allowed(actor: Actor, action: str, region: Region) -> bool:
    paths = region_paths(actor, action)
    return "" in paths or any(region.path.startswith(p) for p in paths)


def _clean_region(actor: Actor, action: str, value: Any, errors: Errors, *, missing: Any) -> Region | None:
    """The active region ``value`` names, within the actor's area for ``action``; else None with the error on ``region``."""
    region = _resolve(Region, value, Region.objects.filter(is_active=True))
    if region is None:
        errors.add("region", missing)
    elif region is False or not _region_allowed(actor, action, region):
        errors.add("region", _("Choose a region within your area."))
        region = None
    return region


def _get_scoped(model: type[Model], actor: Actor, action: str, obj: Any) -> Any:
    found = _resolve(model, obj, scoped(model._default_manager.all(), actor, action))
    if not found:
        raise NotFound()
    return found


def _today() -> dt.date:
    return timezone.localdate()


def _lock(obj: Any) -> Any:
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def _taken(qs: QuerySet[Any], current: Model | None) -> bool:
    """Whether another record than ``current`` (being edited, or None for a new one) matches ``qs``."""
    return (qs.exclude(pk=current.pk) if current is not None else qs).exists()


def _to_change(model: type[Model], actor: Actor, action: str, obj: Any) -> Any:
    """The record in the actor's scope (whose role may ``action``), locked."""
    require(actor, action)
    return _lock(_get_scoped(model, actor, action, obj))


def _refuse_while(count: int, message: Any) -> None:
    """A deactivation refused while ``count`` active records still depend on the record (``message`` names ``%(n)s``)."""
    if count:
        raise ValidationError(message % {"n": count})


def _editable(model: type[Model], actor: Actor, action: str, obj: Any, inactive: Any) -> Any:
    """The record in the actor's scope (whose role may ``action``), locked; a deactivated one is refused with ``inactive``."""
    found = _to_change(model, actor, action, obj)
    if not found.is_active:
        raise ValidationError(inactive)
    return found


# The one audited save (``core.kernel.audited_save``) with this module's constants: ID numbers and phones are
# audited as changed, never in clear; a change refreshes the module's figures and list counts on commit.
_save = partial(audited_save, sensitive=SENSITIVE, module=MODULE)
_DEACTIVATED = ["is_active", "updated_at"]  # what a deactivation saves (the record stays, inactive, with the reason audited)


# --- party organisations ---------------------------------------------------------------------


def _org_snapshot(org: PartyOrg) -> dict[str, Any]:
    return {
        "name": org.name, "rank": org.rank, "parent": org.parent_id, "sector": org.sector, "formation": org.formation,
        "basis": org.basis, "region": org.region_id, "unit": org.unit_id, "secretary": org.secretary_id,
        "founded_on": org.founded_on, "is_active": org.is_active,
    }


def clean_org(actor: Actor, data: dict[str, Any], *, org: PartyOrg | None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["name"] = text_field(data.get("name"), field="name", errors=errors, required=_("The name is required."), max_length=128)
    out["rank"] = clean_choice(data.get("rank"), OrgRank, field="rank", errors=errors)
    out["sector"] = clean_choice(data.get("sector"), Sector, field="sector", errors=errors)
    out["formation"] = clean_choice(data.get("formation"), Formation, field="formation", errors=errors, default=Formation.STANDALONE)
    out["basis"] = clean_choice(data.get("basis"), Basis, field="basis", errors=errors, default=Basis.LOCATION)
    out["founded_on"] = clean_date(data.get("founded_on"), field="founded_on", errors=errors)
    if out["founded_on"] and out["founded_on"] > _today():
        errors.add("founded_on", _("The founding date cannot be in the future."))
    missing = _("Choose the region where the organisation sits.")
    out["region"] = region = _clean_region(actor, perms.ORG_MANAGE, data.get("region"), errors, missing=missing)
    parent = _resolve(PartyOrg, data.get("parent"), PartyOrg.objects.filter(is_active=True))
    if parent is False:
        errors.add("parent", _("The parent organisation was not found."))
        parent = None
    elif parent is not None:
        visible = in_scope(parent, actor, perms.ORG_VIEW)
        if not visible and not (region and region.path.startswith(parent.region_path)):
            errors.add("parent", _("The parent organisation was not found."))
            parent = None
        elif org is not None and parent.org_path.startswith(org.org_path):
            errors.add("parent", _("An organisation cannot sit under itself or under one of its own sub-organisations."))
            parent = None
        elif out["rank"] in OrgRank.values and out["rank"] not in ALLOWED_CHILDREN[parent.rank]:
            errors.add(
                "rank",
                _("A %(rank)s cannot sit under a %(parent)s.") % {"rank": OrgRank(out["rank"]).label, "parent": OrgRank(parent.rank).label},
            )
        elif region and not region.path.startswith(parent.region_path):
            errors.add("parent", _("The parent organisation must sit in the same region or in a region above it."))
    out["parent"] = parent
    unit = _resolve(ResidentUnit, data.get("unit"), scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.UNIT_VIEW))
    if unit is False:
        errors.add("unit", _("Choose a resident unit within your area."))
        unit = None
    out["unit"] = unit
    if org is not None:
        secretary = _resolve(Member, data.get("secretary"), Member.objects.filter(org=org, is_active=True))
        if secretary is False:
            errors.add("secretary", _("The secretary must be an active member of this organisation."))
            secretary = None
        out["secretary"] = secretary
        if out["rank"] in OrgRank.values:
            child_ranks = set(org.children.filter(is_active=True).values_list("rank", flat=True))
            bad = child_ranks - ALLOWED_CHILDREN[out["rank"]]
            if bad:
                errors.add("rank", _("This organisation has sub-organisations that cannot sit under that rank."))
    if out["name"] and region and _taken(PartyOrg.objects.filter(region=region, name=out["name"], is_active=True), org):
        errors.add("name", _("An organisation with this name already exists in this region."))
    errors.raise_if_any()
    return out


def _apply_org(org: PartyOrg, clean: dict[str, Any]) -> None:
    for key, value in clean.items():
        setattr(org, key, value)
    org.region_path = clean["region"].path
    org.org_path = (clean["parent"].org_path if clean["parent"] else "/") + f"{org.pk}/"


@transaction.atomic
def party_org_create(*, actor: Actor, **data: Any) -> PartyOrg:
    require(actor, perms.ORG_MANAGE)
    clean = clean_org(actor, data, org=None)
    region = clean["region"]
    org = PartyOrg(
        name=clean["name"], rank=clean["rank"], parent=clean["parent"], sector=clean["sector"], formation=clean["formation"],
        basis=clean["basis"], region=region, region_path=region.path, unit=clean["unit"], founded_on=clean["founded_on"],
    )
    org.save()  # its path ends with its own key
    _save(org, actor=actor, verb="orgs.party_org.create", snap=_org_snapshot, created=True, update_fields=["org_path"],
          changes={"org_path": (clean["parent"].org_path if clean["parent"] else "/") + f"{org.pk}/"})
    return org


@transaction.atomic
def party_org_update(*, actor: Actor, org: Any, **data: Any) -> PartyOrg:
    org = _editable(PartyOrg, actor, perms.ORG_MANAGE, org, _("This organisation has been deactivated and cannot be edited."))
    before = _org_snapshot(org)
    clean = clean_org(actor, {**before, **data}, org=org)
    old_path, old_region_path = org.org_path, org.region_path
    _save(org, actor=actor, verb="orgs.party_org.update", changes=clean, apply=_apply_org, snap=_org_snapshot, before=before)
    if org.org_path != old_path:
        subtree = list(PartyOrg.objects.filter(org_path__startswith=old_path).exclude(pk=org.pk))
        for child in subtree:
            child.org_path = org.org_path + child.org_path[len(old_path) :]
        PartyOrg.objects.bulk_update(subtree, ["org_path"])
    if org.region_path != old_region_path:
        Member.objects.filter(org=org).update(region_path=org.region_path, updated_at=timezone.now())
    return org


@transaction.atomic
def party_org_deactivate(*, actor: Actor, org: Any, reason: str = "") -> PartyOrg:
    org = _to_change(PartyOrg, actor, perms.ORG_MANAGE, org)
    if not org.is_active:
        return org
    _refuse_while(org.children.filter(is_active=True).count(),
                  _("This organisation still has %(n)s active sub-organisations; move or deactivate them first."))
    _refuse_while(org.members.filter(is_active=True).count(), _("This organisation still has %(n)s active members; transfer them first."))
    _save(org, actor=actor, verb="orgs.party_org.deactivate", changes={"is_active": False}, extra={"reason": str(reason)[:500]},
          update_fields=_DEACTIVATED)
    return org


# --- members ---------------------------------------------------------------------------------


def member_snapshot(m: Member) -> dict[str, Any]:
    return {
        "name": m.name, "gender": m.gender, "birth_date": m.birth_date, "id_number": m.id_number_hash, "phone": m.phone_hash,
        "org": m.org_id, "employer_unit": m.employer_unit_id, "home_community": m.home_community_id, "in_service": m.in_service,
        "join_date": m.join_date, "status": m.status, "is_active": m.is_active,
    }


def _already_registered(actor: Actor, existing: Member) -> ValidationError:
    msg: Any
    if in_scope(existing, actor, perms.MEMBER_VIEW):
        msg = _("This ID number is already registered (member %(name)s, %(org)s).") % {"name": existing.name, "org": existing.org.name}
    else:
        msg = _("This ID number is already registered.")
    return ValidationError.for_field("id_number", msg)


def clean_member(actor: Actor, data: dict[str, Any], *, member: Member | None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["name"] = text_field(data.get("name"), field="name", errors=errors, required=_("The name is required."), max_length=64)
    id_number = ""
    try:
        id_number = pii.normalize_id_number(data.get("id_number"))
    except ValidationError as exc:
        errors.catch(exc)
    out["id_number"] = id_number
    birth = clean_date(data.get("birth_date"), field="birth_date", errors=errors)
    gender = str(data.get("gender") or "").strip()
    if gender and gender not in Gender.values:
        errors.add("gender", _("Choose one of the listed options."))
    if id_number:
        id_birth = pii.birth_date_from_id_number(id_number)
        id_gender = pii.gender_from_id_number(id_number)
        if id_birth > _today():
            errors.add("id_number", _("The ID number contains an impossible birth date or region code."))
        if birth and birth != id_birth:
            errors.add("birth_date", _("The birth date does not match the ID number (%(date)s).") % {"date": id_birth.isoformat()})
        if gender in Gender.values and gender != id_gender:
            errors.add("gender", _("The gender does not match the ID number."))
        out["birth_date"], out["gender"] = id_birth, id_gender
    else:
        out["birth_date"], out["gender"] = birth, gender
    try:
        out["phone"] = pii.normalize_phone(data.get("phone"))
    except ValidationError as exc:
        errors.catch(exc)
        out["phone"] = ""
    manage_orgs = scoped(PartyOrg.objects.filter(is_active=True), actor, perms.MEMBER_MANAGE)
    if member is None:
        org = _resolve(PartyOrg, data.get("org"), manage_orgs)
        if org is None:
            errors.add("org", _("Choose the member's party organisation."))
        elif org is False:
            errors.add("org", _("Choose a party organisation within your area."))
            org = None
        out["org"] = org
    unit = _resolve(ResidentUnit, data.get("employer_unit"), ResidentUnit.objects.filter(is_active=True))
    if unit is False:
        errors.add("employer_unit", _("No active resident unit with this code is registered."))
        unit = None
    out["employer_unit"] = unit
    home = _resolve(Region, data.get("home_community"), Region.objects.filter(is_active=True, level__in=[Level.COMMUNITY]))
    if home is False:
        errors.add("home_community", _("Choose a community."))
        home = None
    out["home_community"] = home
    out["in_service"] = bool(data.get("in_service"))
    if out["in_service"] and unit is None and "employer_unit" not in errors.details:
        errors.add("employer_unit", _("An in-service member needs an employer unit."))
    join = clean_date(data.get("join_date"), field="join_date", errors=errors)
    if join:
        if join > _today():
            errors.add("join_date", _("The join date cannot be in the future."))
        elif out.get("birth_date"):
            b = out["birth_date"]
            try:
                adult = b.replace(year=b.year + 18)
            except ValueError:  # 29 February
                adult = b.replace(year=b.year + 18, day=28)
            if join < adult:
                errors.add("join_date", _("A member must be at least 18 years old when joining the Party."))
    out["join_date"] = join
    status = str(data.get("status") or MemberStatus.FULL)
    if status not in ACTIVE_STATUSES:
        errors.add("status", _("Choose full or probationary member; use deactivate for members who left."))
    out["status"] = status
    if id_number:
        digest = pii.lookup_hash(id_number)
        existing = Member.objects.select_related("org").filter(id_number_hash=digest)
        if member is not None:
            existing = existing.exclude(pk=member.pk)
        found = existing.first()
        if found is not None:
            errors.catch(_already_registered(actor, found))
    errors.raise_if_any()
    return out


def _apply_member(m: Member, clean: dict[str, Any]) -> None:
    m.name = clean["name"]
    m.gender = clean["gender"]
    m.birth_date = clean["birth_date"]
    if pii.lookup_hash(clean["id_number"]) != m.id_number_hash:
        m.id_number_enc = pii.encrypt(clean["id_number"])
        m.id_number_hash = pii.lookup_hash(clean["id_number"])
    if pii.lookup_hash(clean["phone"]) != m.phone_hash:
        m.phone_enc = pii.encrypt(clean["phone"])
        m.phone_hash = pii.lookup_hash(clean["phone"])
    m.employer_unit = clean["employer_unit"]
    m.home_community = clean["home_community"]
    m.home_path = clean["home_community"].path if clean["home_community"] else ""
    m.in_service = clean["in_service"]
    m.join_date = clean["join_date"]
    m.status = clean["status"]


ID_TAKEN = ("id_number", _("This ID number is already registered."))
_ID_UNIQUE = {"id_number_hash": ID_TAKEN}


@transaction.atomic
def member_create(*, actor: Actor, **data: Any) -> Member:
    require(actor, perms.MEMBER_MANAGE)
    clean = clean_member(actor, data, member=None)
    m = Member(org=clean["org"], region_path=clean["org"].region_path, id_number_hash="")
    _save(m, actor=actor, verb="orgs.member.create", changes=clean, apply=_apply_member, snap=member_snapshot, unique=_ID_UNIQUE)
    return m


@transaction.atomic
def member_update(*, actor: Actor, member: Member | int, **data: Any) -> Member:
    m = _editable(Member, actor, perms.MEMBER_MANAGE, member, _("This member has been deactivated and cannot be edited."))
    before = member_snapshot(m)
    current = {
        "name": m.name, "gender": m.gender, "birth_date": m.birth_date, "id_number": pii.decrypt(m.id_number_enc),
        "phone": pii.decrypt(m.phone_enc), "employer_unit": m.employer_unit_id, "home_community": m.home_community_id,
        "in_service": m.in_service, "join_date": m.join_date, "status": m.status,
    }
    data.pop("org", None)
    if "id_number" in data and not data.get("gender") and "gender" not in data:
        current["gender"] = ""
    if "id_number" in data and "birth_date" not in data:
        current["birth_date"] = None
    clean = clean_member(actor, {**current, **data}, member=m)
    _save(m, actor=actor, verb="orgs.member.update", changes=clean, apply=_apply_member, snap=member_snapshot, before=before,
          unique=_ID_UNIQUE)
    return m


@transaction.atomic
def member_transfer(*, actor: Actor, member: Member | int, to_org: PartyOrg | int, note: str = "") -> Member:
    """Move a member to another organisation in the actor's area (组织关系转接)."""
    m = _editable(Member, actor, perms.MEMBER_MANAGE, member, _("This member has been deactivated and cannot be transferred."))
    target = _resolve(PartyOrg, to_org, scoped(PartyOrg.objects.filter(is_active=True), actor, perms.MEMBER_MANAGE))
    if not target:
        raise ValidationError.for_field("to_org", _("Choose a party organisation within your area."))
    if target.pk == m.org_id:
        raise ValidationError.for_field("to_org", _("The member already belongs to this organisation."))
    _save(m, actor=actor, verb="orgs.member.transfer", changes={"org": target, "region_path": target.region_path},
          extra={"note": str(note)[:500]}, update_fields=["org", "region_path", "updated_at"])
    return m


@transaction.atomic
def member_deactivate(*, actor: Actor, member: Member | int, status: str = MemberStatus.TRANSFERRED_OUT, reason: str = "") -> Member:
    """A member who left (transferred out of the system, deceased) stays on record, inactive."""
    m = _to_change(Member, actor, perms.MEMBER_MANAGE, member)
    if status not in LEAVING_STATUSES:
        raise ValidationError.for_field("status", _("Choose why the member leaves: transferred out or deceased."))
    if not m.is_active:
        raise ValidationError(_("This member has already been deactivated."))
    _save(m, actor=actor, verb="orgs.member.deactivate", changes={"status": status, "is_active": False},
          extra={"reason": str(reason)[:500]}, update_fields=["status", *_DEACTIVATED])
    PartyOrg.objects.filter(secretary=m).update(secretary=None)
    return m


def member_reveal(*, actor: Actor, member: Member | int) -> dict[str, str]:
    """The full ID number and phone, for roles that need them; the read is audited."""
    require(actor, perms.MEMBER_PII)
    m = _get_scoped(Member, actor, perms.MEMBER_PII, member)
    with transaction.atomic():
        audit.record_pii_read(actor=actor, target=m, fields=["id_number", "phone"])
    return {"id_number": pii.decrypt(m.id_number_enc), "phone": pii.decrypt(m.phone_enc)}


# --- resident units --------------------------------------------------------------------------


def unit_snapshot(u: ResidentUnit) -> dict[str, Any]:
    return {
        "name": u.name, "uscc": u.uscc, "kind": u.kind, "address": u.address, "region": u.region_id, "lat": u.lat, "lng": u.lng,
        "liaison_name": u.liaison_name, "liaison_phone": pii.lookup_hash(pii.decrypt(u.liaison_phone_enc)) if u.liaison_phone_enc else "",
        "is_active": u.is_active,
    }


def clean_unit(actor: Actor, data: dict[str, Any], *, unit: ResidentUnit | None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["name"] = text_field(data.get("name"), field="name", errors=errors, required=_("The name is required."), max_length=128)
    try:
        out["uscc"] = pii.normalize_uscc(data.get("uscc"))
    except ValidationError as exc:
        errors.catch(exc)
        out["uscc"] = ""
    out["kind"] = clean_choice(data.get("kind"), UnitKind, field="kind", errors=errors)
    out["address"] = text_field(data.get("address"), field="address", errors=errors)
    missing = _("Choose the region where the unit is located.")
    out["region"] = _clean_region(actor, perms.UNIT_MANAGE, data.get("region"), errors, missing=missing)
    out["lat"] = clean_decimal(data.get("lat"), field="lat", errors=errors, low=Decimal(-90), high=Decimal(90), places=COORD_PLACES)
    out["lng"] = clean_decimal(data.get("lng"), field="lng", errors=errors, low=Decimal(-180), high=Decimal(180), places=COORD_PLACES)
    out["liaison_name"] = text_field(data.get("liaison_name"), field="liaison_name", errors=errors, max_length=64)
    try:
        out["liaison_phone"] = pii.normalize_phone(data.get("liaison_phone"), field="liaison_phone")
    except ValidationError as exc:
        errors.catch(exc)
        out["liaison_phone"] = ""
    if out["uscc"] and _taken(ResidentUnit.objects.filter(uscc=out["uscc"]), unit):
        errors.add("uscc", _("A resident unit with this unified social credit code is already registered."))
    errors.raise_if_any()
    return out


def _apply_unit(u: ResidentUnit, clean: dict[str, Any]) -> None:
    for key in ("name", "uscc", "kind", "address", "region", "lat", "lng", "liaison_name"):
        setattr(u, key, clean[key])
    u.region_path = clean["region"].path
    old_phone = pii.decrypt(u.liaison_phone_enc) if u.liaison_phone_enc else ""
    if old_phone != clean["liaison_phone"]:
        u.liaison_phone_enc = pii.encrypt(clean["liaison_phone"])


@transaction.atomic
def resident_unit_create(*, actor: Actor, **data: Any) -> ResidentUnit:
    require(actor, perms.UNIT_MANAGE)
    clean = clean_unit(actor, data, unit=None)
    uscc_taken = ("uscc", _("A resident unit with this unified social credit code is already registered."))
    u = ResidentUnit()
    _save(u, actor=actor, verb="orgs.unit.create", changes=clean, apply=_apply_unit, snap=unit_snapshot, unique={"uscc": uscc_taken})
    return u


@transaction.atomic
def resident_unit_update(*, actor: Actor, unit: ResidentUnit | int, **data: Any) -> ResidentUnit:
    u = _editable(ResidentUnit, actor, perms.UNIT_MANAGE, unit, _("This unit has been deactivated and cannot be edited."))
    before = unit_snapshot(u)
    current = {
        "name": u.name, "uscc": u.uscc, "kind": u.kind, "address": u.address, "region": u.region_id, "lat": u.lat, "lng": u.lng,
        "liaison_name": u.liaison_name, "liaison_phone": pii.decrypt(u.liaison_phone_enc) if u.liaison_phone_enc else "",
    }
    clean = clean_unit(actor, {**current, **data}, unit=u)
    _save(u, actor=actor, verb="orgs.unit.update", changes=clean, apply=_apply_unit, snap=unit_snapshot, before=before)
    return u


@transaction.atomic
def resident_unit_deactivate(*, actor: Actor, unit: ResidentUnit | int, reason: str = "") -> ResidentUnit:
    u = _to_change(ResidentUnit, actor, perms.UNIT_MANAGE, unit)
    if not u.is_active:
        return u
    _refuse_while(u.party_orgs.filter(is_active=True).count(),
                  _("%(n)s active party organisations belong to this unit; deactivate or re-attach them first."))
    _save(u, actor=actor, verb="orgs.unit.deactivate", changes={"is_active": False}, extra={"reason": str(reason)[:500]},
          update_fields=_DEACTIVATED)
    return u


def unit_liaison_phone(*, actor: Actor, unit: ResidentUnit | int) -> str:
    require(actor, perms.UNIT_LIAISON_PII)
    u = _get_scoped(ResidentUnit, actor, perms.UNIT_LIAISON_PII, unit)
    with transaction.atomic():
        audit.record_pii_read(actor=actor, target=u, fields=["liaison_phone"])
    return pii.decrypt(u.liaison_phone_enc) if u.liaison_phone_enc else ""


# --- policies --------------------------------------------------------------------------------


def _policy_snapshot(p: Policy) -> dict[str, Any]:
    return {
        "title": p.title, "doc_number": p.doc_number, "level": p.level, "role": p.role, "issuer": p.issuer,
        "issued_on": p.issued_on, "region": p.region_id, "body_length": len(p.body or ""), "is_active": p.is_active,
    }


def policy_manageable(actor: Actor, policy: Policy) -> bool:
    if not can(actor, perms.POLICY_MANAGE):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return policy.region is not None and _region_allowed(actor, perms.POLICY_MANAGE, policy.region)


def _clean_policy(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = text_field(data.get("title"), field="title", errors=errors, required=_("The title is required."))
    out["doc_number"] = text_field(data.get("doc_number"), field="doc_number", errors=errors, max_length=64)
    out["level"] = clean_choice(data.get("level"), PolicyLevel, field="level", errors=errors)
    out["role"] = clean_choice(data.get("role"), PolicyRole, field="role", errors=errors, default=PolicyRole.SUPPORTING)
    out["issuer"] = text_field(data.get("issuer"), field="issuer", errors=errors, required=_("The issuer is required."), max_length=128)
    issued = clean_date(data.get("issued_on"), field="issued_on", errors=errors)
    if issued is None and "issued_on" not in errors.details:
        errors.add("issued_on", _("The date of issue is required."))
    elif issued and issued > _today():
        errors.add("issued_on", _("The date of issue cannot be in the future."))
    out["issued_on"] = issued
    body = str(data.get("body") or "").strip()
    if not body:
        errors.add("body", _("The body text is required."))
    elif len(body) > 500_000:
        errors.add("body", _("The body text is too long."))
    out["body"] = body
    region = _resolve(Region, data.get("region"), Region.objects.filter(is_active=True))
    if region is False or (region is None and not getattr(actor, "is_superuser", False)):
        errors.add("region", _("Choose the region the policy applies to."))
        region = None
    elif region is not None and not _region_allowed(actor, perms.POLICY_MANAGE, region):
        errors.add("region", _("Choose a region within your area."))
        region = None
    out["region"] = region
    errors.raise_if_any()
    return out


def _apply_policy(p: Policy, clean: dict[str, Any]) -> None:
    for key, value in clean.items():
        setattr(p, key, value)
    p.search_tokens, p.token_count = search.token_field(p.title, p.doc_number, p.issuer, p.body)


@transaction.atomic
def policy_create(*, actor: Actor, **data: Any) -> Policy:
    require(actor, perms.POLICY_MANAGE)
    clean = _clean_policy(actor, data)
    p = Policy()
    _save(p, actor=actor, verb="orgs.policy.create", changes=clean, apply=_apply_policy, snap=_policy_snapshot,
          region_path=clean["region"].path if clean["region"] else "")
    return p


def _policy_for_manage(actor: Actor, policy: Policy | int) -> Policy:
    require(actor, perms.POLICY_MANAGE)
    p = _resolve(Policy, policy, Policy.objects.select_related("region"))
    if not p or not policy_manageable(actor, p):
        raise NotFound()
    return _lock(p)


@transaction.atomic
def policy_update(*, actor: Actor, policy: Policy | int, **data: Any) -> Policy:
    p = _policy_for_manage(actor, policy)
    before = _policy_snapshot(p)
    current = {k: getattr(p, k) for k in ("title", "doc_number", "level", "role", "issuer", "issued_on", "body")}
    current["region"] = p.region_id
    clean = _clean_policy(actor, {**current, **data})
    _save(p, actor=actor, verb="orgs.policy.update", changes=clean, apply=_apply_policy, snap=_policy_snapshot, before=before,
          region_path=clean["region"].path if clean["region"] else "")
    return p


@transaction.atomic
def policy_deactivate(*, actor: Actor, policy: Policy | int, reason: str = "") -> Policy:
    """Mark a policy as no longer in force (it stays in the library, marked repealed)."""
    p = _policy_for_manage(actor, policy)
    if p.is_active:
        _save(p, actor=actor, verb="orgs.policy.deactivate", changes={"is_active": False}, extra={"reason": str(reason)[:500]},
              update_fields=_DEACTIVATED, region_path=p.region.path if p.region else "")
    return p


def _check_attachment(name: str, head: bytes, size: int) -> str:
    base = os.path.basename(name or "").strip()
    ext = os.path.splitext(base)[1].lower()
    if ext not in ATTACHMENT_TYPES:
        raise ValidationError.for_field(
            "file", _("This file type is not accepted. Accepted: %(types)s.") % {"types": ", ".join(sorted(ATTACHMENT_TYPES))}
        )
    if size <= 0:
        raise ValidationError.for_field("file", _("The file is empty."))
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError.for_field("file", _("The file is larger than %(mb)s MB.") % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)})
    magic = ATTACHMENT_TYPES[ext]
    if magic is None:
        if b"\x00" in head:
            raise ValidationError.for_field("file", _("The file's content does not match its extension."))
    elif not head.startswith(magic):
        raise ValidationError.for_field("file", _("The file's content does not match its extension."))
    safe = get_valid_filename(base) or f"attachment{ext}"
    return safe[-200:]


@transaction.atomic
def policy_attachment_add(*, actor: Actor, policy: Policy | int, upload: IO[bytes], filename: str) -> PolicyAttachment:
    p = _policy_for_manage(actor, policy)
    data = upload.read(ATTACHMENT_MAX_BYTES + 1)
    safe = _check_attachment(filename, data[:16], len(data))
    if p.attachments.count() >= 20:
        raise ValidationError.for_field("file", _("A policy can have at most 20 attachments."))
    att = PolicyAttachment(policy=p, name=os.path.basename(filename)[:255], size=len(data))
    att.file.save(safe, ContentFile(data), save=False)
    att.save()
    audit.record(actor=actor, verb="orgs.policy.attachment_add", target=p, changes={"attachment": att.name, "size": att.size})
    return att


@transaction.atomic
def policy_attachment_remove(*, actor: Actor, attachment: PolicyAttachment | int) -> None:
    att = _resolve(PolicyAttachment, attachment, PolicyAttachment.objects.select_related("policy__region"))
    if not att:
        raise NotFound()
    p = _policy_for_manage(actor, att.policy)
    name = att.name
    att.file.delete(save=False)
    att.delete()
    audit.record(actor=actor, verb="orgs.policy.attachment_remove", target=p, changes={"attachment": name})


def policy_search_columns(title: str, doc_number: str, issuer: str, body: str) -> tuple[str, int]:
    """The search columns of a policy (tokens, token count), as ``policy_*`` services fill them (bulk builds use it)."""
    return search.token_field(title, doc_number, issuer, body)
