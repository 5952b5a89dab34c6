"""Reads of the road chiefs part. Every read takes ``actor=`` and starts from the actor's scope.

Administrators see the segments, chiefs, patrols and reports of their area; a member sees his own assignments,
patrols and reports (``Reach.SELF`` through ``member__user_id``) and the segments he is an active chief of.
Anything outside is NotFound.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery

from gongjian.core.errors import NotFound
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import get_in_scope, region_paths, scoped
from gongjian.orgs.models import Member
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import common
from .. import permissions as perms
from ..choices import PATROL_REPORT_OPEN, PatrolReportStatus, ReportInStatus
from ..models import MemberReportIn, PatrolLog, PatrolReport, RoadChief, RoadSegment

PICKER_LIMIT = 200


def _text_q(query: str, *fields: str) -> Q:
    q = Q()
    for word in query.replace("\x00", "").split()[:8]:
        part = Q()
        for f in fields:
            part |= Q(**{f"{f}__icontains": word[:64]})
        q &= part
    return q


def community_choices(*, actor: Any, action: str = perms.ROAD_VIEW) -> QuerySet[Region]:
    """The communities of an administrator's area."""
    paths = region_paths(actor, action)
    qs = Region.objects.filter(is_active=True, level=Level.COMMUNITY)
    if "" not in paths:
        cond = Q(pk__in=[])
        for p in paths:
            cond |= Q(path__startswith=p)
        qs = qs.filter(cond)
    return qs.order_by("path")


def active_chiefs() -> Prefetch:
    return Prefetch("chiefs", queryset=RoadChief.objects.filter(is_active=True).select_related("member").order_by("since", "id"),
                    to_attr="active_chiefs")


def segment_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[RoadSegment]:
    """Segments in the actor's scope with their active chiefs and last patrol. Filters: q, community, active (1/0), chief (has/none)."""
    f = filters or {}
    last = PatrolLog.objects.filter(segment=OuterRef("pk")).order_by("-at").values("at")[:1]
    qs = (scoped(RoadSegment.objects.all(), actor, perms.ROAD_VIEW).select_related("community")
          .annotate(last_patrol_at=Subquery(last)).prefetch_related(active_chiefs()))
    if f.get("q"):
        qs = qs.filter(_text_q(str(f["q"]), "name", "start_name", "end_name"))
    if f.get("community"):
        qs = qs.filter(community_id=int_param(f["community"]) or 0)
    active = f.get("active", "1")
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    if f.get("chief") == "none":
        qs = qs.exclude(chiefs__is_active=True)
    return qs.order_by("region_path", "name", "id")


def segment_get(*, actor: Any, id: Any) -> RoadSegment:
    qs = RoadSegment.objects.select_related("community", "created_by")
    return get_in_scope(qs, actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def segment_chiefs(segment: RoadSegment) -> QuerySet[RoadChief]:
    return segment.chiefs.select_related("member").order_by("-is_active", "-since", "-id")


def chief_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[RoadChief]:
    f = filters or {}
    qs = scoped(RoadChief.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member")
    if f.get("segment"):
        qs = qs.filter(segment_id=int_param(f["segment"]) or 0)
    if f.get("active", "1") == "1":
        qs = qs.filter(is_active=True)
    return qs.order_by("segment__name", "-since", "-id")


def chief_member_choices(segment: RoadSegment, q: str = "") -> QuerySet[Member]:
    """Members with a confirmed report-in to the segment's community who are not yet its active chiefs."""
    ids = MemberReportIn.objects.filter(community_id=segment.community_id, status=ReportInStatus.CONFIRMED).values("member_id")
    qs = Member.objects.filter(pk__in=ids, is_active=True).exclude(road_chiefs__segment=segment, road_chiefs__is_active=True)
    if q:
        qs = qs.filter(_text_q(q, "name"))
    return qs.order_by("name", "id")


def patrol_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[PatrolLog]:
    """Patrols in scope (a member: his own). Filters: q (notes, segment, chief), segment, community, member, since, until."""
    f = filters or {}
    qs = scoped(PatrolLog.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member")
    if f.get("q"):
        qs = qs.filter(_text_q(str(f["q"]), "notes", "segment__name", "member__name"))
    for key, col in (("segment", "segment_id"), ("community", "segment__community_id"), ("member", "member_id")):
        if f.get(key):
            qs = qs.filter(**{col: int_param(f[key]) or 0})
    if f.get("since"):
        qs = qs.filter(at__date__gte=str(f["since"])[:10]) if _date_ok(f["since"]) else qs
    if f.get("until"):
        qs = qs.filter(at__date__lte=str(f["until"])[:10]) if _date_ok(f["until"]) else qs
    return qs.order_by("-at", "-id")


def _date_ok(value: Any) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def patrol_get(*, actor: Any, id: Any) -> PatrolLog:
    return get_in_scope(PatrolLog.objects.select_related("segment", "member"), actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def report_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[PatrolReport]:
    """Reports in scope (a member: his own). Filters: q, status (or "open"), segment, community, category."""
    f = filters or {}
    qs = scoped(PatrolReport.objects.all(), actor, perms.ROAD_VIEW).select_related("segment", "member", "category", "matter")
    if f.get("q"):
        qs = qs.filter(_text_q(str(f["q"]), "title", "description", "segment__name", "member__name"))
    status = f.get("status")
    if status == "open":
        qs = qs.filter(status__in=PATROL_REPORT_OPEN)
    elif status in PatrolReportStatus.values:
        qs = qs.filter(status=status)
    for key, col in (("segment", "segment_id"), ("community", "segment__community_id"), ("category", "category_id")):
        if f.get(key):
            qs = qs.filter(**{col: int_param(f[key]) or 0})
    return qs.order_by("-reported_at", "-id")


def report_get(*, actor: Any, id: Any) -> PatrolReport:
    qs = PatrolReport.objects.select_related("segment", "segment__community", "member", "category", "matter", "handled_by", "patrol")
    return get_in_scope(qs, actor, perms.ROAD_VIEW, pk=int_param(id) or 0)


def open_report_count(*, actor: Any) -> int:
    return scoped(PatrolReport.objects.filter(status__in=PATROL_REPORT_OPEN), actor, perms.PATROL_HANDLE).count()


# --- the member's own -------------------------------------------------------------------------


def my_segments(*, actor: Any) -> list[RoadSegment]:
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


def my_segment(*, actor: Any, id: Any) -> RoadSegment:
    seg = next((s for s in my_segments(actor=actor) if s.pk == int_param(id)), None)
    if seg is None:
        raise NotFound()
    return seg


def category_choices() -> list[Any]:
    """Leaves of the dispatch catalogue (active categories without active subcategories), for the report picker."""
    from gongjian.matters.models import MatterCategory

    return list(MatterCategory.objects.filter(is_active=True).annotate(
        live_children=Count("children", filter=Q(children__is_active=True))).filter(live_children=0).order_by("full_name", "id"))


def last_patrols(segment: RoadSegment, limit: int = 20) -> list[PatrolLog]:
    return list(segment.patrols.select_related("member").order_by("-at", "-id")[:limit])


def segment_reports(segment: RoadSegment, limit: int = 20) -> list[PatrolReport]:
    return list(segment.reports.select_related("member", "matter").order_by("-reported_at", "-id")[:limit])


def segment_stats(segment: RoadSegment) -> dict[str, Any]:
    agg = segment.reports.aggregate(open=Count("id", filter=Q(status__in=PATROL_REPORT_OPEN)), total=Count("id"))
    return {**agg, "patrols": segment.patrols.count(), "last_patrol_at": segment.patrols.aggregate(m=Max("at"))["m"]}
