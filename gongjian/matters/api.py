"""API of matters, mounted at /api/v1/matters/: the same selectors and services as the pages.

A matter outside the caller's sight (or a role that cannot see matters at all): 404. A role that sees the
matter but may not take the action, or a level that does not own it: 403. A transition the state machine
forbids, or a ``version`` older than the matter's (someone acted first): 409 (``invalid_transition`` /
``stale``, "该事项已被他人处理，请刷新后再试"). Field errors: 400 (``invalid``, ``details`` per field); a body or
query that does not match the schema: 422. One error shape everywhere: ``{code, message, details}``.

Every write on a matter takes an optional ``version`` (the one the client read); without it nothing is
compared. Department actions take an optional ``status`` (the assignment status the client read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from gongjian.core.apikit import Page, PageQuery, StatusQuery, act, listing, max_page_size
from gongjian.core.apikit import ReasonIn as BaseReasonIn
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.listcache import shared_list
from gongjian.core.permissions import can

from . import permissions as perms
from . import selectors, services
from .choices import AssignmentStatus
from .models import Assignment, FollowUp, Matter, MatterAttachment, MatterEvent
from .views import attachment_response, category_path, matter_actions, may_read_phone, resident_communities

router = Router(tags=["matters"])
QUEUE_ITEMS = 20


# --- schemas ---------------------------------------------------------------------------------------


class MatterOut(Schema):
    id: int
    number: str
    title: str
    category_id: int | None
    category_name: str
    urgency: str
    source: str
    status: str
    status_label: str
    community_id: int
    community_name: str
    owner_id: int
    owner_name: str
    top_depth: int
    address: str
    lat: float | None
    lng: float | None
    reported_at: dt.datetime
    accept_due: dt.datetime
    resolve_due: dt.datetime | None
    is_overdue: bool
    coordinated: bool
    version: int
    url: str


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    at: dt.datetime
    actor: str
    from_status: str
    to_status: str
    region_id: int | None
    region_name: str
    department_id: int | None
    department_name: str
    note: str


class AssignmentOut(Schema):
    id: int
    matter_id: int
    matter_number: str
    matter_title: str
    department_id: int
    department_name: str
    role: str
    status: str
    status_label: str
    deadline: dt.datetime
    assigned_at: dt.datetime
    by_region_id: int
    by_region_name: str
    accepted_at: dt.datetime | None
    done_at: dt.datetime | None
    result: str
    returned_at: dt.datetime | None
    return_reason: str
    is_overdue: bool
    follow_up_count: int


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime
    url: str


class FollowUpOut(Schema):
    id: int
    assignment_id: int
    department_name: str
    by_region_name: str
    note: str
    new_deadline: dt.datetime | None
    created_at: dt.datetime


class MatterDetailOut(MatterOut):
    description: str
    category_path: list[str]
    reporter_name: str
    reporter_phone_masked: str
    external_ref: str | None
    accepted_at: dt.datetime | None
    escalated_at: dt.datetime | None
    escalation_count: int
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    rejected_at: dt.datetime | None
    reject_reason: str
    resolution: str
    satisfaction: str
    callback_at: dt.datetime | None
    callback_note: str
    reopen_count: int
    actions: list[str]
    timeline: list[EventOut]
    assignments: list[AssignmentOut]
    attachments: list[AttachmentOut]
    follow_ups: list[FollowUpOut]


class MatterPage(Page):
    items: list[MatterOut]


class AssignmentPage(Page):
    items: list[AssignmentOut]


class QueueOut(Schema):
    count: int
    items: list[MatterOut]


class AssignmentQueueOut(Schema):
    count: int
    items: list[AssignmentOut]


class WorkQueueOut(Schema):
    matters: dict[str, QueueOut]
    assignments: dict[str, AssignmentQueueOut]


class ReportIn(Schema):
    title: str
    community_id: int | None = None
    description: str = ""
    category_id: int | None = None
    urgency: str | None = None
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    source: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    source_ref: str = ""


class VersionIn(Schema):
    version: int | None = None


class ReasonIn(BaseReasonIn, VersionIn):
    pass


class AssignIn(VersionIn):
    lead: int | None = None
    assist: list[int] = []
    deadline: str | None = None
    note: str = ""


class ResolveIn(VersionIn):
    resolution: str = ""


class CallbackIn(VersionIn):
    satisfaction: str = ""
    note: str = ""


class SeenIn(Schema):
    status: str | None = None


class NoteIn(SeenIn):
    note: str = ""


class ResultIn(SeenIn):
    result: str = ""


class ReturnIn(SeenIn):
    reason: str = ""


class FollowUpIn(SeenIn):
    note: str = ""
    new_deadline: str | None = None


class PhoneOut(Schema):
    reporter_phone: str


# --- converters ------------------------------------------------------------------------------------


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def matter_out(m: Matter) -> dict[str, Any]:
    return {
        "id": m.pk, "number": m.number, "title": m.title, "category_id": m.category_id,
        "category_name": m.category.full_name or m.category.name if m.category else "", "urgency": m.urgency, "source": m.source,
        "status": m.status, "status_label": str(m.get_status_display()), "community_id": m.community_id,
        "community_name": m.community.name, "owner_id": m.owner_id, "owner_name": m.owner.name, "top_depth": m.top_depth,
        "address": m.address, "lat": _f(m.lat), "lng": _f(m.lng), "reported_at": m.reported_at, "accept_due": m.accept_due,
        "resolve_due": m.resolve_due, "is_overdue": m.is_overdue, "coordinated": m.coordinated_at is not None, "version": m.version,
        "url": reverse("matters:matter_detail", args=[m.pk]),
    }


def event_out(e: MatterEvent) -> dict[str, Any]:
    return {
        "id": e.pk, "kind": e.kind, "kind_label": str(e.get_kind_display()), "at": e.at, "actor": e.actor_label,
        "from_status": e.from_status, "to_status": e.to_status, "region_id": e.region_id, "region_name": e.region.name if e.region else "",
        "department_id": e.department_id, "department_name": str(e.department) if e.department else "", "note": e.note,
    }


def assignment_out(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk, "matter_id": a.matter_id, "matter_number": a.matter.number, "matter_title": a.matter.title,
        "department_id": a.department_id, "department_name": str(a.department), "role": a.role, "status": a.status,
        "status_label": str(a.get_status_display()), "deadline": a.deadline, "assigned_at": a.assigned_at, "by_region_id": a.by_region_id,
        "by_region_name": a.by_region.name, "accepted_at": a.accepted_at, "done_at": a.done_at, "result": a.result,
        "returned_at": a.returned_at, "return_reason": a.return_reason, "is_overdue": a.is_overdue, "follow_up_count": a.follow_up_count,
    }


def attachment_out(a: MatterAttachment) -> dict[str, Any]:
    return {"id": a.pk, "name": a.name, "content_type": a.content_type, "size": a.size, "uploaded_at": a.created_at,
            "url": reverse("api:matters_attachment", args=[a.matter_id, a.pk])}


def follow_up_out(f: FollowUp) -> dict[str, Any]:
    return {"id": f.pk, "assignment_id": f.assignment_id, "department_name": str(f.assignment.department), "by_region_name": f.by_region.name,
            "note": f.note, "new_deadline": f.new_deadline, "created_at": f.created_at}


def _detail(request: HttpRequest, matter_id: Any) -> dict[str, Any]:
    user = request.user
    m = selectors.matter_get(actor=user, id=matter_id)
    assignments = list(selectors.matter_assignments(actor=user, matter=m).select_related("matter"))
    follow = (FollowUp.objects.filter(assignment__matter=m).select_related("assignment__department__region", "by_region")
              .order_by("-created_at", "-id"))
    return {
        **matter_out(m), "description": m.description, "category_path": category_path(m), "reporter_name": m.reporter_name,
        "reporter_phone_masked": services.reporter_phone_masked(m) if m.reporter_phone_enc else "", "external_ref": m.external_ref,
        "accepted_at": m.accepted_at, "escalated_at": m.escalated_at, "escalation_count": m.escalation_count, "resolved_at": m.resolved_at,
        "closed_at": m.closed_at, "rejected_at": m.rejected_at, "reject_reason": m.reject_reason, "resolution": m.resolution,
        "satisfaction": m.satisfaction, "callback_at": m.callback_at, "callback_note": m.callback_note, "reopen_count": m.reopen_count,
        "actions": sorted(matter_actions(user, m)),
        "timeline": [event_out(e) for e in selectors.matter_events(actor=user, matter=m).select_related("department__region")],
        "assignments": [assignment_out(a) for a in assignments],
        "attachments": [attachment_out(a) for a in selectors.matter_attachments(actor=user, matter=m)],
        "follow_ups": [follow_up_out(f) for f in follow],
    }


def _visible(request: HttpRequest, matter_id: int) -> Matter:
    """The matter in the caller's sight (404 otherwise), before any permission check (which answers 403)."""
    if not can(request.user, perms.VIEW):
        raise NotFound()
    return selectors.matter_get(actor=request.user, id=matter_id)


