"""Project API under /api/v1/cobuild/projects: the same selectors and services as the pages.

Outside the caller's scope (or a role that cannot see projects at all): 404. A role that may see
the project but not take the action: 403. A status change the table forbids: 409
(``invalid_transition``). Field errors: 400 (``invalid``, ``details`` per field); a body or query
that does not match the schema: 422. One error shape everywhere: ``{code, message, details}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from gongjian.core.apikit import Actions, Page, PlaceQuery, act, listing
from gongjian.core.listcache import shared_list

from ..models import Project, ProjectMilestone, ProjectNote
from . import selectors as sel
from . import services
from .permissions import PROJECT_VIEW
from .views import photo_response

router = Router(tags=["cobuild projects"])


class ProjectOut(Schema):
    id: int
    title: str
    community_id: int
    community_name: str
    unit_id: int
    unit_name: str
    plan: str
    status: str
    status_label: str
    outcome: str
    rating: int | None
    rating_remark: str
    cancel_reason: str
    progress: int | None
    created_at: dt.datetime
    agreed_at: dt.datetime | None
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    rated_at: dt.datetime | None
    cancelled_at: dt.datetime | None


class ProjectNeedOut(Schema):
    id: int
    title: str
    status: str


class ProjectResourceOut(Schema):
    resource_id: int
    title: str
    unit_name: str
    amount: float
    capacity_unit: str


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: dt.date | None
    done_on: dt.date | None


class PhotoOut(Schema):
    id: int
    url: str
    content_type: str
    width: int
    height: int
    size: int


class NoteOut(Schema):
    id: int
    text: str
    progress: int | None
    author: str
    created_at: dt.datetime
    photos: list[PhotoOut]


class HistoryOut(Schema):
    at: dt.datetime
    action: str
    label: str
    actor: str
    detail: str


class ProjectDetailOut(ProjectOut):
    needs: list[ProjectNeedOut]
    resources: list[ProjectResourceOut]
    milestones: list[MilestoneOut]
    notes: list[NoteOut]
    history: list[HistoryOut]


class ProjectPage(Page):
    items: list[ProjectOut]


class ResourceLineIn(Schema):
    resource_id: int
    amount: str


class ProjectIn(Schema):
    title: str
    community_id: int
    unit_id: int
    need_ids: list[int]
    resources: list[ResourceLineIn] = []
    plan: str = ""


class OutcomeIn(Schema):
    outcome: str


class RatingIn(Schema):
    rating: int
    remark: str = ""


class ReasonIn(Schema):
    reason: str


class PlanIn(Schema):
    plan: str


class MilestoneIn(Schema):
    title: str
    due_on: dt.date | None = None


class MilestonePatch(Schema):
    title: str | None = None
    due_on: dt.date | None = None


class DoneIn(Schema):
    done_on: dt.date | None = None


ProjectFilters = PlaceQuery


def project_out(p: Project, progress: int | None = None) -> dict[str, Any]:
    return {
        "id": p.pk, "title": p.title, "community_id": p.community_id, "community_name": p.community.name, "unit_id": p.unit_id,
        "unit_name": p.unit.name, "plan": p.plan, "status": p.status, "status_label": str(p.get_status_display()),
        "outcome": p.outcome, "rating": p.rating, "rating_remark": p.rating_remark, "cancel_reason": p.cancel_reason,
        "progress": progress if progress is not None else getattr(p, "latest_progress", None),
        "created_at": p.created_at, "agreed_at": p.agreed_at, "started_at": p.started_at, "done_at": p.done_at,
        "rated_at": p.rated_at, "cancelled_at": p.cancelled_at,
    }


def milestone_out(m: ProjectMilestone) -> dict[str, Any]:
    return {"id": m.pk, "title": m.title, "due_on": m.due_on, "done_on": m.done_on}


def note_out(n: ProjectNote) -> dict[str, Any]:
    return {
        "id": n.pk, "text": n.text, "progress": n.progress, "author": str(n.author) if n.author else "", "created_at": n.created_at,
        "photos": [{"id": ph.pk, "url": reverse("api:cobuild_project_photo", args=[n.project_id, ph.pk]), "content_type": ph.content_type,
                    "width": ph.width, "height": ph.height, "size": ph.size} for ph in n.photos.all()],
    }


def detail_out(request: HttpRequest, project_id: Any) -> dict[str, Any]:
    d = sel.project_detail(actor=request.user, id=project_id)
    return {
        **project_out(d.project, d.latest_progress),
        "needs": [{"id": n.pk, "title": n.title, "status": n.status} for n in d.needs],
        "resources": [{"resource_id": r.resource_id, "title": r.resource.title, "unit_name": r.resource.unit.name, "amount": float(r.amount),
                       "capacity_unit": r.resource.capacity_unit} for r in d.resources],
        "milestones": [milestone_out(m) for m in d.milestones],
        "notes": [note_out(n) for n in d.notes],
        "history": [{"at": h.at, "action": h.verb, "label": str(h.label), "actor": h.actor, "detail": h.detail} for h in d.history],
    }


def _visible(request: HttpRequest, project_id: int) -> Project:
    """The project inside the caller's scope (404 otherwise); actions then check their own permission (403)."""
    return sel.project_get(actor=request.user, id=project_id)


