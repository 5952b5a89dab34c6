"""Reads of members' report-ins, receipts and pledges, the unit's view of its members, communities to report in to and the
member's public card. Every read takes ``actor=`` and starts from the actor's scope; one record outside it is NotFound.

Where a community is (decision): regions carry no coordinates, so a community's location is the mean of the
coordinates of the resident units registered in it (or in its grids). Communities without such units have no location:
they are found by searching their name only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, QuerySet, Sum, Value, When
from django.utils import timezone

from gongjian.core.errors import NotFound
from gongjian.core.filtering import apply_filters, by_choice, by_key, by_text, by_value
from gongjian.core.kernel import Actor, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import actor_scopes, get_in_scope, region_paths, scoped
from gongjian.orgs.models import Member, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from ..choices import REPORT_IN_ACTIVE, HoldingStatus, HourStatus, PledgeStatus, ReportInStatus
from ..common import active_report_in, actor_member, communities_of, in_paths, own_records, own_row
from ..models import FeedbackReceipt, HourRecord, MemberReportIn, Pledge, PostHolding
from .services import city_path

PICKER_LIMIT = 20
NEAR_DEGREES = 0.15  # about 15 km around the member: where communities are looked for by location


def this_year() -> int:
    return timezone.localdate().year


# --- report-ins ---------------------------------------------------------------------------------


REPORT_IN_FILTERS = {"q": by_text("member__name"), "status": by_choice(ReportInStatus, groups={"active": REPORT_IN_ACTIVE}),
                     "community": by_key("community_id"), "unit": by_key("unit_id")}


def _year(qs: QuerySet[Any], value: str) -> QuerySet[Any]:
    year = int_param(value)
    return qs.filter(year=year) if year else qs


RECEIPT_FILTERS = {"q": by_text("member__name"), "period": lambda qs, value: qs.filter(period=value.upper()[:8]),
                   "community": by_key("community_id"), "unit": by_key("unit_id")}
PLEDGE_FILTERS = {"q": by_text("member__name", "content"), "year": _year, "status": by_value("status"), "community": by_key("community_id")}


def _report_in_filters(qs: QuerySet[MemberReportIn], f: dict[str, Any]) -> QuerySet[MemberReportIn]:
    return apply_filters(qs, f, REPORT_IN_FILTERS)


def report_in_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.REPORT_IN_VIEW) -> QuerySet[MemberReportIn]:
    """Report-ins in the actor's scope. Filters: q (member's name), status (or "active"), community, unit."""
    qs = scoped(MemberReportIn.objects.all(), actor, action).select_related("member", "community", "unit")
    return _report_in_filters(qs, filters or {}).order_by("-reported_at", "-id")


def report_in_get(*, actor: Actor, id: Any, action: str = perms.REPORT_IN_VIEW) -> MemberReportIn:
    qs = MemberReportIn.objects.select_related("member", "community", "unit", "confirmed_by")
    return get_in_scope(qs, actor, action, pk=int_param(id) or 0)


def report_in_pending(*, actor: Actor) -> QuerySet[MemberReportIn]:
    """Report-ins waiting for the actor's confirmation (oldest first)."""
    return report_in_list(actor=actor, filters={"status": ReportInStatus.PENDING}, action=perms.REPORT_IN_CONFIRM).order_by("reported_at", "id")


def my_units(*, actor: Actor) -> list[ResidentUnit]:
    """The units of the actor's liaison scopes."""
    ids = sorted({s.unit_id for s in actor_scopes(actor) if s.kind == "unit" and s.unit_id})
    return list(ResidentUnit.objects.filter(pk__in=ids).order_by("name")) if ids else []


def unit_get(*, actor: Actor, id: Any) -> ResidentUnit:
    return get_in_scope(ResidentUnit.objects.all(), actor, perms.REPORT_IN_VIEW, ResidentUnit.scope_fields, pk=int_param(id) or 0)


