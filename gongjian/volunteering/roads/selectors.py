"""Reads of the road chiefs part. Every read takes ``actor=`` and starts from the actor's scope.

Administrators see the segments, chiefs, patrols and reports of their area; a member sees his own assignments,
patrols and reports (``Reach.SELF`` through ``member__user_id``) and the segments he is an active chief of.
Anything outside is NotFound.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery

from gongjian.core.errors import NotFound
from gongjian.core.filtering import Filter, apply_filters, by_choice, by_flag, by_key, by_text
from gongjian.core.kernel import Actor, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, scoped
from gongjian.matters.models import MatterCategory
from gongjian.orgs.models import Member
from gongjian.regions.models import Region

from .. import common
from .. import permissions as perms
from ..choices import PATROL_REPORT_OPEN, PatrolReportStatus, ReportInStatus
from ..models import MemberReportIn, PatrolLog, PatrolReport, RoadChief, RoadSegment

PICKER_LIMIT = 200


def community_choices(*, actor: Actor, action: str = perms.ROAD_VIEW) -> QuerySet[Region]:
    """The communities of an administrator's area."""
    return common.communities_of(actor, action)


def active_chiefs() -> Prefetch:
    return Prefetch("chiefs", queryset=RoadChief.objects.filter(is_active=True).select_related("member").order_by("since", "id"),
                    to_attr="active_chiefs")


SEGMENT_FILTERS = {"q": by_text("name", "start_name", "end_name"), "community": by_key("community_id"), "active": common.by_yes_no("is_active"),
                   "chief": by_flag(~Q(chiefs__is_active=True), on="none")}
CHIEF_FILTERS = {"segment": by_key("segment_id"), "active": by_flag(Q(is_active=True))}


def _on_or_after(field: str) -> Filter:
    return lambda qs, value: qs.filter(**{f"{field}__gte": value[:10]}) if _date_ok(value) else qs


def _on_or_before(field: str) -> Filter:
    return lambda qs, value: qs.filter(**{f"{field}__lte": value[:10]}) if _date_ok(value) else qs


PATROL_FILTERS = {"q": by_text("notes", "segment__name", "member__name"), "segment": by_key("segment_id"),
                  "community": by_key("segment__community_id"), "member": by_key("member_id"),
                  "since": _on_or_after("at__date"), "until": _on_or_before("at__date")}
REPORT_FILTERS = {"q": by_text("title", "description", "segment__name", "member__name"),
                  "status": by_choice(PatrolReportStatus, groups={"open": PATROL_REPORT_OPEN}), "segment": by_key("segment_id"),
                  "community": by_key("segment__community_id"), "category": by_key("category_id")}


def segment_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[RoadSegment]:
    """Segments in the actor's scope with their active chiefs and last patrol. Filters: q, community, active (1/0), chief (has/none)."""
    last = PatrolLog.objects.filter(segment=OuterRef("pk")).order_by("-at").values("at")[:1]
    qs = (scoped(RoadSegment.objects.all(), actor, perms.ROAD_VIEW).select_related("community")
          .annotate(last_patrol_at=Subquery(last)).prefetch_related(active_chiefs()))
    return apply_filters(qs, {"active": "1", **(filters or {})}, SEGMENT_FILTERS).order_by("region_path", "name", "id")


