"""Reads of service posts, brands, activities, shifts, sign-ups, hours and the community leaderboard. Every read takes
``actor=`` and starts from the actor's scope; a record outside it is "not found". Members see their own records
(``Reach.SELF``) and the published activities and open posts of the community they reported in to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from gongjian.core.errors import DomainError, NotFound
from gongjian.core.filtering import apply_filters, by_choice, by_key, by_text, by_value
from gongjian.core.kernel import Actor, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, region_paths, scoped
from gongjian.orgs.models import Member, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from ..choices import ActivityStatus, HoldingStatus, HourStatus, SignupStatus
from ..common import FewRows, Me, acting_community, actor_member, by_yes_no, communities_of, in_paths, me, own_records, per_row
from ..models import Activity, HourRecord, PostHolding, ServiceBrand, ServicePost, Shift, Signup
from .services import SHIFT_MANAGE_SCOPE, SIGNUP_MANAGE_SCOPE


def _id(value: Any) -> int:
    return int_param(value) or 0


def my_community(actor: Actor) -> Region | None:
    """The community of the member's confirmed report-in (None without one): its key, name and path (``common.me``)."""
    found = me(actor)
    return found.community if found else None


def managed_communities(*, actor: Actor, action: str = perms.ACTIVITY_MANAGE) -> QuerySet[Region]:
    """Communities of the administrator's area (for pickers)."""
    return communities_of(actor, action)


def liaison_communities(unit_ids: set[int], limit: int = 500) -> list[Region]:
    """Where a unit liaison may publish for his unit: the communities its members reported in to and those inside the
    unit's own region."""

    cond = Q(member_report_ins__unit_id__in=list(unit_ids))
    for path in ResidentUnit.objects.filter(pk__in=list(unit_ids)).values_list("region_path", flat=True):
        cond |= Q(path__startswith=path)
    return list(Region.objects.filter(cond, is_active=True, level=Level.COMMUNITY).distinct().order_by("path")[:limit])


def community_get(*, actor: Actor, id: Any, action: str = perms.ACTIVITY_MANAGE) -> Region:
    try:
        return acting_community(actor, action, _id(id))
    except DomainError:
        raise NotFound() from None


# --- posts ---------------------------------------------------------------------------------------


POST_FILTERS = {"q": by_text("name", "skills", "community__name"), "kind": by_value("kind"), "community": by_key("community_id"),
                "open": by_yes_no("is_active")}
BRAND_FILTERS = {"q": by_text("name", "target_group", "community__name"), "community": by_key("community_id")}
ACTIVITY_FILTERS = {"q": by_text("title", "place", "community__name"), "status": by_choice(ActivityStatus),
                    "community": by_key("community_id"), "brand": by_key("brand_id")}
HOUR_FILTERS = {"status": by_choice(HourStatus), "kind": by_value("kind"), "community": by_key("community_id"),
                "q": by_text("member__name", "activity__title")}


def post_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[ServicePost]:
    """Posts in the administrator's area with their numbers of holders and open applications (counted for the rows
    read), by community (its path, stored on the post), kind and name. Filters: q, kind, community, open (1/0)."""
    qs = scoped(ServicePost.objects.all(), actor, perms.POST_MANAGE).select_related("community").annotate(
        holders=per_row(PostHolding, "post", status=HoldingStatus.APPROVED),
        applications=per_row(PostHolding, "post", status=HoldingStatus.APPLIED))
    return apply_filters(qs, filters, POST_FILTERS).order_by("region_path", "kind", "name", "id")


def post_get(*, actor: Actor, id: Any) -> ServicePost:
    return get_in_scope(ServicePost.objects.select_related("community"), actor, perms.POST_MANAGE, pk=_id(id))


def holding_list(*, actor: Actor, post: Any = None, status: str = "") -> QuerySet[PostHolding]:
    qs = scoped(PostHolding.objects.all(), actor, perms.POST_MANAGE).select_related("post", "member", "post__community")
    if post is not None:
        qs = qs.filter(post_id=_id(getattr(post, "pk", post)))
    if status in HoldingStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-applied_at", "-id")


def open_posts(*, actor: Actor) -> QuerySet[ServicePost]:
    """The open posts of the member's community, with how many people hold each."""
    community = my_community(actor)
    if community is None:
        return ServicePost.objects.none()
    return (ServicePost.objects.filter(community=community, is_active=True)
            .annotate(holders=Count("holdings", filter=Q(holdings__status=HoldingStatus.APPROVED))).order_by("kind", "name", "id"))