def _act(request: HttpRequest, matter_id: int, call: Callable[[Matter], Any]) -> dict[str, Any]:
    """An action on a matter in the caller's sight; answers the matter as it is now."""
    return act(lambda: _visible(request, matter_id), call, lambda _m: _detail(request, matter_id))


def _assignment(request: HttpRequest, assignment_id: int, seen: str | None = None) -> Assignment:
    if not can(request.user, perms.VIEW):
        raise NotFound()
    a = selectors.assignment_get(actor=request.user, id=assignment_id)
    if seen in AssignmentStatus.values:
        a.status = seen  # the service compares it with the locked row: a different one is "already changed" (409)
    return a


# --- matters ---------------------------------------------------------------------------------------


class MatterFilters(StatusQuery):
    urgency: str = ""
    category: int | None = None
    source: str = ""
    region: int | None = None
    community: int | None = None
    owner: str = ""
    overdue: bool | None = None
    department: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    mine: bool | None = None


def _as_page_filters(f: dict[str, Any]) -> dict[str, Any]:
    """A list endpoint's filters as the list page's: a set flag is "1", an unset one (or 0) left out, date_from/date_to are from/to."""
    return {{"date_from": "from", "date_to": "to"}.get(k, k): "1" if v is True else v for k, v in f.items() if v not in (None, "", False)}