def segment_get(*, actor: Actor, id: Any) -> RoadSegment:
    qs = RoadSegment.objects.select_related("community", "created_by")
    return get_in_scope(qs, actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def segment_chiefs(segment: RoadSegment) -> QuerySet[RoadChief]:
    return segment.chiefs.select_related("member").order_by("-is_active", "-since", "-id")


def chief_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[RoadChief]:
    qs = scoped(RoadChief.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member")
    return apply_filters(qs, {"active": "1", **(filters or {})}, CHIEF_FILTERS).order_by("segment__name", "-since", "-id")


def chief_member_choices(segment: RoadSegment, q: str = "") -> QuerySet[Member]:
    """Members with a confirmed report-in to the segment's community who are not yet its active chiefs."""
    ids = MemberReportIn.objects.filter(community_id=segment.community_id, status=ReportInStatus.CONFIRMED).values("member_id")
    qs = Member.objects.filter(pk__in=ids, is_active=True).exclude(road_chiefs__segment=segment, road_chiefs__is_active=True)
    if q:
        qs = qs.filter(text_q(q, "name"))
    return qs.order_by("name", "id")


def patrol_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[PatrolLog]:
    """Patrols in scope (a member: his own). Filters: q (notes, segment, chief), segment, community, member, since, until."""
    qs = scoped(PatrolLog.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member")
    return apply_filters(qs, filters, PATROL_FILTERS).order_by("-at", "-id")


def _date_ok(value: Any) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def patrol_get(*, actor: Actor, id: Any) -> PatrolLog:
    return get_in_scope(PatrolLog.objects.select_related("segment", "member"), actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def report_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[PatrolReport]:
    """Reports in scope (a member: his own). Filters: q, status (or "open"), segment, community, category."""
    qs = scoped(PatrolReport.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member", "category", "matter")
    return apply_filters(qs, filters, REPORT_FILTERS).order_by("-reported_at", "-id")


def report_get(*, actor: Actor, id: Any) -> PatrolReport:
    qs = PatrolReport.objects.select_related("segment", "segment__community", "member", "category", "matter", "handled_by", "patrol")
    return get_in_scope(qs, actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def open_report_count(*, actor: Actor) -> int:
    """Open reports of the actor's area (counted once per version of the module: see ``common.cached_count``)."""
    return common.cached_count(scoped(PatrolReport.objects.filter(status__in=PATROL_REPORT_OPEN), actor, perms.PATROL_HANDLE))


# --- the member's own -------------------------------------------------------------------------


def my_segments(*, actor: Actor, member: int | None = None) -> list[RoadSegment]:
    """The active segments the acting member (his active member record; ``member``: its key, when the caller knows he
    is chief of one) is an active road chief of, with their last patrol by anyone and the number of his own.

    Most members are no road chief: without ``member``, the segments are looked up first (a query of one index), and
    only a chief's are read with their patrols."""
    if not can(actor, perms.PATROL):
        return []
    if member is None:
        found = common.me(actor)
        if found is None:
            return []
        ids = list(RoadChief.objects.filter(member_id=found.pk, is_active=True, segment__is_active=True).values_list("segment_id", flat=True))
        return _segments_of(RoadSegment.objects.filter(pk__in=ids), found.pk) if ids else []
    return _segments_of(RoadSegment.objects.filter(is_active=True, chiefs__member_id=member, chiefs__is_active=True), member)


def _segments_of(qs: QuerySet[RoadSegment], member: int) -> list[RoadSegment]:
    last = PatrolLog.objects.filter(segment=OuterRef("pk")).order_by("-at").values("at")[:1]
    mine = PatrolLog.objects.filter(member_id=member, segment=OuterRef("pk")).values("segment").annotate(n=Count("id")).values("n")
    # one active assignment per segment and member (vol_chief_one_active): no duplicate rows to remove
    return list(qs.select_related("community").only(*SEGMENT_COLUMNS, "community__name")
                .annotate(last_patrol_at=Subquery(last), my_patrols=Subquery(mine)).order_by("name", "id"))


SEGMENT_COLUMNS = ("id", "community_id", "region_path", "name", "start_name", "end_name", "line", "length_m", "is_active")


MINE_SQL = (
    "SELECT m.id,"
    " EXISTS (SELECT 1 FROM volunteering_memberreportin r WHERE r.member_id = m.id AND r.status = %s),"
    " EXISTS (SELECT 1 FROM volunteering_roadchief c JOIN volunteering_roadsegment s ON s.id = c.segment_id"
    "         WHERE c.member_id = m.id AND c.is_active AND s.is_active),"
    " EXISTS (SELECT 1 FROM volunteering_patrollog p WHERE p.member_id = m.id),"
    " EXISTS (SELECT 1 FROM volunteering_patrolreport q WHERE q.member_id = m.id)"
    " FROM orgs_member m WHERE m.user_id = %s AND m.is_active"
)
assert (RoadChief._meta.db_table, RoadSegment._meta.db_table, PatrolLog._meta.db_table, PatrolReport._meta.db_table) == (
    "volunteering_roadchief", "volunteering_roadsegment", "volunteering_patrollog", "volunteering_patrolreport")


def mine(*, actor: Actor) -> dict[str, Any] | None:
    """What the road chief's own page shows (None without an active member record): his segments, his last 10 patrols
    and last 30 reports — those of his member record, whatever else his roles let him see — and whether he reported in.
    One statement for a member who is no road chief and has not patrolled (``common.own_row``: which of the three he
    has, and his report-in); one more for each of the three he has."""
    row = common.own_row(actor, MINE_SQL, [ReportInStatus.CONFIRMED.value])
    if row is None:
        return None
    pk, reported_in, chief, patrolled, reported = row
    return {
        "member": pk, "reported_in": bool(reported_in),
        "segments": my_segments(actor=actor, member=pk) if chief else [],
        "patrols": list(patrol_list(actor=actor).filter(member_id=pk)[:10]) if patrolled else [],
        "reports": list(report_list(actor=actor).filter(member_id=pk)[:30]) if reported else [],
    }


def my_segment(*, actor: Actor, id: Any) -> RoadSegment:
    """One of ``my_segments`` (a road chief's form on it); any other: NotFound."""
    found = common.me(actor) if can(actor, perms.PATROL) else None
    segs = _segments_of(RoadSegment.objects.filter(pk=int_param(id) or 0, is_active=True, chiefs__member_id=found.pk, chiefs__is_active=True),
                        found.pk) if found else []
    if not segs:
        raise NotFound()
    return segs[0]


def category_choices() -> list[Any]:
    """Leaves of the dispatch catalogue (active categories without active subcategories), for the report picker."""

    return list(MatterCategory.objects.filter(is_active=True).annotate(
        live_children=Count("children", filter=Q(children__is_active=True))).filter(live_children=0).order_by("full_name", "id"))


def last_patrols(segment: RoadSegment, limit: int = 20) -> list[PatrolLog]:
    return list(segment.patrols.select_related("member").order_by("-at", "-id")[:limit])


def segment_reports(segment: RoadSegment, limit: int = 20) -> list[PatrolReport]:
    return list(segment.reports.select_related("member", "matter").order_by("-reported_at", "-id")[:limit])


def segment_stats(segment: RoadSegment) -> dict[str, Any]:
    agg = segment.reports.aggregate(open=Count("id", filter=Q(status__in=PATROL_REPORT_OPEN)), total=Count("id"))
    return {**agg, "patrols": segment.patrols.count(), "last_patrol_at": segment.patrols.aggregate(m=Max("at"))["m"]}