def my_holdings(*, actor: Actor) -> QuerySet[PostHolding]:
    return scoped(PostHolding.objects.all(), actor, perms.POST_APPLY).select_related("post", "post__community").order_by("-applied_at", "-id")


# --- brands --------------------------------------------------------------------------------------


def brand_list(*, actor: Actor, filters: dict[str, Any] | None = None, activity_count: bool = True) -> QuerySet[ServiceBrand]:
    """Brands in the administrator's area; a member's: the active brands of his community (none before it confirmed his
    report-in). ``activity_count``: with the number of each brand's activities (counted for the rows read)."""
    member = None if can(actor, perms.BRAND_MANAGE) else me(actor)
    if member is not None:
        qs = ServiceBrand.objects.filter(community_id=member.community.pk, is_active=True) if member.community else ServiceBrand.objects.none()
        order: tuple[str, ...] = ("name", "id")  # one community's
    else:
        qs = scoped(ServiceBrand.objects.all(), actor, perms.BRAND_VIEW)
        order = ("community__path", "name")
    qs = qs.select_related("community")
    if activity_count:
        qs = qs.annotate(activity_count=per_row(Activity, "brand"))
    return apply_filters(qs, filters, BRAND_FILTERS).order_by(*order)


def brand_get(*, actor: Actor, id: Any) -> ServiceBrand:
    return brand_list(actor=actor).filter(pk=_id(id)).first() or _not_found()


def _not_found() -> Any:
    raise NotFound()


def brand_reach(brand: ServiceBrand, months: int = 12) -> list[dict[str, Any]]:
    """People served per month by the brand's finished activities (the month of an activity's first shift), the last
    ``months`` months that have any, oldest first."""
    rows = (Activity.objects.filter(brand=brand, status=ActivityStatus.FINISHED).annotate(first=Min("shifts__starts_at"))
            .values_list("first", "people_served", "published_at"))
    per: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for first, served, published in rows:
        when = first or published
        if when is None:
            continue
        key = timezone.localtime(when).strftime("%Y-%m")
        per[key] += served
        count[key] += 1
    keys = sorted(per)[-months:]
    top = max([per[k] for k in keys], default=0) or 1
    return [{"month": k, "people": per[k], "activities": count[k], "share": round(per[k] * 100 / top)} for k in keys]


# --- activities and shifts -------------------------------------------------------------------------


def activity_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Activity]:
    """Activities the actor manages (administrators: their area; a unit liaison: his unit's) with their shifts, places
    and places taken (of the shifts not cancelled, totalled for the rows read). Filters: q, status, community, brand."""
    qs = scoped(Activity.objects.all(), actor, perms.ACTIVITY_MANAGE).select_related("community", "unit", "brand").annotate(
        shift_count=per_row(Shift, "activity", is_cancelled=False), places=per_row(Shift, "activity", Sum("capacity"), is_cancelled=False),
        taken=per_row(Shift, "activity", Sum("taken"), is_cancelled=False))
    return apply_filters(qs, filters, ACTIVITY_FILTERS).order_by("-created_at", "-id")


def activity_get(*, actor: Actor, id: Any) -> Activity:
    """An activity the actor manages, or one of his community's published ones (a member)."""
    qs = Activity.objects.select_related("community", "unit", "brand")
    if can(actor, perms.ACTIVITY_MANAGE):
        found = scoped(qs, actor, perms.ACTIVITY_MANAGE).filter(pk=_id(id)).first()
        if found is not None:
            return found
    community = my_community(actor)
    found = qs.filter(pk=_id(id), community=community, status__in=[ActivityStatus.PUBLISHED, ActivityStatus.FINISHED]).first() \
        if community else None
    if found is None:
        raise NotFound()
    return found


def shifts_of(activity: Activity) -> QuerySet[Shift]:
    return Shift.objects.filter(activity=activity).order_by("starts_at", "id")


def shift_get(*, actor: Actor, id: Any) -> Shift:
    """A shift the actor manages."""
    return get_in_scope(Shift.objects.select_related("activity", "activity__community"), actor, perms.ACTIVITY_MANAGE, SHIFT_MANAGE_SCOPE,
                        pk=_id(id))


def roster(shift: Shift) -> dict[str, list[Signup]]:
    """The shift's sign-ups: with a place (by arrival), waiting (by position), cancelled."""
    rows = list(Signup.objects.filter(shift=shift).select_related("member", "checked_by", "hour_record").order_by("signed_up_at", "id"))
    return {
        "confirmed": [r for r in rows if r.status == SignupStatus.CONFIRMED],
        "waiting": sorted((r for r in rows if r.status == SignupStatus.WAITING), key=lambda r: (r.position or 0, r.pk)),
        "cancelled": [r for r in rows if r.status == SignupStatus.CANCELLED],
    }


