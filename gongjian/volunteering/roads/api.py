"""Road chiefs (路长制): road segments, their chiefs, patrol logs from a phone, patrol reports the community solves or turns
into matters. Mounted under /api/v1/volunteering/roads/; the same selectors and services as the pages.

Records outside the caller's scope answer 404 (a member logging a patrol on a segment he is not chief of, too); a
second active chief assignment 409 (``duplicate``); forbidden status changes 409 (``invalid_transition``); bad fields
400 (``invalid``) with per-field details. Photos are sent as multipart ``photo`` and served by the scoped photo
endpoints, never from a public URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from gongjian.core.apikit import Actions, Page, PageQuery, ReasonIn, StatusQuery, TextQuery, listing
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.permissions import can

from .. import permissions as perms
from ..common import counted
from ..models import PatrolLog, PatrolReport, RoadChief, RoadSegment
from . import selectors, services
from .views import _photo_response

router = Router(tags=["volunteering"])


def _str(f: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in f.items() if k not in ("page", "size") and v not in (None, "")}


def _need(request: HttpRequest, action: str) -> None:
    if not can(request.user, action):
        raise NotFound()


# --- segments ------------------------------------------------------------------------------------


class ChiefOut(Schema):
    id: int
    segment_id: int
    member_id: int
    member_name: str
    since: dt.date
    until: dt.date | None
    is_active: bool


class SegmentOut(Schema):
    id: int
    community_id: int
    community_name: str
    name: str
    start_name: str
    end_name: str
    line: list[list[float]] | None
    length_m: int | None
    is_active: bool
    chiefs: list[ChiefOut]
    last_patrol_at: dt.datetime | None


class SegmentPage(Page):
    items: list[SegmentOut]


class SegmentIn(Schema):
    community_id: int | None = None
    name: str = ""
    start_name: str = ""
    end_name: str = ""
    line: Any = None
    length_m: int | None = None


class SegmentFilters(TextQuery):
    community: int | None = None
    active: str = "1"
    chief: str = ""


def chief_out(c: RoadChief) -> dict[str, Any]:
    return {"id": c.pk, "segment_id": c.segment_id, "member_id": c.member_id, "member_name": c.member.name, "since": c.since,
            "until": c.until, "is_active": c.is_active}


def segment_out(s: RoadSegment, chiefs: list[RoadChief] | None = None) -> dict[str, Any]:
    rows = chiefs if chiefs is not None else getattr(s, "active_chiefs", [])
    return {"id": s.pk, "community_id": s.community_id, "community_name": s.community.name, "name": s.name, "start_name": s.start_name,
            "end_name": s.end_name, "line": s.line, "length_m": s.length_m, "is_active": s.is_active,
            "chiefs": [chief_out(c) for c in rows], "last_patrol_at": getattr(s, "last_patrol_at", None)}


def _segment(request: HttpRequest, pk: int) -> dict[str, Any]:
    s = selectors.segment_list(actor=request.user, filters={"active": "all"}).filter(pk=pk).first()
    if s is None:
        raise NotFound()
    return segment_out(s, list(selectors.segment_chiefs(s)))


@router.get("/segments", response=SegmentPage, summary="Road segments in the caller's area (administrators)")
@shared_list
def segments(request: HttpRequest, filters: Query[SegmentFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.segment_list(actor=request.user, filters=_str(f))),
                   out=segment_out, permission=perms.ROAD_MANAGE)


@router.get("/segments/mine", response=list[SegmentOut], summary="The road chief's own active segments")
def my_segments(request: HttpRequest) -> list[dict[str, Any]]:
    _need(request, perms.PATROL)
    return [segment_out(s, []) for s in selectors.my_segments(actor=request.user)]


@router.get("/segments/{segment_id}", response=SegmentOut, summary="One segment with all its chief assignments; 404 outside the scope")
def segment(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    _need(request, perms.ROAD_MANAGE)
    return _segment(request, segment_id)


@router.post("/segments", response={201: SegmentOut}, summary="Create a road segment in a community (line: [[lat, lng], ...])")
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    s = services.segment_create(actor=request.user, community=payload.community_id, name=payload.name, start_name=payload.start_name,
                                end_name=payload.end_name, line=payload.line, length_m=payload.length_m)
    return Status(201, _segment(request, s.pk))


@router.put("/segments/{segment_id}", response=SegmentOut, summary="Edit a road segment")
def segment_update(request: HttpRequest, segment_id: int, payload: SegmentIn) -> dict[str, Any]:
    services.segment_update(actor=request.user, segment=segment_id, name=payload.name, start_name=payload.start_name,
                            end_name=payload.end_name, line=payload.line, length_m=payload.length_m)
    return _segment(request, segment_id)


@router.post("/segments/{segment_id}/deactivate", response=SegmentOut, summary="Deactivate a segment (its chief assignments end)")
def segment_deactivate(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    services.segment_set_active(actor=request.user, segment=segment_id, active=False)
    return _segment(request, segment_id)


@router.post("/segments/{segment_id}/activate", response=SegmentOut, summary="Activate a deactivated segment again")
def segment_activate(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    services.segment_set_active(actor=request.user, segment=segment_id, active=True)
    return _segment(request, segment_id)


# --- chiefs -----------------------------------------------------------------------------------------


class ChiefIn(Schema):
    segment_id: int
    member_id: int
    since: dt.date | None = None


class EndIn(Schema):
    until: dt.date | None = None


class ChiefPage(Page):
    items: list[ChiefOut]


class ChiefFilters(PageQuery):
    segment: int | None = None
    active: str = "1"


@router.get("/chiefs", response=ChiefPage, summary="Road chief assignments in scope (a member: his own), by road")
@shared_list
def chiefs(request: HttpRequest, filters: Query[ChiefFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.chief_list(actor=request.user, filters=_str(f))), out=chief_out,
                   permission=perms.ROAD_VIEW)


@router.post("/chiefs", response={201: ChiefOut}, summary="Assign a member with a confirmed report-in as road chief of a segment")
def chief_assign(request: HttpRequest, payload: ChiefIn) -> Status[dict[str, Any]]:
    c = services.chief_assign(actor=request.user, segment=payload.segment_id, member=payload.member_id, since=payload.since)
    return Status(201, chief_out(c))


@router.post("/chiefs/{chief_id}/end", response=ChiefOut, summary="End a road chief assignment")
def chief_end(request: HttpRequest, chief_id: int, payload: EndIn | None = None) -> dict[str, Any]:
    c = services.chief_end(actor=request.user, chief=chief_id, until=payload.until if payload else None)
    return chief_out(RoadChief.objects.select_related("member").get(pk=c.pk))


# --- patrols ------------------------------------------------------------------------------------------


class PatrolOut(Schema):
    id: int
    segment_id: int
    segment_name: str
    member_id: int
    member_name: str
    at: dt.datetime
    notes: str
    lat: float | None
    lng: float | None
    has_photo: bool


class PatrolPage(Page):
    items: list[PatrolOut]


class PatrolFilters(TextQuery):
    segment: int | None = None
    community: int | None = None
    member: int | None = None
    since: str = ""
    until: str = ""


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def patrol_out(p: PatrolLog) -> dict[str, Any]:
    return {"id": p.pk, "segment_id": p.segment_id, "segment_name": p.segment.name, "member_id": p.member_id, "member_name": p.member.name,
            "at": p.at, "notes": p.notes, "lat": _f(p.lat), "lng": _f(p.lng), "has_photo": bool(p.photo)}


@router.get("/patrols", response=PatrolPage, summary="Patrols in scope (a road chief: his own)")
@shared_list
def patrols(request: HttpRequest, filters: Query[PatrolFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.patrol_list(actor=request.user, filters=_str(f))), out=patrol_out,
                   permission=perms.ROAD_VIEW)


@router.post("/patrols", response={201: PatrolOut},
             summary="A road chief logs a patrol on one of his segments (multipart: segment_id, at, notes, lat, lng, photo)")
def patrol_create(request: HttpRequest, segment_id: Form[int], at: Form[str] = "", notes: Form[str] = "", lat: Form[str] = "",
                  lng: Form[str] = "", photo: File[UploadedFile] = None) -> Status[dict[str, Any]]:  # type: ignore[assignment]
    p = services.patrol_log(actor=request.user, segment=segment_id, at=at, notes=notes, lat=lat, lng=lng, photo=photo)
    return Status(201, patrol_out(selectors.patrol_get(actor=request.user, id=p.pk)))


@router.get("/patrols/{patrol_id}/photo", response={200: None}, summary="A patrol's photo (the image bytes); 404 outside the scope")
def patrol_photo(request: HttpRequest, patrol_id: int) -> FileResponse:
    return _photo_response(selectors.patrol_get(actor=request.user, id=patrol_id).photo)


# --- reports ------------------------------------------------------------------------------------------


class ReportOut(Schema):
    id: int
    segment_id: int
    segment_name: str
    member_id: int
    member_name: str
    title: str
    description: str
    category_id: int | None
    category_name: str
    lat: float | None
    lng: float | None
    has_photo: bool
    status: str
    status_label: str
    reported_at: dt.datetime
    handled_at: dt.datetime | None
    resolution: str
    matter_number: str
    matter_status: str
    matter_status_label: str


class ReportPage(Page):
    items: list[ReportOut]


class ReportFilters(StatusQuery):
    segment: int | None = None
    community: int | None = None
    category: int | None = None


class SolveIn(Schema):
    resolution: str = ""


def report_out(r: PatrolReport) -> dict[str, Any]:
    m = r.matter
    return {
        "id": r.pk, "segment_id": r.segment_id, "segment_name": r.segment.name, "member_id": r.member_id, "member_name": r.member.name,
        "title": r.title, "description": r.description, "category_id": r.category_id, "category_name": str(r.category) if r.category else "",
        "lat": _f(r.lat), "lng": _f(r.lng), "has_photo": bool(r.photo), "status": r.status, "status_label": str(r.get_status_display()),
        "reported_at": r.reported_at, "handled_at": r.handled_at, "resolution": r.resolution,
        "matter_number": m.number if m else "", "matter_status": m.status if m else "",
        "matter_status_label": str(m.get_status_display()) if m else "",
    }


@router.get("/reports", response=ReportPage, summary="Patrol reports in scope (a road chief: his own, with the matter's status)")
@shared_list
def reports(request: HttpRequest, filters: Query[ReportFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: counted(selectors.report_list(actor=request.user, filters=_str(f))), out=report_out,
                   permission=perms.ROAD_VIEW)


@router.get("/reports/{report_id}", response=ReportOut, summary="One patrol report; 404 outside the scope")
def report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return report_out(selectors.report_get(actor=request.user, id=report_id))


@router.post("/reports", response={201: ReportOut},
             summary="A road chief reports a problem on his segment (multipart: segment_id, title, description, category_id, lat, lng, photo)")
def report_create(request: HttpRequest, segment_id: Form[int], title: Form[str] = "", description: Form[str] = "",
                  category_id: Form[str] = "", lat: Form[str] = "", lng: Form[str] = "", patrol_id: Form[str] = "",
                  photo: File[UploadedFile] = None) -> Status[dict[str, Any]]:  # type: ignore[assignment]
    r = services.report_create(actor=request.user, segment=segment_id, title=title, description=description, category=category_id,
                               lat=lat, lng=lng, patrol=patrol_id, photo=photo)
    return Status(201, report_out(selectors.report_get(actor=request.user, id=r.pk)))


@router.get("/reports/{report_id}/photo", response={200: None}, summary="A report's photo (the image bytes); 404 outside the scope")
def report_photo(request: HttpRequest, report_id: int) -> FileResponse:
    return _photo_response(selectors.report_get(actor=request.user, id=report_id).photo)


report_action = Actions(router, "/reports/{report_id}", response=ReportOut, record="report", module=__name__,
                        load=lambda request, pk: selectors.report_get(actor=request.user, id=pk),
                        out=lambda request, r: report_out(selectors.report_get(actor=request.user, id=r.pk)))
report_action("handle", services.report_handle, "The community takes the report up itself")
report_action("solve", services.report_solve, "The community solved it (what was done, required)", SolveIn)
report_action("to-matter", services.report_to_matter, "Turn the report into a matter of the escalation workflow")
report_action("reject", services.report_reject, "Not a problem (reason required, told to the road chief)", ReasonIn)
