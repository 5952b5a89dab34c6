"""API of posts, brands, activities and shifts, sign-ups, check-in codes, hours and the leaderboard, under
/api/v1/volunteering/activities/. Same selectors and services as the pages; errors in the house shape (a full shift 409
``full``, a second sign-up 409 ``duplicate``, a bad code 400 with its code, records outside the scope 404)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gongjian.core.apikit import Page, PageQuery, ReasonIn, StatusQuery, listing, max_page_size
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list
from gongjian.core.params import require_page
from gongjian.core.permissions import can

from .. import permissions as perms
from ..common import FewRows, counted, me, page_end
from ..models import Activity, HourRecord, Shift, Signup
from . import codes, selectors, services

router = Router(tags=["volunteering"])


class ShiftOut(Schema):
    id: int
    activity_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    capacity: int
    taken: int
    free: int
    skills: str
    signup_cutoff: dt.datetime
    is_cancelled: bool


class ActivityOut(Schema):
    id: int
    community_id: int
    community_name: str
    unit_id: int | None
    brand_id: int | None
    title: str
    description: str
    place: str
    status: str
    people_served: int
    published_at: dt.datetime | None


class ActivityDetail(ActivityOut):
    shifts: list[ShiftOut]


class ActivityPage(Page):
    items: list[ActivityOut]


class ActivityIn(Schema):
    community_id: int
    title: str = ""
    description: str = ""
    place: str = ""
    unit_id: int | None = None
    brand_id: int | None = None


class ShiftIn(Schema):
    starts_at: str
    ends_at: str
    capacity: int
    place: str = ""
    skills: str = ""
    signup_cutoff: str | None = None


class SignupIn(Schema):
    wait: bool = True


class SignupOut(Schema):
    id: int
    shift_id: int
    status: str
    position: int | None
    signed_up_at: dt.datetime
    promoted_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None


class CodeIn(Schema):
    token: str
    shift_id: int | None = None


class HourOut(Schema):
    id: int
    member_id: int
    member_name: str
    community_id: int
    kind: str
    activity_id: int | None
    post_id: int | None
    date: dt.date
    hours: Decimal
    points: int
    status: str


class HourPage(Page):
    items: list[HourOut]


class DecideIn(ReasonIn):
    records: list[int]


class Decided(Schema):
    count: int


class BoardRow(Schema):
    member_id: int
    name: str
    hours: Decimal
    points: int
    rank: int


class ListFilters(StatusQuery):
    community: int | None = None


def shift_out(s: Shift) -> dict[str, Any]:
    return {"id": s.pk, "activity_id": s.activity_id, "starts_at": s.starts_at, "ends_at": s.ends_at, "place": s.place, "capacity": s.capacity,
            "taken": s.taken, "free": max(s.capacity - s.taken, 0), "skills": s.skills, "signup_cutoff": s.signup_cutoff,
            "is_cancelled": s.is_cancelled}


def activity_out(a: Activity) -> dict[str, Any]:
    return {"id": a.pk, "community_id": a.community_id, "community_name": a.community.name, "unit_id": a.unit_id, "brand_id": a.brand_id,
            "title": a.title, "description": a.description, "place": a.place, "status": a.status, "people_served": a.people_served,
            "published_at": a.published_at}


def signup_out(s: Signup) -> dict[str, Any]:
    return {"id": s.pk, "shift_id": s.shift_id, "status": s.status, "position": s.position, "signed_up_at": s.signed_up_at,
            "promoted_at": s.promoted_at, "checked_in_at": s.checked_in_at, "checked_out_at": s.checked_out_at}


def hour_out(r: HourRecord) -> dict[str, Any]:
    return {"id": r.pk, "member_id": r.member_id, "member_name": r.member.name, "community_id": r.community_id, "kind": r.kind,
            "activity_id": r.activity_id, "post_id": r.post_id, "date": r.date, "hours": r.hours, "points": r.points, "status": r.status}


@router.get("/", response=ActivityPage, summary="Activities: those the caller manages, or a member's community's open ones")
@shared_list
def activities(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    require_page(request, perms.ACTIVITY_VIEW)
    if can(request.user, perms.ACTIVITY_MANAGE):
        return listing(request, filters, lambda f: counted(selectors.activity_list(actor=request.user, filters=f)), out=activity_out)
    return listing(request, filters, lambda f: selectors.member_activities(actor=request.user, filters=f).select_related("community"),
                   out=activity_out)


@router.post("/", response={201: ActivityDetail}, summary="Create a draft activity")
def activity_create(request: HttpRequest, payload: ActivityIn) -> tuple[int, dict[str, Any]]:
    a = services.activity_create(actor=request.user, community=payload.community_id, title=payload.title, description=payload.description,
                                 place=payload.place, unit=payload.unit_id, brand=payload.brand_id)
    return 201, {**activity_out(a), "shifts": []}


@router.post("/{activity_id}/shifts", response={201: ShiftOut}, summary="Add a shift to an activity")
def shift_create(request: HttpRequest, activity_id: int, payload: ShiftIn) -> tuple[int, dict[str, Any]]:
    s = services.shift_create(actor=request.user, activity=activity_id, **payload.dict())
    return 201, shift_out(s)


@router.post("/{activity_id}/publish", response=ActivityOut, summary="Open the activity for sign-up")
def activity_publish(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    return activity_out(services.activity_publish(actor=request.user, activity=activity_id))


@router.post("/shifts/{shift_id}/signup", response={201: SignupOut}, summary="Sign up (or join the waiting list; wait=false: 409 full)")
def signup(request: HttpRequest, shift_id: int, payload: SignupIn) -> tuple[int, dict[str, Any]]:
    return 201, signup_out(services.signup_create(actor=request.user, shift=shift_id, wait=payload.wait))


@router.post("/signups/{signup_id}/cancel", response=SignupOut, summary="Cancel a sign-up before the cut-off")
def signup_cancel(request: HttpRequest, signup_id: int) -> dict[str, Any]:
    return signup_out(services.signup_cancel(actor=request.user, signup=signup_id))


@router.get("/signups/mine", response=list[SignupOut], summary="The caller's coming sign-ups")
@shared_list
def my_signups(request: HttpRequest) -> list[dict[str, Any]]:
    require_page(request, perms.SIGNUP)
    return [signup_out(s) for s in selectors.my_signups(actor=request.user)[:200]]


@router.post("/check", response=SignupOut, summary="Check in or out with the code scanned at the place")
def check(request: HttpRequest, payload: CodeIn) -> dict[str, Any]:
    return signup_out(services.check_by_code(actor=request.user, token=payload.token, shift=payload.shift_id))


@router.get("/shifts/{shift_id}/code", response=dict[str, Any], summary="A fresh check-in or check-out code for the staff screen")
def shift_code(request: HttpRequest, shift_id: int, kind: str = "in") -> dict[str, Any]:
    require_page(request, perms.ACTIVITY_MANAGE)
    s = selectors.shift_get(actor=request.user, id=shift_id)
    token = codes.make_token(s, kind if kind in ("in", "out") else "in")
    return {"token": token, "url": request.build_absolute_uri(f"/volunteering/activities/c/{token}/"), "max_age": codes.CODE_MAX_AGE}


@router.get("/hours", response=HourPage, summary="Hour records of the caller's area (pending by default)")
@shared_list
def hours(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    require_page(request, perms.HOURS_CONFIRM)
    return listing(request, filters, lambda f: counted(selectors.hour_list(actor=request.user, filters=f)), out=hour_out)


def _page_end(query: PageQuery) -> int:
    """Where the page a list's query asks for ends, its size bounded as ``apikit.paginate`` bounds it."""
    return page_end(query.page, min(max(query.size, 1), max_page_size()), sizes=())