def member_activities(*, actor: Actor, filters: dict[str, Any] | None = None, community: Region | None = None) -> QuerySet[Activity]:
    """Published activities of the member's community (``community``, else his confirmed report-in's) that still have
    shifts ahead, with their places, places taken and next start (totals of the shifts ahead: the filter on them comes
    before the totals), and their brand."""
    community = community or my_community(actor)
    if community is None:
        return Activity.objects.none()
    f = filters or {}
    ahead = Q(shifts__is_cancelled=False, shifts__ends_at__gt=timezone.now())
    qs = (Activity.objects.filter(community_id=community.pk, status=ActivityStatus.PUBLISHED).filter(ahead).select_related("brand")
          .annotate(places=Sum("shifts__capacity"), taken=Sum("shifts__taken"), next_start=Min("shifts__starts_at")))
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"]), "title", "place"))
    return qs.order_by("next_start", "id")


def member_activity_cards(*, actor: Actor, filters: dict[str, Any] | None = None, community: Region | None = None,
                          upto: int = 0) -> tuple[FewRows, dt.datetime | None]:
    """``member_activities`` as the member's page draws them — title, place, brand's name — ready for a Paginator (the
    rows up to ``upto``, where the page asked for ends, read at once), and until when they stay so by the clock alone:
    until the first of their shifts ahead ends (then an activity's totals change, or it leaves the list). A list longer
    than the page is counted with that moment in one statement."""
    qs = (member_activities(actor=actor, filters=filters, community=community).only("id", "title", "place", "brand__name")
          .annotate(ends=Min("shifts__ends_at")))
    rows = FewRows(qs, upto)
    whole = rows.whole()
    if whole is not None:
        return rows, min((a.ends for a in whole if a.ends is not None), default=None)
    extent = qs.order_by().aggregate(n=Count("id"), until=Min("ends"))
    return rows.counted_as(extent["n"]), extent["until"]


def member_shifts(*, actor: Actor, activity: Activity) -> list[dict[str, Any]]:
    """The activity's shifts with the member's own sign-up on each."""
    member = actor_member(actor, required=False)
    shifts = list(shifts_of(activity))
    mine: dict[int, Signup] = {}
    if member is not None:
        for s in Signup.objects.filter(shift__in=shifts, member=member).exclude(status=SignupStatus.CANCELLED):
            mine[s.shift_id] = s
    now = timezone.now()
    return [{"shift": s, "mine": mine.get(s.pk), "free": max(s.capacity - s.taken, 0), "open": not s.is_cancelled and now < s.signup_cutoff
             and activity.status == ActivityStatus.PUBLISHED} for s in shifts]


def my_signups(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Signup]:
    f = filters or {}
    qs = scoped(Signup.objects.all(), actor, perms.SIGNUP).select_related("shift", "shift__activity", "hour_record")
    if f.get("when") == "past":
        qs = qs.filter(shift__ends_at__lte=timezone.now())
    elif f.get("when") != "all":
        qs = qs.filter(shift__ends_at__gt=timezone.now() - dt.timedelta(hours=2)).exclude(status=SignupStatus.CANCELLED)
    return qs.order_by("shift__starts_at", "id")


def signup_get(*, actor: Actor, id: Any) -> Signup:
    """A sign-up of the member's own, or of a shift the actor manages."""
    qs = Signup.objects.select_related("shift", "shift__activity", "member")
    found = scoped(qs, actor, perms.SIGNUP).filter(pk=_id(id)).first()
    if found is None and can(actor, perms.ACTIVITY_MANAGE):
        found = scoped(qs, actor, perms.ACTIVITY_MANAGE, SIGNUP_MANAGE_SCOPE).filter(pk=_id(id)).first()
    if found is None:
        raise NotFound()
    return found


# --- hours ---------------------------------------------------------------------------------------


def hour_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[HourRecord]:
    """Hour records of the administrator's area. Filters: status (default pending), kind, community, q (member), year."""
    qs = scoped(HourRecord.objects.all(), actor, perms.HOURS_CONFIRM).select_related("member", "community", "activity", "post")
    return apply_filters(qs, {"status": HourStatus.PENDING, **(filters or {})}, HOUR_FILTERS).order_by("-date", "-id")


def hours_pending_count(*, actor: Actor) -> int:
    return scoped(HourRecord.objects.filter(status=HourStatus.PENDING), actor, perms.HOURS_CONFIRM).count()


HOUR_COLUMNS = ("id", "member_id", "community_id", "kind", "activity_id", "post_id", "date", "hours", "points", "status", "note")