def unit_report_ins(*, actor: Actor, unit: Any = None, filters: dict[str, Any] | None = None) -> QuerySet[MemberReportIn]:
    """Report-ins of the unit(s) in the actor's scope (shared contract). ``unit``: one unit (an instance or id).
    Filters: q (member's name), status (or "active"), community. Index-friendly: (unit, status), then the page's rows."""
    qs = scoped(MemberReportIn.objects.all(), actor, perms.REPORT_IN_VIEW).filter(unit__isnull=False)
    if unit is not None:
        qs = qs.filter(unit_id=unit.pk if isinstance(unit, ResidentUnit) else (int_param(unit) or 0))
    return _report_in_filters(qs, filters or {}).select_related("member", "community", "unit").order_by("-reported_at", "-id")


def unit_members_missing(*, unit: ResidentUnit, q: str = "") -> QuerySet[Member]:
    """The unit's active in-service members without an active report-in (the caller has the unit in scope)."""
    active = MemberReportIn.objects.filter(member_id=OuterRef("pk"), status__in=list(REPORT_IN_ACTIVE))
    qs = Member.objects.filter(employer_unit=unit, is_active=True, in_service=True).filter(~Exists(active))
    if q:
        qs = qs.filter(text_q(q, "name"))
    return qs.select_related("org").only("id", "name", "gender", "org__name", "phone_enc", "home_community_id").order_by("name", "id")


def unit_counts(*, unit: ResidentUnit) -> dict[str, int]:
    """In-service members of the unit, and how many have an active report-in (pending or confirmed)."""
    total = Member.objects.filter(employer_unit=unit, is_active=True, in_service=True).count()
    by_status = dict(MemberReportIn.objects.filter(unit=unit, status__in=list(REPORT_IN_ACTIVE)).values("status")
                     .annotate(n=Count("id")).values_list("status", "n"))
    return {"members": total, "confirmed": by_status.get(ReportInStatus.CONFIRMED, 0), "pending": by_status.get(ReportInStatus.PENDING, 0)}


# --- communities to report in to ----------------------------------------------------------------


def city_communities(member: Member) -> QuerySet[Region]:
    path = city_path(member)
    return Region.objects.filter(is_active=True, level=Level.COMMUNITY, path__startswith=path or "\x00")


def community_search(*, member: Member, q: str = "") -> QuerySet[Region]:
    """The city's communities whose name (or full name, with district and subdistrict) matches; names that match first."""
    qs = city_communities(member)
    if not q:
        return qs.select_related("parent").order_by("name", "id")
    qs = qs.filter(text_q(q, "name", "full_name")).annotate(
        by_name=Case(When(text_q(q, "name"), then=Value(0)), default=Value(1), output_field=IntegerField()))
    return qs.select_related("parent").order_by("by_name", "name", "id")


def _distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def communities_near(*, member: Member, lat: float, lng: float, limit: int = 8) -> list[dict[str, Any]]:
    """The member's city's communities nearest to (lat, lng), located by their units' coordinates; [] when none is known."""
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return []
    path = city_path(member)
    units = (ResidentUnit.objects.filter(is_active=True, region_path__startswith=path or "\x00", lat__isnull=False, lng__isnull=False,
                                         lat__range=(lat - NEAR_DEGREES, lat + NEAR_DEGREES), lng__range=(lng - NEAR_DEGREES, lng + NEAR_DEGREES))
             .values_list("region_path", "lat", "lng")[:5000])
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for region_path, ulat, ulng in units:
        codes = [c for c in region_path.strip("/").split("/") if c]
        if len(codes) < 4:
            continue
        s = sums["/" + "/".join(codes[:4]) + "/"]
        s[0] += float(ulat or 0)
        s[1] += float(ulng or 0)
        s[2] += 1
    if not sums:
        return []
    communities = {c.path: c for c in city_communities(member).filter(path__in=list(sums)).select_related("parent")}
    rows: list[dict[str, Any]] = []
    for p, (slat, slng, n) in sums.items():
        c = communities.get(p)
        if c is not None:
            rows.append({"community": c, "km": round(_distance_km(lat, lng, slat / n, slng / n), 1)})
    rows.sort(key=lambda r: (r["km"], r["community"].name))
    return rows[:limit]


# --- receipts -----------------------------------------------------------------------------------