@router.get("/", response=MatterPage, summary="Matters in the caller's sight, newest first (filters as on the list page)")
@shared_list(account_params=("mine",))  # ?mine=1 lists what the caller entered: the account's own
def matter_list(request: HttpRequest, filters: Query[MatterFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.matter_list(actor=request.user, filters=_as_page_filters(f), page=True),
                   out=matter_out, permission=perms.VIEW)


@router.get("/queue", response=WorkQueueOut, summary="What waits for the caller: matters by kind and his department's assignments, with counts")
def work_queue(request: HttpRequest, limit: int = QUEUE_ITEMS) -> dict[str, Any]:
    if not can(request.user, perms.VIEW):
        raise NotFound()
    limit = max(0, min(limit, max_page_size()))
    counts = selectors.work_queue_counts(actor=request.user)
    matters = {k: {"count": counts[k], "items": [matter_out(m) for m in qs[:limit]] if counts[k] and limit else []}
               for k, qs in selectors.work_queue(actor=request.user).items()}
    assignments: dict[str, Any] = {}
    if selectors.actor_departments(request.user):
        sizes = selectors.department_queue_counts(actor=request.user)
        assignments = {k: {"count": sizes[k], "items": [assignment_out(a) for a in qs.select_related("department__region")[:limit]]
                           if sizes[k] and limit else []}
                       for k, qs in selectors.department_queue(actor=request.user).items()}
    return {"matters": matters, "assignments": assignments}


@router.post("/", response={201: MatterDetailOut}, summary="Report a matter (staff: any community of their area; residents: "
             "their own community, which is the default)")
def matter_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    data = payload.dict()
    community = data.pop("community_id")
    if community is None and not selectors.acting_paths(request.user, perms.REPORT):
        own = resident_communities(request.user)
        community = own[0].pk if own else None
    data["category"] = data.pop("category_id")
    data = {k: v for k, v in data.items() if v is not None}
    m = services.matter_report(actor=request.user, community=community, **data)
    return Status(201, _detail(request, m.pk))


@router.get("/{int:matter_id}", response=MatterDetailOut, summary="One matter with its timeline, departments, attachments and "
            "follow-ups; 404 outside the caller's sight")
def matter_detail(request: HttpRequest, matter_id: int) -> dict[str, Any]:
    _visible(request, matter_id)
    return _detail(request, matter_id)


@router.post("/{int:matter_id}/accept", response=MatterDetailOut, summary="Accept (the community, first receiver)")
def matter_accept(request: HttpRequest, matter_id: int, payload: VersionIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_accept(actor=request.user, matter=m, version=payload.version))


@router.post("/{int:matter_id}/reject", response=MatterDetailOut, summary="Reject as not a governance matter (with a reason)")
def matter_reject(request: HttpRequest, matter_id: int, payload: ReasonIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_reject(actor=request.user, matter=m, reason=payload.reason, version=payload.version))


@router.post("/{int:matter_id}/escalate", response=MatterDetailOut, summary="Escalate to the parent level (with a reason; never above the city)")
def matter_escalate(request: HttpRequest, matter_id: int, payload: ReasonIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_escalate(actor=request.user, matter=m, reason=payload.reason, version=payload.version))


@router.post("/{int:matter_id}/assign", response=MatterDetailOut, summary="Assign one lead and optional assisting departments "
             "(deadline: a date or date-time; blank = the matter's deadline to resolve)")
def matter_assign(request: HttpRequest, matter_id: int, payload: AssignIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_assign(
        actor=request.user, matter=m, lead=payload.lead, assist=payload.assist, deadline=payload.deadline, note=payload.note,
        version=payload.version))


@router.post("/{int:matter_id}/resolve", response=MatterDetailOut, summary="Mark resolved (with departments: after the lead's result)")
def matter_resolve(request: HttpRequest, matter_id: int, payload: ResolveIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_resolve(
        actor=request.user, matter=m, resolution=payload.resolution, version=payload.version))


@router.post("/{int:matter_id}/callback", response=MatterDetailOut, summary="Record the callback: satisfied / basically → closed; "
             "unsatisfied → reopened")
def matter_callback(request: HttpRequest, matter_id: int, payload: CallbackIn) -> dict[str, Any]:
    return _act(request, matter_id, lambda m: services.matter_callback(
        actor=request.user, matter=m, satisfaction=payload.satisfaction, note=payload.note, version=payload.version))


@router.post("/{int:matter_id}/reporter-phone", response=PhoneOut, summary="The reporter's full phone number for the callback "
             "(administrators on the matter's path; the read is audited)")
def reporter_phone(request: HttpRequest, matter_id: int) -> dict[str, Any]:
    m = _visible(request, matter_id)
    if not may_read_phone(request.user, m):
        raise PermissionDenied()
    with transaction.atomic():
        return {"reporter_phone": services.reporter_phone(actor=request.user, matter=m)}


@router.get("/{int:matter_id}/attachments", response=list[AttachmentOut], summary="The matter's attachments")
@shared_list
def attachments(request: HttpRequest, matter_id: int) -> list[dict[str, Any]]:
    m = _visible(request, matter_id)
    return [attachment_out(a) for a in selectors.matter_attachments(actor=request.user, matter=m)]


@router.post("/{int:matter_id}/attachments", response={201: AttachmentOut}, summary="Attach a photo (JPEG, PNG, WebP) or a PDF "
             "(multipart field `file`)")
def attachment_add(request: HttpRequest, matter_id: int, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    m = _visible(request, matter_id)
    a = services.matter_attach(actor=request.user, matter=m, upload=file, filename=file.name or "")
    return Status(201, attachment_out(a))


@router.get("/{int:matter_id}/attachments/{int:attachment_id}", url_name="matters_attachment", response={200: None},
            summary="An attachment's bytes; 404 outside the caller's sight")
def attachment(request: HttpRequest, matter_id: int, attachment_id: int) -> FileResponse:
    m = _visible(request, matter_id)
    return attachment_response(selectors.attachment_get(actor=request.user, id=attachment_id, matter=m))


# --- departments' assignments ------------------------------------------------------------------------


class AssignmentFilters(PageQuery):
    status: str = ""
    department: int | None = None
    overdue: bool | None = None
    matter: int | None = None


@router.get("/assignments", response=AssignmentPage, summary="Assignments the caller sees (his departments' and those on "
            "matters he sees)")
@shared_list
def assignment_list(request: HttpRequest, filters: Query[AssignmentFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.assignment_list(actor=request.user, filters=_as_page_filters(f), page=True),
                   out=assignment_out, permission=perms.VIEW)


@router.get("/assignments/{int:assignment_id}", response=AssignmentOut, summary="One assignment; 404 outside the caller's sight")
def assignment_detail(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    return assignment_out(_assignment(request, assignment_id))


def _fresh(request: HttpRequest, assignment_id: int) -> dict[str, Any]:
    return assignment_out(selectors.assignment_get(actor=request.user, id=assignment_id))


@router.post("/assignments/{int:assignment_id}/accept", response=AssignmentOut, summary="The department takes it up")
def assignment_accept(request: HttpRequest, assignment_id: int, payload: SeenIn) -> dict[str, Any]:
    services.assignment_accept(actor=request.user, assignment=_assignment(request, assignment_id, payload.status))
    return _fresh(request, assignment_id)


@router.post("/assignments/{int:assignment_id}/progress", response=AssignmentOut, summary="Report progress (a timeline entry)")
def assignment_progress(request: HttpRequest, assignment_id: int, payload: NoteIn) -> dict[str, Any]:
    services.assignment_progress(actor=request.user, assignment=_assignment(request, assignment_id, payload.status), note=payload.note)
    return _fresh(request, assignment_id)


@router.post("/assignments/{int:assignment_id}/result", response=AssignmentOut, summary="Report the result (done)")
def assignment_result(request: HttpRequest, assignment_id: int, payload: ResultIn) -> dict[str, Any]:
    services.assignment_result(actor=request.user, assignment=_assignment(request, assignment_id, payload.status), result=payload.result)
    return _fresh(request, assignment_id)


@router.post("/assignments/{int:assignment_id}/return", response=AssignmentOut, summary="Send a mis-assigned matter back (with a reason)")
def assignment_return(request: HttpRequest, assignment_id: int, payload: ReturnIn) -> dict[str, Any]:
    services.assignment_return(actor=request.user, assignment=_assignment(request, assignment_id, payload.status), reason=payload.reason)
    return _fresh(request, assignment_id)


@router.post("/assignments/{int:assignment_id}/follow-up", response={201: FollowUpOut}, summary="Follow up (督办) an active assignment "
             "(the owning level), optionally with a new deadline")
def assignment_follow_up(request: HttpRequest, assignment_id: int, payload: FollowUpIn) -> Status[dict[str, Any]]:
    fu = services.assignment_follow_up(actor=request.user, assignment=_assignment(request, assignment_id, payload.status),
                                       note=payload.note, new_deadline=payload.new_deadline)
    fu = FollowUp.objects.select_related("assignment__department", "by_region").get(pk=fu.pk)
    return Status(201, follow_up_out(fu))

