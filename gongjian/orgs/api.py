"""API of the organisations module, mounted at /api/v1/orgs/. Same selectors and services as the pages.

Members are masked in every answer; records outside the actor's scope answer 404. The ``count`` of the member,
organisation and unit lists is exact as of the module's last write: it is kept in the cache per query until a service
of this module changes a record (``core.counts``; writes made outside the services are seen within five minutes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from gongjian.core import pii
from gongjian.core.apikit import Page, PageQuery, StatusQuery, TextQuery, listing, paginate
from gongjian.core.errors import NotFound, ValidationError
from gongjian.core.kernel import Actor
from gongjian.core.listcache import shared_list
from gongjian.core.params import require_page
from gongjian.core.permissions import require
from gongjian.core.scope import scoped

from . import permissions as perms
from . import selectors, services
from .models import Member, PartyOrg, Policy, ResidentUnit

router = Router(tags=["orgs"])


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None
    id_number_masked: str
    phone_masked: str
    org_id: int
    org_name: str
    employer_unit_id: int | None
    home_community_id: int | None
    in_service: bool
    join_date: dt.date | None
    status: str
    is_active: bool


class MemberPage(Page):
    items: list[MemberOut]


class MemberIn(Schema):
    name: str
    id_number: str
    gender: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    org_id: int
    employer_unit_id: int | None = None
    employer_uscc: str = ""
    home_community_id: int | None = None
    in_service: bool = False
    join_date: dt.date | None = None
    status: str = "full"


class OrgOut(Schema):
    id: int
    name: str
    rank: str
    parent_id: int | None
    org_path: str
    sector: str
    formation: str
    basis: str
    region_id: int
    region_name: str
    unit_id: int | None
    secretary_id: int | None
    member_count: int
    is_active: bool


class OrgPage(Page):
    items: list[OrgOut]


class UnitOut(Schema):
    id: int
    name: str
    uscc: str
    kind: str
    address: str
    region_id: int
    region_name: str
    liaison_name: str
    lat: float | None
    lng: float | None
    member_count: int
    is_active: bool


class UnitPage(Page):
    items: list[UnitOut]


class PolicyOut(Schema):
    id: int
    title: str
    doc_number: str
    level: str
    role: str
    issuer: str
    issued_on: dt.date
    region_id: int | None
    is_active: bool
    score: float | None = None


class PolicyPage(Page):
    items: list[PolicyOut]


class PolicyDetail(PolicyOut):
    body: str
    attachments: list[dict[str, Any]]


def member_out(m: Member) -> dict[str, Any]:
    mp = selectors.masked(m)
    return {
        "id": m.pk, "name": m.name, "gender": m.gender, "birth_date": m.birth_date, "id_number_masked": mp.id_number, "phone_masked": mp.phone,
        "org_id": m.org_id, "org_name": m.org.name, "employer_unit_id": m.employer_unit_id, "home_community_id": m.home_community_id,
        "in_service": m.in_service, "join_date": m.join_date, "status": m.status, "is_active": m.is_active,
    }


def org_out(o: PartyOrg) -> dict[str, Any]:
    return {
        "id": o.pk, "name": o.name, "rank": o.rank, "parent_id": o.parent_id, "org_path": o.org_path, "sector": o.sector,
        "formation": o.formation, "basis": o.basis, "region_id": o.region_id, "region_name": o.region.name, "unit_id": o.unit_id,
        "secretary_id": o.secretary_id, "member_count": getattr(o, "member_count", 0), "is_active": o.is_active,
    }


def unit_out(u: ResidentUnit) -> dict[str, Any]:
    return {
        "id": u.pk, "name": u.name, "uscc": u.uscc, "kind": u.kind, "address": u.address, "region_id": u.region_id, "region_name": u.region.name,
        "liaison_name": u.liaison_name, "lat": float(u.lat) if u.lat is not None else None, "lng": float(u.lng) if u.lng is not None else None,
        "member_count": getattr(u, "member_count", 0), "is_active": u.is_active,
    }


def policy_out(p: Policy) -> dict[str, Any]:
    return {
        "id": p.pk, "title": p.title, "doc_number": p.doc_number, "level": p.level, "role": p.role, "issuer": p.issuer,
        "issued_on": p.issued_on, "region_id": p.region_id, "is_active": p.is_active, "score": getattr(p, "score", None),
    }


class MemberFilters(StatusQuery):
    org: int | None = None
    in_service: bool | None = None
    home: int | None = None
    employer: int | None = None
    active: str = "1"
    order: str = ""


@router.get("/members", response=MemberPage, summary="Members in the caller's scope (ID and phone masked)")
@shared_list
def members(request: HttpRequest, filters: Query[MemberFilters]) -> dict[str, Any]:
    require_page(request, perms.MEMBER_LIST)
    f = filters.dict()
    if f["in_service"] is not None:
        f["in_service"] = "1" if f["in_service"] else "0"
    answer = paginate(selectors.member_page(actor=request.user, filters=f), filters.page, filters.size)
    answer["items"] = [member_out(m) for m in selectors.member_rows(answer["items"])]
    return answer


@router.get("/members/{member_id}", response=MemberOut, summary="One member (masked); 404 outside the caller's scope")
def member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    return member_out(selectors.member_get(actor=request.user, id=member_id))


def _employer(actor: Actor, data: dict[str, Any], *, current: int | None = None) -> None:
    """Turn ``employer_unit_id`` / ``employer_uscc`` into the service's ``employer_unit``.

    By id, only a unit the caller can see (or the member's current employer): ids are guessable and
    the answer (and the member page) would show another area's unit. By its credit code, any active
    unit: the caller knows the code, as on the member form.
    """
    uscc = (data.pop("employer_uscc", None) or "").strip()
    if uscc:
        unit = selectors.unit_by_uscc(pii.normalize_uscc(uscc, field="employer_uscc"))
        if unit is None:
            raise ValidationError.for_field("employer_uscc", _("No active resident unit with this code is registered."))
        data.pop("employer_unit_id", None)
        data["employer_unit"] = unit
        return
    if "employer_unit_id" not in data:
        return
    unit_id = data.pop("employer_unit_id")
    if unit_id is not None and unit_id != current:
        visible = scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.UNIT_VIEW)
        if not visible.filter(pk=unit_id).exists():
            raise ValidationError.for_field("employer_unit_id", _("Choose a resident unit within your area."))
    data["employer_unit"] = unit_id


@router.post("/members", response={201: MemberOut}, summary="Register a member")
def member_create(request: HttpRequest, payload: MemberIn) -> tuple[int, dict[str, Any]]:
    """The employer is given by ``employer_unit_id`` (a unit in the caller's area) or ``employer_uscc`` (any registered unit)."""
    require(request.user, perms.MEMBER_MANAGE)
    data = payload.dict()
    data["org"] = data.pop("org_id")
    _employer(request.user, data)
    data["home_community"] = data.pop("home_community_id")
    m = services.member_create(actor=request.user, **data)
    m = selectors.member_get(actor=request.user, id=m.pk)
    return 201, member_out(m)


class MemberPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    phone: str | None = None
    employer_unit_id: int | None = None
    employer_uscc: str | None = None
    home_community_id: int | None = None
    in_service: bool | None = None
    join_date: dt.date | None = None
    status: str | None = None


class PiiOut(Schema):
    id_number: str
    phone: str


@router.patch("/members/{member_id}", response=MemberOut, summary="Change a member's fields (only those sent)")
def member_update(request: HttpRequest, member_id: int, payload: MemberPatch) -> dict[str, Any]:
    require(request.user, perms.MEMBER_MANAGE)
    current = selectors.member_get(actor=request.user, id=member_id, action=perms.MEMBER_MANAGE)
    data = payload.dict(exclude_unset=True)
    _employer(request.user, data, current=current.employer_unit_id)
    if "home_community_id" in data:
        data["home_community"] = data.pop("home_community_id")
    services.member_update(actor=request.user, member=member_id, **data)
    return member_out(selectors.member_get(actor=request.user, id=member_id))


@router.post("/members/{member_id}/pii", response=PiiOut, summary="Full ID and phone numbers, for roles that need them; audited")
def member_pii(request: HttpRequest, member_id: int) -> dict[str, str]:
    m = selectors.member_get(actor=request.user, id=member_id)
    if not selectors.may_reveal(request.user, m):
        raise NotFound()
    return services.member_reveal(actor=request.user, member=m)


class OrgIn(Schema):
    name: str
    rank: str
    region_id: int
    sector: str
    parent_id: int | None = None
    formation: str = "standalone"
    basis: str = "location"
    unit_id: int | None = None
    founded_on: dt.date | None = None


class UnitIn(Schema):
    name: str
    uscc: str
    kind: str
    region_id: int
    address: str = ""
    liaison_name: str = ""
    liaison_phone: str = ""
    lat: float | None = None
    lng: float | None = None


class PolicyIn(Schema):
    title: str
    level: str
    issuer: str
    issued_on: dt.date
    body: str
    region_id: int | None = None
    doc_number: str = ""
    role: str = "supporting"


def _listed(request: HttpRequest, permission: str, rows: Callable[..., Any], filters: PageQuery, out: Callable[[Any], Any]) -> dict[str, Any]:
    """A list endpoint: the role may see the list (else "not found"), one page of the selector's rows (the filters as sent)."""
    return listing(request, filters, lambda f: rows(actor=request.user, filters=f), out=out, permission=permission, keep_blank=True)


def _one(request: HttpRequest, permission: str | None, rows: Callable[..., Any], pk: int,
         out: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One record as its list shows it (active or not); outside the caller's scope it is "not found"."""
    if permission is not None:
        require_page(request, permission)
    found = rows(actor=request.user, filters={"active": "all"}).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return out(found)


def _ids_to_fields(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if f"{key}_id" in data:
            data[key] = data.pop(f"{key}_id")
    return data


@router.post("/orgs", response={201: OrgOut}, summary="Create a party organisation")
def org_create(request: HttpRequest, payload: OrgIn) -> tuple[int, dict[str, Any]]:
    o = services.party_org_create(actor=request.user, **_ids_to_fields(payload.dict(), "region", "parent", "unit"))
    return 201, _one(request, None, selectors.org_list, o.pk, org_out)


@router.post("/units", response={201: UnitOut}, summary="Register a resident unit")
def unit_create(request: HttpRequest, payload: UnitIn) -> tuple[int, dict[str, Any]]:
    u = services.resident_unit_create(actor=request.user, **_ids_to_fields(payload.dict(), "region"))
    return 201, _one(request, None, selectors.unit_list, u.pk, unit_out)


@router.post("/policies", response={201: PolicyOut}, summary="Add a policy to the library")
def policy_create(request: HttpRequest, payload: PolicyIn) -> tuple[int, dict[str, Any]]:
    p = services.policy_create(actor=request.user, **_ids_to_fields(payload.dict(), "region"))
    return 201, policy_out(p)


class OrgFilters(TextQuery):
    rank: str = ""
    sector: str = ""
    formation: str = ""
    basis: str = ""
    region: int | None = None
    active: str = "1"
    size: int = 50


@router.get("/orgs", response=OrgPage, summary="Party organisations in the caller's scope, in tree order")
@shared_list
def orgs(request: HttpRequest, filters: Query[OrgFilters]) -> dict[str, Any]:
    return _listed(request, perms.ORG_VIEW, selectors.org_page, filters, org_out)


@router.get("/orgs/{org_id}", response=OrgOut, summary="One party organisation; 404 outside the caller's scope")
def org(request: HttpRequest, org_id: int) -> dict[str, Any]:
    return _one(request, perms.ORG_VIEW, selectors.org_list, org_id, org_out)


class UnitFilters(TextQuery):
    kind: str = ""
    region: int | None = None
    active: str = "1"


@router.get("/units", response=UnitPage, summary="Resident units in the caller's scope")
@shared_list
def units(request: HttpRequest, filters: Query[UnitFilters]) -> dict[str, Any]:
    return _listed(request, perms.UNIT_VIEW, selectors.unit_page, filters, unit_out)


@router.get("/units/{unit_id}", response=UnitOut, summary="One resident unit; 404 outside the caller's scope")
def unit(request: HttpRequest, unit_id: int) -> dict[str, Any]:
    return _one(request, perms.UNIT_VIEW, selectors.unit_list, unit_id, unit_out)


class PolicyFilters(TextQuery):
    level: str = ""
    role: str = ""
    year: int | None = None
    active: str = "1"


@router.get("/policies", response=PolicyPage, summary="Search the 1+N policy library (BM25 over jieba tokens; title matches count more)")
@shared_list
def policies(request: HttpRequest, filters: Query[PolicyFilters]) -> dict[str, Any]:
    return _listed(request, perms.POLICY_VIEW, selectors.policy_search, filters, policy_out)


@router.get("/policies/{policy_id}", response=PolicyDetail, summary="One policy with its text and attachments")
def policy(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    p = selectors.policy_get(actor=request.user, id=policy_id)
    return {**policy_out(p), "body": p.body, "attachments": [{"id": a.pk, "name": a.name, "size": a.size} for a in p.attachments.all()]}