def receipt_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[FeedbackReceipt]:
    """Receipts in the actor's scope (community staff, the unit's liaison, the member his own). Filters: q, period, community, unit."""
    qs = scoped(FeedbackReceipt.objects.all(), actor, perms.RECEIPT_VIEW).select_related("member", "community", "unit")
    return apply_filters(qs, filters, RECEIPT_FILTERS).order_by("-period", "member__name", "id")


def receipt_get(*, actor: Actor, id: Any) -> FeedbackReceipt:
    qs = FeedbackReceipt.objects.select_related("member", "community", "community__parent", "unit", "issued_by")
    return get_in_scope(qs, actor, perms.RECEIPT_VIEW, pk=int_param(id) or 0)


# --- pledges ------------------------------------------------------------------------------------


def pledge_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Pledge]:
    """Pledges in the actor's scope. Filters: q (member's name), year, status, community."""
    qs = scoped(Pledge.objects.all(), actor, perms.PLEDGE_VIEW).select_related("member", "community")
    return apply_filters(qs, filters, PLEDGE_FILTERS).order_by("-year", "-id")


def pledge_get(*, actor: Actor, id: Any, action: str = perms.PLEDGE_VIEW) -> Pledge:
    return get_in_scope(Pledge.objects.select_related("member", "community"), actor, action, pk=int_param(id) or 0)


def my_pledge(member: Member, year: int | None = None) -> Pledge | None:
    return Pledge.objects.filter(member=member, year=year or this_year()).first()


# --- public cards -------------------------------------------------------------------------------


def _card_community(actor: Actor, member_id: int) -> MemberReportIn:
    """The member's confirmed report-in when the actor may see his card: staff of its community, or a member confirmed in
    the same community. Anything else: NotFound."""
    ri = (MemberReportIn.objects.filter(member_id=member_id, status=ReportInStatus.CONFIRMED, member__is_active=True)
          .select_related("member", "community").first())
    if ri is None:
        raise NotFound()
    if can(actor, perms.PLEDGE_VIEW) and in_paths(ri.community.path, region_paths(actor, perms.PLEDGE_VIEW)):
        return ri
    me = actor_member(actor, required=False)
    mine = active_report_in(me, confirmed_only=True)
    if mine is None or mine.community_id != ri.community_id:
        raise NotFound()
    return ri


def _cards(report_ins: list[MemberReportIn]) -> list[dict[str, Any]]:
    """Cards of many members of one community: three queries whatever their number."""
    if not report_ins:
        return []
    ids = [r.member_id for r in report_ins]
    year = this_year()
    posts: dict[int, list[str]] = defaultdict(list)
    for mid, name in (PostHolding.objects.filter(member_id__in=ids, status=HoldingStatus.APPROVED,
                                                 post__community_id=report_ins[0].community_id)
                      .values_list("member_id", "post__name").order_by("post__name")):
        posts[mid].append(name)
    pledges = {p.member_id: p for p in Pledge.objects.filter(member_id__in=ids, year=year)}
    hours = dict(HourRecord.objects.filter(member_id__in=ids, status=HourStatus.CONFIRMED).values_list("member_id")
                 .annotate(h=Sum("hours")).values_list("member_id", "h"))
    return [{"member": r.member, "community": r.community, "since": r.confirmed_at, "posts": posts[r.member_id],
             "pledge": pledges.get(r.member_id), "hours": hours.get(r.member_id) or 0} for r in report_ins]


def member_card(*, actor: Actor, member_id: Any) -> dict[str, Any]:
    """A member's public card in his community (name, posts held, this year's pledge and its status, confirmed hours)."""
    ri = _card_community(actor, int_param(member_id) or 0)
    return _cards([ri])[0]


def community_cards(*, actor: Actor, q: str = "") -> tuple[Region | None, QuerySet[MemberReportIn]]:
    """The confirmed members of the actor's community (his confirmed report-in's), for the wall of cards."""
    me = actor_member(actor, required=False)
    mine = active_report_in(me, confirmed_only=True)
    if mine is None:
        return None, MemberReportIn.objects.none()
    return mine.community, community_card_rows(community_id=mine.community_id, q=q)


