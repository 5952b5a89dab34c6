"""API of unit report-in and partnerships, mounted under /api/v1/cobuild/. Same selectors and services as the pages.

Records outside the caller's scope answer 404; a second active report-in or partnership 409 (``duplicate``);
forbidden status changes 409 (``invalid_transition``); bad fields 400 (``invalid``) with per-field details.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gongjian.core.apikit import Actions, Page, PlaceQuery, ReasonIn, act, listing
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list

from ..models import Partnership, PartnershipAgreement, UnitReportIn
from . import permissions as perms
from . import selectors, services

router = Router(tags=["cobuild"])


# --- report-ins ---------------------------------------------------------------------------------


class ReportInOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    party_org_id: int | None
    party_org_name: str
    community_id: int
    community_name: str
    status: str
    contact_name: str
    offer: str
    reported_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    reason: str


class ReportInPage(Page):
    items: list[ReportInOut]


class ReportInIn(Schema):
    unit_id: int
    community_id: int
    party_org_id: int
    contact_name: str = ""
    offer: str = ""


ReportInFilters = PlaceQuery


def report_in_out(r: UnitReportIn) -> dict[str, Any]:
    return {
        "id": r.pk, "unit_id": r.unit_id, "unit_name": r.unit.name, "party_org_id": r.party_org_id,
        "party_org_name": r.party_org.name if r.party_org else "", "community_id": r.community_id, "community_name": r.community.name,
        "status": r.status, "contact_name": r.contact_name, "offer": r.offer, "reported_at": r.reported_at,
        "confirmed_at": r.confirmed_at, "ended_at": r.ended_at, "reason": r.status_note,
    }


@router.get("/report-ins", response=ReportInPage, summary="Unit report-ins in the caller's scope")
@shared_list
def report_ins(request: HttpRequest, filters: Query[ReportInFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.report_in_list(actor=request.user, filters=f), out=report_in_out,
                   permission=perms.REPORT_IN_VIEW)


@router.get("/report-ins/{report_in_id}", response=ReportInOut, summary="One report-in; 404 outside the caller's scope")
def report_in(request: HttpRequest, report_in_id: int) -> dict[str, Any]:
    return _report_in(request, report_in_id)


@router.post("/report-ins", response={201: ReportInOut}, summary="Report a unit in to the community where it is located")
def report_in_create(request: HttpRequest, payload: ReportInIn) -> tuple[int, dict[str, Any]]:
    r = services.report_in_create(actor=request.user, unit=payload.unit_id, community=payload.community_id, party_org=payload.party_org_id,
                                  contact_name=payload.contact_name, offer=payload.offer)
    return 201, _report_in(request, r.pk)


def _report_in(request: HttpRequest, report_in_id: int) -> dict[str, Any]:
    """The report-in as the caller sees it now (404 outside the scope)."""
    return report_in_out(selectors.report_in_get(actor=request.user, id=report_in_id))


report_in_action = Actions(router, "/report-ins/{report_in_id}", response=ReportInOut, record="report_in", module=__name__,
                           load=lambda request, pk: selectors.report_in_get(actor=request.user, id=pk),
                           out=lambda request, r: _report_in(request, r.pk))
report_in_action("confirm", services.report_in_confirm, "The community confirms a report-in")
report_in_action("reject", services.report_in_reject, "The community rejects a report-in (reason required)", ReasonIn)
report_in_action("end", services.report_in_end, "The unit or the community ends a report-in (reason required)", ReasonIn)


# --- partnerships and agreements ---------------------------------------------------------------


class AgreementOut(Schema):
    id: int
    partnership_id: int
    year: int
    branch_commitments: str
    community_commitments: str
    status: str
    signed_on: dt.date | None


class PartnershipOut(Schema):
    id: int
    branch_id: int
    branch_name: str
    unit_id: int
    unit_name: str
    community_id: int
    community_name: str
    status: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str
    signed_this_year: bool
    agreements: list[AgreementOut]


class PartnershipPage(Page):
    items: list[PartnershipOut]


class PartnershipIn(Schema):
    branch_id: int
    community_id: int
    started_on: dt.date | None = None


class PartnershipEndIn(Schema):
    reason: str = ""
    ended_on: dt.date | None = None


class AgreementIn(Schema):
    year: int | None = None
    branch_commitments: str = ""
    community_commitments: str = ""


class AgreementPatch(Schema):
    year: int | None = None
    branch_commitments: str | None = None
    community_commitments: str | None = None


class SignIn(Schema):
    signed_on: dt.date | None = None


class PartnershipFilters(PlaceQuery):
    missing: str = ""


def agreement_out(a: PartnershipAgreement) -> dict[str, Any]:
    return {"id": a.pk, "partnership_id": a.partnership_id, "year": a.year, "branch_commitments": a.branch_commitments,
            "community_commitments": a.community_commitments, "status": a.status, "signed_on": a.signed_on}


def partnership_out(p: Partnership) -> dict[str, Any]:
    agreements = sorted(p.agreements.all(), key=lambda a: (-a.year, -a.pk))
    year = selectors.this_year()
    return {
        "id": p.pk, "branch_id": p.branch_id, "branch_name": p.branch.name, "unit_id": p.unit_id, "unit_name": p.unit.name,
        "community_id": p.community_id, "community_name": p.community.name, "status": p.status, "started_on": p.started_on,
        "ended_on": p.ended_on, "end_reason": p.end_reason,
        "signed_this_year": any(a.year == year and a.status == "signed" for a in agreements),
        "agreements": [agreement_out(a) for a in agreements],
    }


def _partnership(request: HttpRequest, pk: int) -> dict[str, Any]:
    qs = selectors.with_agreements(selectors.partnership_list(actor=request.user)).filter(pk=pk)
    p = qs.first()
    if p is None:
        raise NotFound()
    return partnership_out(p)


@router.get("/partnerships", response=PartnershipPage, summary="Partnerships in the caller's scope (missing=1: without this year's signed agreement)")
@shared_list
def partnerships(request: HttpRequest, filters: Query[PartnershipFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.with_agreements(selectors.partnership_list(actor=request.user, filters=f)),
                   out=partnership_out, permission=perms.PARTNERSHIP_VIEW)


@router.get("/partnerships/{partnership_id}", response=PartnershipOut, summary="One partnership with its agreements")
def partnership(request: HttpRequest, partnership_id: int) -> dict[str, Any]:
    selectors.partnership_get(actor=request.user, id=partnership_id)
    return _partnership(request, partnership_id)


@router.post("/partnerships", response={201: PartnershipOut}, summary="Pair an organ's party branch with a community")
def partnership_create(request: HttpRequest, payload: PartnershipIn) -> tuple[int, dict[str, Any]]:
    p = services.partnership_create(actor=request.user, branch=payload.branch_id, community=payload.community_id,
                                    started_on=payload.started_on)
    return 201, _partnership(request, p.pk)


@router.post("/partnerships/{partnership_id}/end", response=PartnershipOut, summary="End a partnership (reason required)")
def partnership_end(request: HttpRequest, partnership_id: int, payload: PartnershipEndIn) -> dict[str, Any]:
    return act(lambda: selectors.partnership_get(actor=request.user, id=partnership_id),
               lambda p: services.partnership_end(actor=request.user, partnership=p, reason=payload.reason, ended_on=payload.ended_on),
               lambda p: _partnership(request, p.pk))


@router.post("/partnerships/{partnership_id}/agreements", response={201: AgreementOut}, summary="Draft the agreement of a year")
def agreement_create(request: HttpRequest, partnership_id: int, payload: AgreementIn) -> tuple[int, dict[str, Any]]:
    p = selectors.partnership_get(actor=request.user, id=partnership_id)
    a = services.agreement_create(actor=request.user, partnership=p, **payload.dict())
    return 201, agreement_out(a)


@router.patch("/agreements/{agreement_id}", response=AgreementOut, summary="Change a draft agreement")
def agreement_update(request: HttpRequest, agreement_id: int, payload: AgreementPatch) -> dict[str, Any]:
    a = selectors.agreement_get(actor=request.user, id=agreement_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return agreement_out(services.agreement_update(actor=request.user, agreement=a, **data))


@router.post("/agreements/{agreement_id}/sign", response=AgreementOut, summary="Record a draft agreement as signed")
def agreement_sign(request: HttpRequest, agreement_id: int, payload: SignIn) -> dict[str, Any]:
    a = selectors.agreement_get(actor=request.user, id=agreement_id)
    return agreement_out(services.agreement_sign(actor=request.user, agreement=a, signed_on=payload.signed_on))