@router.get("/hours/mine", response=HourPage, summary="The caller's own hour records, newest first (404 for an account without a member record)")
def my_hours(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    require_page(request, perms.HOURS_VIEW)
    rows = FewRows(selectors.my_hour_rows(actor=request.user), _page_end(query))
    if rows.count() == 0 and me(request.user) is None:
        raise NotFound()  # as the page: an administrator's area is not "mine" (asked only when no record of his is found)
    return listing(request, query, lambda f: rows, out=hour_out)


@router.post("/hours/confirm", response=Decided, summary="Confirm pending hours (points by the rule)")
def hours_confirm(request: HttpRequest, payload: DecideIn) -> dict[str, Any]:
    return {"count": services.hours_confirm(actor=request.user, records=payload.records)}


@router.post("/hours/reject", response=Decided, summary="Do not confirm pending hours (reason required)")
def hours_reject(request: HttpRequest, payload: DecideIn) -> dict[str, Any]:
    return {"count": services.hours_reject(actor=request.user, records=payload.records, reason=payload.reason)}


@router.get("/leaderboard", response=list[BoardRow], summary="Confirmed hours and points per member of a community in a year")
def leaderboard(request: HttpRequest, community: int, year: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    require_page(request, perms.HOURS_VIEW)
    return selectors.leaderboard(actor=request.user, community=community, year=year, limit=limit)


class PostOut(Schema):
    id: int
    community_id: int
    kind: str
    name: str
    description: str
    needed: int
    skills: str
    is_active: bool
    holders: int


class HoldingOut(Schema):
    id: int
    post_id: int
    member_id: int
    status: str
    note: str
    reason: str
    applied_at: dt.datetime
    decided_at: dt.datetime | None


class NoteIn(Schema):
    note: str = ""


class BrandOut(Schema):
    id: int
    community_id: int
    name: str
    description: str
    target_group: str
    schedule: str
    is_active: bool


class ReachRow(Schema):
    month: str
    people: int
    activities: int


class BrandDetail(BrandOut):
    reach: list[ReachRow]


class PostPage(Page):
    items: list[PostOut]


class BrandPage(Page):
    items: list[BrandOut]


def post_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "community_id": p.community_id, "kind": p.kind, "name": p.name, "description": p.description, "needed": p.needed,
            "skills": p.skills, "is_active": p.is_active, "holders": getattr(p, "holders", 0)}


def holding_out(h: Any) -> dict[str, Any]:
    return {"id": h.pk, "post_id": h.post_id, "member_id": h.member_id, "status": h.status, "note": h.note, "reason": h.reason,
            "applied_at": h.applied_at, "decided_at": h.decided_at}


def brand_out(b: Any) -> dict[str, Any]:
    return {"id": b.pk, "community_id": b.community_id, "name": b.name, "description": b.description, "target_group": b.target_group,
            "schedule": b.schedule, "is_active": b.is_active}


@router.get("/posts", response=PostPage, summary="Posts: the administrator's area, or the open posts of a member's community")
@shared_list
def posts(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    require_page(request, perms.POST_VIEW)
    rows = selectors.post_list if can(request.user, perms.POST_MANAGE) else selectors.open_posts
    return listing(request, query, lambda f: counted(rows(actor=request.user)), out=post_out)


@router.get("/posts/mine", response=list[HoldingOut], summary="The caller's applications and posts")
@shared_list
def my_posts(request: HttpRequest) -> list[dict[str, Any]]:
    require_page(request, perms.POST_APPLY)
    return [holding_out(h) for h in selectors.my_holdings(actor=request.user)[:200]]


@router.post("/posts/{post_id}/apply", response={201: HoldingOut}, summary="A member applies for a post of his community")
def post_apply(request: HttpRequest, post_id: int, payload: NoteIn) -> tuple[int, dict[str, Any]]:
    return 201, holding_out(services.holding_apply(actor=request.user, post=post_id, note=payload.note))


@router.post("/holdings/{holding_id}/approve", response=HoldingOut, summary="Approve an application (409 full when the post has its people)")
def holding_approve(request: HttpRequest, holding_id: int) -> dict[str, Any]:
    return holding_out(services.holding_approve(actor=request.user, holding=holding_id))


@router.post("/holdings/{holding_id}/reject", response=HoldingOut, summary="Reject an application (reason required)")
def holding_reject(request: HttpRequest, holding_id: int, payload: ReasonIn) -> dict[str, Any]:
    return holding_out(services.holding_reject(actor=request.user, holding=holding_id, reason=payload.reason))


@router.post("/holdings/{holding_id}/withdraw", response=HoldingOut, summary="The member withdraws his application")
def holding_withdraw(request: HttpRequest, holding_id: int) -> dict[str, Any]:
    return holding_out(services.holding_withdraw(actor=request.user, holding=holding_id))


@router.get("/brands", response=BrandPage, summary="Service brands in the caller's reach")
@shared_list(own_when=lambda request, actor: not can(actor, perms.BRAND_MANAGE))  # else his community's, as a member
def brands(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    require_page(request, perms.BRAND_VIEW)
    rows = selectors.brand_list(actor=request.user, activity_count=False)
    if can(request.user, perms.BRAND_MANAGE):
        return listing(request, query, lambda f: counted(rows), out=brand_out)
    # a member's community's few brands (a liaison's unit's): read with their number, not counted
    return listing(request, query, lambda f: FewRows(rows, _page_end(query)), out=brand_out)


@router.get("/brands/{brand_id}", response=BrandDetail, summary="A brand with the people served per month")
def brand(request: HttpRequest, brand_id: int) -> dict[str, Any]:
    require_page(request, perms.BRAND_VIEW)
    b = selectors.brand_get(actor=request.user, id=brand_id)
    return {**brand_out(b), "reach": selectors.brand_reach(b)}


@router.get("/{activity_id}", response=ActivityDetail, summary="One activity with its shifts; 404 outside the caller's reach")
def activity(request: HttpRequest, activity_id: int) -> dict[str, Any]:
    require_page(request, perms.ACTIVITY_VIEW)
    a = selectors.activity_get(actor=request.user, id=activity_id)
    return {**activity_out(a), "shifts": [shift_out(s) for s in selectors.shifts_of(a)]}
