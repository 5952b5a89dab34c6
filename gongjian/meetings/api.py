"""API of this app, mounted at /api/v1/meetings/. Same selectors and services as the pages.

Outside the caller's sight: 404. Visible but not the caller's to run: 403. A forbidden status change:
409 (``invalid_transition``). Field errors: 400 (``invalid``, ``details`` per field); a body or query
that does not match the schema: 422. One error shape: ``{code, message, details}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from gongjian.core.apikit import Page, PageQuery, ReasonIn, StatusQuery, TextQuery, act, listing
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.permissions import can

from . import selectors as sel
from . import services
from .models import AgendaItem, Attendee, Decision, DecisionTask, Experience, Meeting, Speaker
from .permissions import CALENDAR_VIEW, EXPERIENCE_VIEW, MEETING_VIEW, TASK_WORK

router = Router(tags=["meetings"])


class MeetingOut(Schema):
    id: int
    kind: str
    kind_label: str
    region_id: int
    region_name: str
    level: str
    year: int
    quarter: int
    title: str
    theme: str
    starts_at: dt.datetime
    place: str
    is_video: bool
    video_link: str
    chair: str
    status: str
    status_label: str
    minutes: str
    held_at: dt.datetime | None
    cancelled_reason: str
    can_manage: bool


class AttendeeOut(Schema):
    id: int
    kind: str
    department_id: int | None
    unit_id: int | None
    region_id: int | None
    name: str
    label: str
    present: bool


class AgendaOut(Schema):
    id: int
    title: str
    source: str
    sort_order: int
    discussion: str
    matter_id: int | None
    matter_number: str | None
    matter_status: str | None
    matter_url: str


class AssignmentOut(Schema):
    id: int
    department_id: int
    department_name: str
    role: str
    status: str
    deadline: dt.datetime
    is_overdue: bool
    result: str


class TaskOut(Schema):
    id: int
    decision_id: int
    meeting_id: int
    meeting_title: str
    decision_text: str
    department_id: int
    department_name: str
    deadline: dt.datetime
    status: str
    result: str
    done_at: dt.datetime | None
    is_overdue: bool


class DecisionOut(Schema):
    id: int
    text: str
    agenda_item_id: int | None
    matter_id: int | None
    status: str
    done_at: dt.datetime | None
    done: int
    total: int
    assignments: list[AssignmentOut]
    tasks: list[TaskOut]


class SpeakerOut(Schema):
    id: int
    region_id: int
    region_name: str
    name: str
    topic: str
    report: str
    attachment_url: str | None


class ExperienceOut(Schema):
    id: int
    title: str
    summary: str
    tags: list[str]
    published: bool
    region_id: int
    region_name: str
    meeting_id: int | None
    speaker_id: int | None
    created_at: dt.datetime


class MeetingDetailOut(MeetingOut):
    attendees: list[AttendeeOut]
    agenda: list[AgendaOut]
    decisions: list[DecisionOut]
    speakers: list[SpeakerOut]


class MeetingPage(Page):
    items: list[MeetingOut]


class MeetingFilters(StatusQuery):
    kind: str = ""
    level: str = ""
    year: int | None = None
    quarter: int | None = None
    region: int | None = None


class MeetingIn(Schema):
    kind: str = "coordination"
    region_id: int
    title: str
    starts_at: dt.datetime
    theme: str = ""
    place: str = ""
    is_video: bool = False
    video_link: str = ""
    chair: str = ""
    year: int | None = None
    quarter: int | None = None


class MeetingPatch(Schema):
    title: str | None = None
    starts_at: dt.datetime | None = None
    theme: str | None = None
    place: str | None = None
    is_video: bool | None = None
    video_link: str | None = None
    chair: str | None = None


class HoldIn(Schema):
    minutes: str
    held_at: dt.datetime | None = None


class AttendeeIn(Schema):
    kind: str
    department_id: int | None = None
    unit_id: int | None = None
    region_id: int | None = None
    name: str = ""
    present: bool = True


class PresentIn(Schema):
    present: bool


class AgendaIn(Schema):
    title: str = ""
    matter_id: int | None = None


class OrderIn(Schema):
    order: list[int]


class TaskLineIn(Schema):
    department_id: int
    deadline: dt.datetime | dt.date


class DecisionIn(Schema):
    text: str
    agenda_item_id: int | None = None
    lead_id: int | None = None
    assist_ids: list[int] = []
    deadline: dt.datetime | dt.date | None = None
    tasks: list[TaskLineIn] = []


class ResultIn(Schema):
    result: str


class FollowUpIn(Schema):
    note: str
    new_deadline: dt.datetime | dt.date | None = None


class ExperienceIn(Schema):
    title: str
    summary: str
    tags: str = ""
    published: bool = False
    speaker_id: int | None = None
    region_id: int | None = None


class ExperiencePatch(Schema):
    title: str | None = None
    summary: str | None = None
    tags: str | None = None
    published: bool | None = None


class TaskFilters(StatusQuery):
    overdue: bool = False


class ExperienceFilters(TextQuery):
    tag: str = ""
    region: int | None = None
    year: int | None = None


class CalendarRowOut(Schema):
    region_id: int
    region_name: str
    level: str
    status: str
    meeting_id: int | None


class CalendarLevelOut(Schema):
    level: str
    total: int
    held: int
    planned: int
    none: int


class CalendarOut(Schema):
    year: int
    quarter: int
    root_id: int | None
    level: str
    counts: dict[str, int]
    levels: list[CalendarLevelOut]
    rows: list[CalendarRowOut]


# --- shapes ----------------------------------------------------------------------------------


def meeting_out(request: HttpRequest, m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk, "kind": m.kind, "kind_label": str(m.get_kind_display()), "region_id": m.region_id, "region_name": m.region.name,
        "level": m.level, "year": m.year, "quarter": m.quarter, "title": m.title, "theme": m.theme, "starts_at": m.starts_at,
        "place": m.place, "is_video": m.is_video, "video_link": m.video_link, "chair": m.chair, "status": m.status,
        "status_label": str(m.get_status_display()), "minutes": m.minutes, "held_at": m.held_at, "cancelled_reason": m.cancelled_reason,
        "can_manage": sel.may_manage(request.user, m) and can(request.user, "meetings.meeting_manage"),
    }


def attendee_out(a: Attendee) -> dict[str, Any]:
    return {"id": a.pk, "kind": a.kind, "department_id": a.department_id, "unit_id": a.unit_id, "region_id": a.region_id, "name": a.name,
            "label": services.attendee_label(a), "present": a.present}


def agenda_out(it: AgendaItem) -> dict[str, Any]:
    mt = it.matter
    return {"id": it.pk, "title": it.title, "source": it.source, "sort_order": it.sort_order, "discussion": it.discussion,
            "matter_id": it.matter_id, "matter_number": mt.number if mt else None, "matter_status": mt.status if mt else None,
            "matter_url": sel.matter_url(it.matter_id) if it.matter_id else ""}


def task_out(t: DecisionTask) -> dict[str, Any]:
    return {"id": t.pk, "decision_id": t.decision_id, "meeting_id": t.decision.meeting_id, "meeting_title": t.decision.meeting.title,
            "decision_text": t.decision.text, "department_id": t.department_id, "department_name": str(t.department),
            "deadline": t.deadline, "status": t.status, "result": t.result, "done_at": t.done_at, "is_overdue": t.is_overdue}


def decision_out(d: Decision) -> dict[str, Any]:
    done, total = sel.decision_progress(d)
    return {"id": d.pk, "text": d.text, "agenda_item_id": d.agenda_item_id, "matter_id": d.matter_id, "status": d.status,
            "done_at": d.done_at, "done": done, "total": total,
            "assignments": [{"id": a.pk, "department_id": a.department_id, "department_name": str(a.department), "role": a.role,
                             "status": a.status, "deadline": a.deadline, "is_overdue": a.is_overdue, "result": a.result}
                            for a in d.assignments.all()],
            "tasks": [task_out(t) for t in d.tasks.all()]}


def speaker_out(s: Speaker) -> dict[str, Any]:
    url = reverse("api:meetings_speaker_attachment", args=[s.meeting_id, s.pk]) if s.attachment else None
    return {"id": s.pk, "region_id": s.region_id, "region_name": s.region.name, "name": s.name, "topic": s.topic, "report": s.report,
            "attachment_url": url}


def experience_out(e: Experience) -> dict[str, Any]:
    return {"id": e.pk, "title": e.title, "summary": e.summary, "tags": sel.split_tags(e.tags), "published": e.published,
            "region_id": e.region_id, "region_name": e.region.name, "meeting_id": e.meeting_id, "speaker_id": e.speaker_id,
            "created_at": e.created_at}


def detail_out(request: HttpRequest, meeting_id: Any) -> dict[str, Any]:
    d = sel.meeting_detail(actor=request.user, id=meeting_id)
    return {**meeting_out(request, d.meeting), "attendees": [attendee_out(a) for a in d.attendees],
            "agenda": [agenda_out(it) for it in d.agenda], "decisions": [decision_out(x) for x in d.decisions],
            "speakers": [speaker_out(s) for s in d.speakers]}


def _visible(request: HttpRequest, meeting_id: int) -> Meeting:
    return sel.meeting_get(actor=request.user, id=meeting_id)


# --- meetings --------------------------------------------------------------------------------


@router.get("/meetings", response=MeetingPage, summary="Meetings the caller may read (filters: q, kind, level, year, quarter, status, region)")
@shared_list
def meetings(request: HttpRequest, filters: Query[MeetingFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: sel.meeting_list(actor=request.user, filters=f), out=lambda m: meeting_out(request, m),
                   permission=MEETING_VIEW)


@router.get("/meetings/{meeting_id}", response=MeetingDetailOut, summary="One meeting with attendees, agenda, decisions and speakers")
def meeting(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    return detail_out(request, meeting_id)


@router.post("/meetings", response={201: MeetingDetailOut}, summary="Plan a meeting of the caller's own region (agenda proposed)")
def meeting_create(request: HttpRequest, payload: MeetingIn) -> Status[dict[str, Any]]:
    m = services.meeting_plan(actor=request.user, kind=payload.kind, region=payload.region_id, title=payload.title,
                              starts_at=payload.starts_at, theme=payload.theme, place=payload.place, is_video=payload.is_video,
                              video_link=payload.video_link, chair=payload.chair, year=payload.year, quarter=payload.quarter)
    return Status(201, detail_out(request, m.pk))


@router.patch("/meetings/{meeting_id}", response=MeetingDetailOut, summary="Change a planned meeting's facts")
def meeting_update(request: HttpRequest, meeting_id: int, payload: MeetingPatch) -> dict[str, Any]:
    return act(lambda: _visible(request, meeting_id),
               lambda m: services.meeting_update(actor=request.user, meeting=m, **payload.dict(exclude_unset=True)),
               lambda m: detail_out(request, m.pk))


@router.post("/meetings/{meeting_id}/hold", response=MeetingDetailOut, summary="Record the meeting as held, with its minutes")
def meeting_hold(request: HttpRequest, meeting_id: int, payload: HoldIn) -> dict[str, Any]:
    return act(lambda: _visible(request, meeting_id),
               lambda m: services.meeting_hold(actor=request.user, meeting=m, minutes=payload.minutes, held_at=payload.held_at),
               lambda m: detail_out(request, m.pk))


@router.post("/meetings/{meeting_id}/cancel", response=MeetingDetailOut, summary="Cancel a planned meeting with a reason")
def meeting_cancel(request: HttpRequest, meeting_id: int, payload: ReasonIn) -> dict[str, Any]:
    return act(lambda: _visible(request, meeting_id), lambda m: services.meeting_cancel(actor=request.user, meeting=m, reason=payload.reason),
               lambda m: detail_out(request, m.pk))


# --- attendees -------------------------------------------------------------------------------


@router.get("/meetings/{meeting_id}/attendees", response=list[AttendeeOut], summary="Attendees")
@shared_list
def attendees(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    m = _visible(request, meeting_id)
    return [attendee_out(a) for a in m.attendees.select_related("department", "department__region", "unit", "region")]


@router.post("/meetings/{meeting_id}/attendees", response={201: AttendeeOut}, summary="Add a department, unit, secretary or person")
def attendee_add(request: HttpRequest, meeting_id: int, payload: AttendeeIn) -> Status[dict[str, Any]]:
    a = services.attendee_add(actor=request.user, meeting=_visible(request, meeting_id), kind=payload.kind, department=payload.department_id,
                              unit=payload.unit_id, region=payload.region_id, name=payload.name, present=payload.present)
    return Status(201, attendee_out(a))


@router.patch("/meetings/{meeting_id}/attendees/{attendee_id}", response=AttendeeOut, summary="Mark present or absent")
def attendee_present(request: HttpRequest, meeting_id: int, attendee_id: int, payload: PresentIn) -> dict[str, Any]:
    a = services.attendee_set_present(actor=request.user, meeting=_visible(request, meeting_id), attendee=attendee_id, present=payload.present)
    return attendee_out(a)


@router.delete("/meetings/{meeting_id}/attendees/{attendee_id}", response={204: None}, summary="Remove an attendee (planned meeting)")
def attendee_remove(request: HttpRequest, meeting_id: int, attendee_id: int) -> Status[None]:
    services.attendee_remove(actor=request.user, meeting=_visible(request, meeting_id), attendee=attendee_id)
    return Status(204, None)


# --- agenda ----------------------------------------------------------------------------------


def _agenda(m: Meeting) -> list[dict[str, Any]]:
    return [agenda_out(it) for it in m.agenda.select_related("matter").order_by("sort_order", "id")]


@router.get("/meetings/{meeting_id}/agenda", response=list[AgendaOut], summary="The agenda in order")
@shared_list
def agenda(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    return _agenda(_visible(request, meeting_id))


@router.post("/meetings/{meeting_id}/agenda", response={201: AgendaOut}, summary="Add a topic or a matter this level owns")
def agenda_add(request: HttpRequest, meeting_id: int, payload: AgendaIn) -> Status[dict[str, Any]]:
    it = services.agenda_add(actor=request.user, meeting=_visible(request, meeting_id), title=payload.title, matter=payload.matter_id)
    return Status(201, agenda_out(AgendaItem.objects.select_related("matter").get(pk=it.pk)))


@router.post("/meetings/{meeting_id}/agenda/refresh", response=list[AgendaOut], summary="Propose the escalated matters waiting now")
def agenda_refresh(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    m = _visible(request, meeting_id)
    services.agenda_refresh(actor=request.user, meeting=m)
    return _agenda(m)


@router.put("/meetings/{meeting_id}/agenda/order", response=list[AgendaOut], summary="Reorder the agenda (every item id once)")
def agenda_order(request: HttpRequest, meeting_id: int, payload: OrderIn) -> list[dict[str, Any]]:
    m = _visible(request, meeting_id)
    services.agenda_reorder(actor=request.user, meeting=m, order=payload.order)
    return _agenda(m)


@router.delete("/meetings/{meeting_id}/agenda/{item_id}", response={204: None}, summary="Remove an agenda item (planned meeting)")
def agenda_remove(request: HttpRequest, meeting_id: int, item_id: int) -> Status[None]:
    services.agenda_remove(actor=request.user, meeting=_visible(request, meeting_id), item=item_id)
    return Status(204, None)


# --- decisions and tasks ---------------------------------------------------------------------


@router.get("/meetings/{meeting_id}/decisions", response=list[DecisionOut], summary="Decisions with their assignments or tasks")
@shared_list
def decisions(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    return [decision_out(x) for x in sel.meeting_detail(actor=request.user, id=meeting_id).decisions]


@router.post("/meetings/{meeting_id}/decisions", response={201: DecisionOut},
             summary="Record a decision: on a matter item lead/assist/deadline (assigns the matter), otherwise tasks")
def decision_add(request: HttpRequest, meeting_id: int, payload: DecisionIn) -> Status[dict[str, Any]]:
    d = services.decision_record(actor=request.user, meeting=_visible(request, meeting_id), text=payload.text,
                                 agenda_item=payload.agenda_item_id, lead=payload.lead_id, assist=payload.assist_ids,
                                 deadline=payload.deadline, tasks=[(t.department_id, t.deadline) for t in payload.tasks])
    fresh = next(x for x in sel.meeting_detail(actor=request.user, id=meeting_id).decisions if x.pk == d.pk)
    return Status(201, decision_out(fresh))


def _items(request: HttpRequest, permission: str, query: PageQuery, rows: Callable[[dict[str, Any]], Any], out: Callable[[Any], Any],
           **kw: Any) -> list[Any]:
    """A bare list endpoint (a JSON array of one page): "not found" for a role that may not open it."""
    return list(listing(request, query, rows, out=out, permission=permission, **kw)["items"])


@router.get("/tasks", response=list[TaskOut], summary="The caller's department's decision tasks")
@shared_list
def tasks(request: HttpRequest, filters: Query[TaskFilters]) -> list[dict[str, Any]]:
    return _items(request, TASK_WORK, filters, lambda f: sel.task_list(actor=request.user, filters={**f, "overdue": "1" if f["overdue"] else ""}),
                  task_out, keep_blank=True)


@router.get("/tasks/{task_id}", response=TaskOut, summary="One decision task")
def task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    return task_out(sel.task_get(actor=request.user, id=task_id))


@router.post("/tasks/{task_id}/complete", response=TaskOut, summary="The department reports its result")
def task_complete(request: HttpRequest, task_id: int, payload: ResultIn) -> dict[str, Any]:
    return task_out(services.task_complete(actor=request.user, task=task_id, result=payload.result))


@router.post("/tasks/{task_id}/follow-up", response=TaskOut, summary="Follow up a department's task (the meeting's administrators)")
def task_follow_up(request: HttpRequest, task_id: int, payload: FollowUpIn) -> dict[str, Any]:
    sel.task_get(actor=request.user, id=task_id)
    t = services.task_follow_up(actor=request.user, task=task_id, note=payload.note, new_deadline=payload.new_deadline)
    return task_out(DecisionTask.objects.select_related("decision__meeting", "department").get(pk=t.pk))


# --- calendar --------------------------------------------------------------------------------


@router.get("/calendar", response=CalendarOut, summary="Who held, planned or has not yet held this quarter's coordination meeting")
def calendar(request: HttpRequest, year: int | None = None, quarter: int | None = None, root: int | None = None,
             level: str = "") -> dict[str, Any]:
    if not can(request.user, CALENDAR_VIEW):
        raise NotFound()
    y, q = sel.current_quarter()
    year = year if year and 2000 <= year <= 2100 else y
    quarter = quarter if quarter and 1 <= quarter <= 4 else q
    cal = sel.calendar(actor=request.user, year=year, quarter=quarter, root=root, level=level)
    return {"year": cal.year, "quarter": cal.quarter, "root_id": cal.root.pk if cal.root else None, "level": cal.level, "counts": cal.counts,
            "levels": [{k: b[k] for k in ("level", "total", "held", "planned", "none")} for b in cal.by_level],
            "rows": [{"region_id": r.region.pk, "region_name": r.region.name, "level": r.region.level, "status": r.status,
                      "meeting_id": r.meeting.pk if r.meeting else None} for r in cal.rows]}


# --- exchanges: speakers and experiences -----------------------------------------------------


@router.get("/meetings/{meeting_id}/speakers", response=list[SpeakerOut], summary="Speakers of a secretaries' exchange")
@shared_list
def speakers(request: HttpRequest, meeting_id: int) -> list[dict[str, Any]]:
    return [speaker_out(s) for s in _visible(request, meeting_id).speakers.select_related("region")]


@router.post("/meetings/{meeting_id}/speakers", response={201: SpeakerOut},
             summary="Add a speaker (multipart: region_id, name, topic, report, attachment = PDF or photo ≤ 10 MB)")
def speaker_add(request: HttpRequest, meeting_id: int, region_id: Form[str], name: Form[str], topic: Form[str], report: Form[str] = "",
                attachment: File[UploadedFile] = None) -> Status[dict[str, Any]]:  # type: ignore[assignment]
    s = services.speaker_add(actor=request.user, meeting=_visible(request, meeting_id), region=region_id, name=name, topic=topic,
                             report=report, attachment=attachment)
    return Status(201, speaker_out(Speaker.objects.select_related("region").get(pk=s.pk)))


@router.delete("/meetings/{meeting_id}/speakers/{speaker_id}", response={204: None}, summary="Remove a speaker")
def speaker_remove(request: HttpRequest, meeting_id: int, speaker_id: int) -> Status[None]:
    services.speaker_remove(actor=request.user, meeting=_visible(request, meeting_id), speaker=speaker_id)
    return Status(204, None)


@router.get("/meetings/{meeting_id}/speakers/{speaker_id}/attachment", url_name="meetings_speaker_attachment", response={200: None},
            summary="A speaker's report attachment (bytes); 404 outside the caller's sight")
def speaker_attachment(request: HttpRequest, meeting_id: int, speaker_id: int) -> FileResponse:
    s, handle = sel.speaker_file(meeting=_visible(request, meeting_id), id=speaker_id)
    resp = FileResponse(handle, content_type=services.attachment_content_type(s))
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp["Cache-Control"] = "private, max-age=3600"
    return resp


@router.post("/meetings/{meeting_id}/experiences", response={201: ExperienceOut}, summary="Record an experience from an exchange")
def experience_add(request: HttpRequest, meeting_id: int, payload: ExperienceIn) -> Status[dict[str, Any]]:
    e = services.experience_record(actor=request.user, meeting=_visible(request, meeting_id), speaker=payload.speaker_id,
                                   region=payload.region_id, title=payload.title, summary=payload.summary, tags=payload.tags,
                                   published=payload.published)
    return Status(201, experience_out(e))


@router.get("/experiences", response=list[ExperienceOut], summary="The experiences library (published; all for city administrators)")
@shared_list
def experiences(request: HttpRequest, filters: Query[ExperienceFilters]) -> list[dict[str, Any]]:
    return _items(request, EXPERIENCE_VIEW, filters, lambda f: sel.experience_list(actor=request.user, filters=f), experience_out)


@router.get("/experiences/{experience_id}", response=ExperienceOut, summary="One experience")
def experience(request: HttpRequest, experience_id: int) -> dict[str, Any]:
    return experience_out(sel.experience_get(actor=request.user, id=experience_id))


@router.patch("/experiences/{experience_id}", response=ExperienceOut, summary="Edit or publish an experience (city administrators)")
def experience_update(request: HttpRequest, experience_id: int, payload: ExperiencePatch) -> dict[str, Any]:
    e = sel.experience_get(actor=request.user, id=experience_id)
    return experience_out(services.experience_update(actor=request.user, experience=e, **payload.dict(exclude_unset=True)))
