"""API of members' report-in, receipts and pledges, under /api/v1/volunteering/. Same selectors and services as the pages.

Records outside the caller's scope answer 404; a second active report-in or pledge 409 (``duplicate``); forbidden
status changes 409 (``invalid_transition``); bad fields 400 (``invalid``) with per-field details.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from gongjian.core.apikit import Actions, Page, PlaceQuery, ReasonIn, StatusQuery, TextQuery, listing
from gongjian.core.listcache import shared_list

from .. import permissions as perms
from ..common import counted
from ..models import FeedbackReceipt, MemberReportIn, Pledge
from . import pdf, selectors, services

router = Router(tags=["volunteering"])


# --- report-ins ---------------------------------------------------------------------------------


class ReportInOut(Schema):
    id: int
    member_id: int
    member_name: str
    community_id: int
    community_name: str
    unit_id: int | None
    unit_name: str
    status: str
    skills: str
    reported_at: dt.datetime
    confirmed_at: dt.datetime | None
    ended_at: dt.datetime | None
    reason: str


class ReportInPage(Page):
    items: list[ReportInOut]


ReportInFilters = PlaceQuery


class ReportInIn(Schema):
    community_id: int
    id_number: str
    skills: str = ""
    move: bool = False
    reason: str = ""


def report_in_out(r: MemberReportIn) -> dict[str, Any]:
    return {
        "id": r.pk, "member_id": r.member_id, "member_name": r.member.name, "community_id": r.community_id, "community_name": r.community.name,
        "unit_id": r.unit_id, "unit_name": r.unit.name if r.unit else "", "status": r.status, "skills": r.skills,
        "reported_at": r.reported_at, "confirmed_at": r.confirmed_at, "ended_at": r.ended_at, "reason": r.rejected_reason or r.end_reason,
    }


@router.get("/report-ins", response=ReportInPage, summary="Member report-ins in the caller's scope (a member: his own)")
@shared_list
def report_ins(request: HttpRequest, filters: Query[ReportInFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.report_in_list(actor=request.user, filters=f)),
                   out=report_in_out, permission=perms.REPORT_IN_VIEW)


@router.get("/report-ins/{report_in_id}", response=ReportInOut, summary="One report-in; 404 outside the caller's scope")
def report_in_detail(request: HttpRequest, report_in_id: int) -> dict[str, Any]:
    return report_in_out(selectors.report_in_get(actor=request.user, id=report_in_id))


@router.post("/report-ins", response={201: ReportInOut}, summary="The member reports in to his community (move=true ends the old one)")
def report_in_create(request: HttpRequest, payload: ReportInIn) -> tuple[int, dict[str, Any]]:
    r = services.report_in(actor=request.user, community=payload.community_id, id_number=payload.id_number, skills=payload.skills,
                           move=payload.move, reason=payload.reason)
    return 201, report_in_out(selectors.report_in_get(actor=request.user, id=r.pk))


report_in_action = Actions(
    router, "/report-ins/{report_in_id}", response=ReportInOut, record="report_in", module=__name__,
    load=lambda request, pk: selectors.report_in_get(actor=request.user, id=pk, action=perms.REPORT_IN_CONFIRM),
    out=lambda request, r: report_in_out(selectors.report_in_get(actor=request.user, id=r.pk)))
report_in_action("confirm", services.report_in_confirm, "The community confirms a report-in")
report_in_action("reject", services.report_in_reject, "The community rejects a report-in (reason required)", ReasonIn)
report_in_action("end", services.report_in_end, "The community ends a report-in (reason required)", ReasonIn)


# --- receipts -----------------------------------------------------------------------------------


class ReceiptOut(Schema):
    id: int
    report_in_id: int
    member_id: int
    member_name: str
    community_id: int
    community_name: str
    unit_id: int | None
    unit_name: str
    period: str
    period_start: dt.date
    period_end: dt.date
    hours: Decimal
    activities: int
    posts: str
    pledges_fulfilled: int
    pledges_total: int
    points: int
    remark: str
    issued_at: dt.datetime
    pdf_url: str


class ReceiptPage(Page):
    items: list[ReceiptOut]


class ReceiptFilters(TextQuery):
    period: str = ""
    community: int | None = None
    unit: int | None = None


class ReceiptIn(Schema):
    period: str
    report_in_id: int | None = None
    community_id: int | None = None
    remark: str = ""


class IssueAllOut(Schema):
    issued: int
    refreshed: int


def receipt_out(rc: FeedbackReceipt) -> dict[str, Any]:
    return {
        "id": rc.pk, "report_in_id": rc.report_in_id, "member_id": rc.member_id, "member_name": rc.member.name, "community_id": rc.community_id,
        "community_name": rc.community.name, "unit_id": rc.unit_id, "unit_name": rc.unit.name if rc.unit else "", "period": rc.period,
        "period_start": rc.period_start, "period_end": rc.period_end, "hours": rc.hours, "activities": rc.activities, "posts": rc.posts,
        "pledges_fulfilled": rc.pledges_fulfilled, "pledges_total": rc.pledges_total, "points": rc.points, "remark": rc.remark,
        "issued_at": rc.issued_at, "pdf_url": f"/api/v1/volunteering/receipts/{rc.pk}/pdf",
    }


@router.get("/receipts", response=ReceiptPage, summary="Half-year receipts in the caller's scope (unit liaison: his unit's; member: his own)")
@shared_list
def receipts(request: HttpRequest, filters: Query[ReceiptFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.receipt_list(actor=request.user, filters=f)), out=receipt_out,
                   permission=perms.RECEIPT_VIEW)


@router.get("/receipts/{receipt_id}", response=ReceiptOut, summary="One receipt; 404 outside the caller's scope")
def receipt_detail(request: HttpRequest, receipt_id: int) -> dict[str, Any]:
    return receipt_out(selectors.receipt_get(actor=request.user, id=receipt_id))


@router.get("/receipts/{receipt_id}/pdf", summary="The receipt as a one-page PDF; 404 outside the caller's scope")
def receipt_pdf(request: HttpRequest, receipt_id: int) -> HttpResponse:
    rc = selectors.receipt_get(actor=request.user, id=receipt_id)
    response = HttpResponse(pdf.receipt_pdf(rc), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename(rc)}"'
    return response


@router.post("/receipts", response={200: ReceiptOut, 201: IssueAllOut},
             summary="Issue (or refresh) a receipt: for one report-in (report_in_id) or every confirmed report-in of a community")
def receipt_issue(request: HttpRequest, payload: ReceiptIn) -> Any:
    if payload.report_in_id is not None:
        rc = services.receipt_issue(actor=request.user, report_in=payload.report_in_id, period=payload.period, remark=payload.remark)
        return 200, receipt_out(selectors.receipt_get(actor=request.user, id=rc.pk))
    return 201, services.receipt_issue_all(actor=request.user, community=payload.community_id, period=payload.period, remark=payload.remark)


# --- pledges ------------------------------------------------------------------------------------


class PledgeOut(Schema):
    id: int
    member_id: int
    member_name: str
    community_id: int
    year: int
    content: str
    due_date: dt.date
    status: str
    remark: str


class PledgePage(Page):
    items: list[PledgeOut]


class PledgeFilters(StatusQuery):
    year: int | None = None
    community: int | None = None


class PledgeIn(Schema):
    content: str
    due_date: str


class AssessIn(Schema):
    fulfilled: bool
    remark: str = ""


def pledge_out(p: Pledge) -> dict[str, Any]:
    return {"id": p.pk, "member_id": p.member_id, "member_name": p.member.name, "community_id": p.community_id, "year": p.year,
            "content": p.content, "due_date": p.due_date, "status": p.status, "remark": p.remark}


@router.get("/pledges", response=PledgePage, summary="Pledges in the caller's scope (a member: his own)")
@shared_list
def pledges(request: HttpRequest, filters: Query[PledgeFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.pledge_list(actor=request.user, filters=f)), out=pledge_out,
                   permission=perms.PLEDGE_VIEW)


@router.post("/pledges", response={201: PledgeOut}, summary="The member makes this year's pledge")
def pledge_make(request: HttpRequest, payload: PledgeIn) -> tuple[int, dict[str, Any]]:
    p = services.pledge_make(actor=request.user, content=payload.content, due_date=payload.due_date)
    return 201, pledge_out(selectors.pledge_get(actor=request.user, id=p.pk))


@router.put("/pledges/{pledge_id}", response=PledgeOut, summary="The member changes his pledge while it is not assessed")
def pledge_update(request: HttpRequest, pledge_id: int, payload: PledgeIn) -> dict[str, Any]:
    p = services.pledge_update(actor=request.user, pledge=pledge_id, content=payload.content, due_date=payload.due_date)
    return pledge_out(selectors.pledge_get(actor=request.user, id=p.pk))


@router.post("/pledges/{pledge_id}/assess", response=PledgeOut, summary="The community marks a pledge fulfilled or not")
def pledge_assess(request: HttpRequest, pledge_id: int, payload: AssessIn) -> dict[str, Any]:
    p = services.pledge_assess(actor=request.user, pledge=pledge_id, fulfilled=payload.fulfilled, remark=payload.remark)
    return pledge_out(selectors.pledge_get(actor=request.user, id=p.pk))