def community_card_rows(*, community_id: int, q: str = "") -> QuerySet[MemberReportIn]:
    """The confirmed members of one community for the wall of cards (``community_id``: the asking member's own
    confirmed community, ``common.me``): what every member of that community is shown alike."""
    qs = MemberReportIn.objects.filter(community_id=community_id, status=ReportInStatus.CONFIRMED, member__is_active=True)
    if q:
        qs = qs.filter(text_q(q, "member__name"))
    return qs.select_related("member", "community").order_by("member__name", "id")


def cards_for(report_ins: list[MemberReportIn]) -> list[dict[str, Any]]:
    return _cards(report_ins)


HOME_SQL = (
    "SELECT m.id, r.id, r.status, r.reported_at, r.confirmed_at, c.name, p.name, g.id, g.status, g.content, g.due_date, g.remark,"
    " (SELECT SUM(h.hours) FROM volunteering_hourrecord h WHERE h.member_id = m.id AND h.status = %s)"
    " FROM orgs_member m"
    " LEFT JOIN volunteering_memberreportin r ON r.member_id = m.id AND r.status IN (%s, %s)"
    " LEFT JOIN regions_region c ON c.id = r.community_id LEFT JOIN regions_region p ON p.id = c.parent_id"
    " LEFT JOIN volunteering_pledge g ON g.member_id = m.id AND g.year = %s"
    " WHERE m.user_id = %s AND m.is_active"
)
assert (Pledge._meta.db_table, HourRecord._meta.db_table, len(REPORT_IN_ACTIVE)) == ("volunteering_pledge", "volunteering_hourrecord", 2)
HOME_FIELDS = (None, None, None, MemberReportIn._meta.get_field("reported_at"), MemberReportIn._meta.get_field("confirmed_at"), None, None,
               None, None, None, Pledge._meta.get_field("due_date"), None, HourRecord._meta.get_field("hours"))


def my_home(*, actor: Actor) -> dict[str, Any] | None:
    """What the member's own page shows of him (None without an active member record linked to the account): his
    active report-in (pending or confirmed: one at most, ``vol_reportin_one_active``) with its community and the
    community's parent, this year's pledge (one a year) — each as its key, status, status's label and what is drawn —
    and his confirmed hours, in one statement (``common.own_row``); without an active report-in, his last one."""
    year = this_year()
    row = own_row(actor, HOME_SQL, [HourStatus.CONFIRMED.value, *sorted(str(s) for s in REPORT_IN_ACTIVE), year], HOME_FIELDS)
    if row is None:
        return None
    pk, ri, ri_status, reported_at, confirmed_at, community, parent, pl, pl_status, content, due_date, remark, hours = row
    active = pledge = last = None
    if ri:
        active = SimpleNamespace(pk=ri, status=ri_status, label=ReportInStatus(ri_status).label, reported_at=reported_at,
                                 confirmed_at=confirmed_at, community_name=community, parent_name=parent)
    else:
        last = MemberReportIn.objects.filter(member_id=pk).select_related("community").order_by("-reported_at", "-id").first()
    if pl:
        pledge = SimpleNamespace(pk=pl, status=pl_status, label=PledgeStatus(pl_status).label, content=content, due_date=due_date, remark=remark)
    member = Member.from_db(Member.objects.db, ["id"], [pk])
    return {"member": member, "active": active, "last": last, "pledge": pledge, "hours": hours or 0, "year": year}


def my_receipts(*, actor: Actor, member: Member, limit: int = 6) -> list[FeedbackReceipt]:
    """The newest receipts of the account's own member record (``member``), whatever else his roles let him see."""
    qs = own_records(FeedbackReceipt.objects.select_related("community"), actor, perms.RECEIPT_VIEW, member)
    return list(qs.only("id", "period", "hours", "community__name").order_by("-period", "id")[:limit])


def issue_communities(*, actor: Actor) -> QuerySet[Region]:
    """The communities the actor issues receipts for (his area's)."""
    return communities_of(actor, perms.RECEIPT_ISSUE)