def my_hour_rows(*, actor: Actor) -> QuerySet[HourRecord]:
    """The hour records of the active member record linked to the account (the API's "mine"), newest first, with the
    member's name: no record when the account has none."""
    qs = scoped(HourRecord.objects.all(), actor, perms.HOURS_VIEW).filter(member__user_id=getattr(actor, "pk", None) or 0, member__is_active=True)
    return qs.select_related("member").only(*HOUR_COLUMNS, "member__name").order_by("-date", "-id")


def my_hours(*, actor: Actor, year: int | None = None, member: Me | None = None, upto: int = 0) -> dict[str, Any]:
    """The actor's own hour records — those of his member record (``member``, else ``me``), whatever else his roles let
    him see — newest first, ready for a Paginator, and his totals: confirmed hours and points, pending hours.

    ``upto``: where the page asked for ends. The records up to there are read first with what the list draws of
    their activity and post; when they are all of them — a member's few records, as a rule —, the totals are added
    up from them: one query. A longer list has its totals and number from one aggregate."""
    member = member or me(actor)
    if member is None:
        return {"records": [], "confirmed_hours": Decimal(0), "points": 0, "confirmed_count": 0, "pending_hours": Decimal(0)}
    qs = own_records(HourRecord.objects.all(), actor, perms.HOURS_VIEW, member).select_related("activity", "post").only(
        *HOUR_COLUMNS, "activity__title", "post__name")
    qs = (qs.filter(date__year=year) if year else qs).order_by("-date", "-id")
    rows = FewRows(qs, upto)
    totals: dict[str, dict[str, Any]] = defaultdict(lambda: {"h": Decimal(0), "p": 0, "n": 0})
    whole = rows.whole()
    if whole is not None:
        for r in whole:
            t = totals[r.status]
            t["h"], t["p"], t["n"] = t["h"] + r.hours, t["p"] + r.points, t["n"] + 1
    else:
        for row in qs.order_by().values("status").annotate(h=Sum("hours"), p=Sum("points"), n=Count("id")):
            totals[row["status"]] = {"h": row["h"] or Decimal(0), "p": row["p"] or 0, "n": row["n"]}
        rows.counted_as(sum(t["n"] for t in totals.values()))
    return {"records": rows, "confirmed_hours": totals[HourStatus.CONFIRMED]["h"], "points": totals[HourStatus.CONFIRMED]["p"],
            "confirmed_count": totals[HourStatus.CONFIRMED]["n"], "pending_hours": totals[HourStatus.PENDING]["h"]}


# --- leaderboard ---------------------------------------------------------------------------------


def leaderboard_community(*, actor: Actor, community: Any) -> Region:
    """The community whose leaderboard the actor may see: an administrator's area, or the member's own community."""
    region = Region.objects.filter(pk=_id(getattr(community, "pk", community)), level=Level.COMMUNITY).first()
    if region is None:
        raise NotFound()
    if can(actor, perms.HOURS_CONFIRM) and in_paths(region.path, region_paths(actor, perms.HOURS_CONFIRM)):
        return region
    mine = my_community(actor)
    if mine is not None and mine.pk == region.pk:
        return region
    raise NotFound()


def leaderboard(*, actor: Actor, community: Any, year: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Confirmed hours and points per member of the community in a year, best first (top ``limit``), ranked 1, 2, 2, 4.

    The aggregate reads the ``vol_hours_board`` index alone (community, status, date → member, hours, points); the
    members' names are fetched for the top rows only."""
    region = leaderboard_community(actor=actor, community=community)
    y = year or timezone.localdate().year
    limit = max(1, min(int(limit), 500))
    rows = list(
        HourRecord.objects.filter(community_id=region.pk, status=HourStatus.CONFIRMED, date__gte=dt.date(y, 1, 1), date__lt=dt.date(y + 1, 1, 1))
        .order_by().values("member_id").annotate(total_hours=Sum("hours"), total_points=Sum("points"))
        .order_by("-total_hours", "-total_points", "member_id")[:limit]
    )
    names = dict(Member.objects.filter(pk__in=[r["member_id"] for r in rows]).values_list("pk", "name"))
    out: list[dict[str, Any]] = []
    rank = 0
    previous: tuple[Any, Any] | None = None
    for i, r in enumerate(rows, start=1):
        key = (r["total_hours"], r["total_points"])
        if key != previous:
            rank, previous = i, key
        out.append({"member_id": r["member_id"], "name": names.get(r["member_id"], ""), "hours": r["total_hours"], "points": r["total_points"],
                    "rank": rank})
    return out