@router.get("/projects", response=ProjectPage, summary="Projects in the caller's scope")
@shared_list
def projects(request: HttpRequest, filters: Query[ProjectFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: sel.project_list(actor=request.user, filters=f), out=project_out, permission=PROJECT_VIEW)


@router.get("/projects/{project_id}", response=ProjectDetailOut, summary="One project with needs, resources, plan, progress and history")
def project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    return detail_out(request, project_id)


@router.post("/projects", response={201: ProjectDetailOut}, summary="Propose a project (takes up needs, commits resource capacity)")
def project_create(request: HttpRequest, payload: ProjectIn) -> Status[dict[str, Any]]:
    p = services.project_create(
        actor=request.user, title=payload.title, community=payload.community_id, unit=payload.unit_id, needs=payload.need_ids,
        resources=[(line.resource_id, line.amount) for line in payload.resources], plan=payload.plan)
    return Status(201, detail_out(request, p.pk))


project_action = Actions(router, "/projects/{project_id}", response=ProjectDetailOut, record="project", module=__name__,
                         load=_visible, out=lambda request, p: detail_out(request, p.pk))
project_action("agree", services.project_agree, "The responsible unit agrees to the project")
project_action("start", services.project_start, "Start the work")
project_action("complete", services.project_complete, "Complete the project with its outcome", OutcomeIn)
project_action("rate", services.project_rate, "The community rates a completed project (1–5)", RatingIn)
project_action("cancel", services.project_cancel, "Cancel an unfinished project", ReasonIn)


@router.patch("/projects/{project_id}", response=ProjectDetailOut, summary="Rewrite the plan (proposed, agreed or in progress)")
def project_plan(request: HttpRequest, project_id: int, payload: PlanIn) -> dict[str, Any]:
    return act(lambda: _visible(request, project_id), lambda p: services.project_plan_update(actor=request.user, project=p, plan=payload.plan),
               lambda p: detail_out(request, p.pk))


# --- milestones --------------------------------------------------------------------------------


@router.get("/projects/{project_id}/milestones", response=list[MilestoneOut], summary="The project's milestones")
@shared_list
def milestones(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    return [milestone_out(m) for m in _visible(request, project_id).milestones.all()]


@router.post("/projects/{project_id}/milestones", response={201: MilestoneOut}, summary="Add a milestone")
def milestone_add(request: HttpRequest, project_id: int, payload: MilestoneIn) -> Status[dict[str, Any]]:
    m = services.milestone_add(actor=request.user, project=_visible(request, project_id), title=payload.title, due_on=payload.due_on)
    return Status(201, milestone_out(m))


@router.patch("/projects/{project_id}/milestones/{milestone_id}", response=MilestoneOut, summary="Change a milestone")
def milestone_update(request: HttpRequest, project_id: int, milestone_id: int, payload: MilestonePatch) -> dict[str, Any]:
    m = services.milestone_update(actor=request.user, project=_visible(request, project_id), milestone=milestone_id,
                                  **payload.dict(exclude_unset=True))
    return milestone_out(m)


@router.post("/projects/{project_id}/milestones/{milestone_id}/done", response=MilestoneOut, summary="Mark a milestone as done")
def milestone_done(request: HttpRequest, project_id: int, milestone_id: int, payload: DoneIn | None = None) -> dict[str, Any]:
    m = services.milestone_mark_done(actor=request.user, project=_visible(request, project_id), milestone=milestone_id,
                                     done_on=payload.done_on if payload else None)
    return milestone_out(m)


@router.post("/projects/{project_id}/milestones/{milestone_id}/reopen", response=MilestoneOut, summary="Open a milestone again")
def milestone_reopen(request: HttpRequest, project_id: int, milestone_id: int) -> dict[str, Any]:
    return milestone_out(services.milestone_reopen(actor=request.user, project=_visible(request, project_id), milestone=milestone_id))


@router.delete("/projects/{project_id}/milestones/{milestone_id}", response={204: None}, summary="Remove a milestone")
def milestone_remove(request: HttpRequest, project_id: int, milestone_id: int) -> Status[None]:
    services.milestone_remove(actor=request.user, project=_visible(request, project_id), milestone=milestone_id)
    return Status(204, None)


# --- progress notes and photos -------------------------------------------------------------------


@router.get("/projects/{project_id}/notes", response=list[NoteOut], summary="Progress notes, newest first")
@shared_list
def notes(request: HttpRequest, project_id: int) -> list[dict[str, Any]]:
    p = _visible(request, project_id)
    return [note_out(n) for n in p.notes.select_related("author").prefetch_related("photos")]


@router.post("/projects/{project_id}/notes", response={201: NoteOut},
             summary="Add a progress note (multipart: text, progress 0–100, up to 6 photos as `photos`)")
def note_add(request: HttpRequest, project_id: int, text: Form[str], progress: Form[str] = "",
             photos: File[list[UploadedFile]] = None) -> Status[dict[str, Any]]:  # type: ignore[assignment]
    p = _visible(request, project_id)
    n = services.note_add(actor=request.user, project=p, text=text, progress=progress, photos=photos or [])
    return Status(201, note_out(ProjectNote.objects.select_related("author").prefetch_related("photos").get(pk=n.pk)))


@router.get("/projects/{project_id}/photos/{photo_id}", url_name="cobuild_project_photo", response={200: None},
            summary="A progress photo (the image bytes); 404 outside the caller's scope")
def photo(request: HttpRequest, project_id: int, photo_id: int) -> FileResponse:
    p = _visible(request, project_id)
    return photo_response(services.photo_get(actor=request.user, project=p, photo_id=photo_id), inline=False)
