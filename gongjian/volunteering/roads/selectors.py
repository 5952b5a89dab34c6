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


def my_segments(*, actor: Actor) -> list[RoadSegment]:
    """The active segments the acting member is an active road chief of, with their last patrol by anyone."""
    if not can(actor, perms.PATROL):
        return []
    member = common.actor_member(actor, required=False)
    if member is None:
        return []
    last = PatrolLog.objects.filter(segment=OuterRef("pk")).order_by("-at").values("at")[:1]
    mine = PatrolLog.objects.filter(segment=OuterRef("pk"), member=member).values("segment").annotate(n=Count("id")).values("n")
    return list(RoadSegment.objects.filter(is_active=True, chiefs__member=member, chiefs__is_active=True)
                .select_related("community").annotate(last_patrol_at=Subquery(last), my_patrols=Subquery(mine))
                .distinct().order_by("name", "id"))


def my_segment(*, actor: Actor, id: Any) -> RoadSegment:
    seg = next((s for s in my_segments(actor=actor) if s.pk == int_param(id)), None)
    if seg is None:
        raise NotFound()
    return seg


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
