"""Figures of the volunteering module (issue #4 point 7): queries over records for any region and period.

A region counts its subtree by path (``region_path`` of the record = the community's path): the city sees every
community, a subdistrict its communities. ``records(region, period)`` returns the queryset behind each number (its
``count()`` is the number for the counting figures; for a sum or a rate, the records summed or of the denominator), so
a figure can be drilled down into.

Period semantics (``period=None`` means "as of now"):

* members reported in: report-ins confirmed now (in a period: confirmed by its end and not ended before its start) to
  a community of the region;
* report-ins waiting: report-ins waiting for the community now (in a period: of those made in it);
* share of in-service members reported in: of the active in-service members **who live in the region**
  (``home_path``: a member reports in to the community where he lives, so the region answers for its residents
  wherever they work), the share with a report-in counted as above (per cent; members carry no dates, so a period
  changes the numerator only). The employer's view is ``unit_share_rows(region, period)``: one row per resident unit
  located in the region (``ResidentUnit.region_path``) with its in-service members, how many reported in and the
  share, lowest first (two queries) — the figure "units with members not reported in" counts its rows below 100 %,
  and a page can list them;
* hours served: the sum of CONFIRMED hour records dated in the period (as of now: all);
* activities held: finished activities with a (not cancelled) shift starting in the period (as of now: all finished);
* posts filled: of the people the region's open service posts need, the share their approved holders fill (a post
  counts at most its need; in a period: holdings approved by its end and not ended before its start);
* pledges made / fulfilled: pledges of the years the period touches (as of now: every year) / of those, the ones
  the community marked fulfilled;
* road segments covered: active segments with at least one active road chief (in a period: a chief in office some
  day of it — since by its end, until empty or not before its start);
* patrol reports / solved: reports made in the period / of those, the ones solved now — solved by the community, or
  turned into a matter that is now resolved or closed.

Every service of the module that writes these records calls ``core.registry.bump("volunteering")``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.measures import before_end, count_of, day_start, in_period, in_region, rate
from gongjian.core.registry import Figure, Period
from gongjian.orgs.models import Member, ResidentUnit

from .choices import ActivityStatus, HoldingStatus, HourStatus, PatrolReportStatus, PledgeStatus, ReportInStatus
from .models import (
    Activity,
    HourRecord,
    MemberReportIn,
    PatrolReport,
    Pledge,
    PostHolding,
    RoadChief,
    RoadSegment,
    ServicePost,
    Shift,
)

MODULE = "volunteering"
MATTER_DONE = ("resolved", "closed")  # matters.choices.MatterStatus.RESOLVED / CLOSED


# --- report-ins --------------------------------------------------------------------------------


def _counted_report_ins(period: Period | None) -> QuerySet[MemberReportIn]:
    """Report-ins that count as "reported in": confirmed now, or in a period confirmed by its end and not ended before
    its start."""
    if period is None:
        return MemberReportIn.objects.filter(status=ReportInStatus.CONFIRMED)
    return MemberReportIn.objects.filter(confirmed_at__isnull=False).filter(before_end("confirmed_at", period)).filter(
        Q(status=ReportInStatus.CONFIRMED) | Q(status=ReportInStatus.ENDED, ended_at__gte=day_start(period.start)))


def reported_in_records(region: Any, period: Period | None = None) -> QuerySet[MemberReportIn]:
    """Members' report-ins to a community of the region that count as reported in (see the module's docstring)."""
    return _counted_report_ins(period).filter(in_region(region))


def waiting_records(region: Any, period: Period | None = None) -> QuerySet[MemberReportIn]:
    """Report-ins waiting for the community now (in a period: made in it)."""
    return MemberReportIn.objects.filter(in_region(region), status=ReportInStatus.PENDING).filter(in_period("reported_at", period))


def in_service_records(region: Any, period: Period | None = None) -> QuerySet[Member]:
    """Active in-service members who live in the region (the denominator of the share)."""
    return Member.objects.filter(in_region(region, "home_path"), in_service=True, is_active=True)


def share_reported_in(region: Any, period: Period | None = None) -> float:
    members = in_service_records(region, period)
    reported = members.filter(Exists(_counted_report_ins(period).filter(member_id=OuterRef("pk"))))
    return rate(reported.count(), members.count())


def unit_share_rows(region: Any, period: Period | None = None, *, units: Any = None) -> list[dict[str, Any]]:
    """Per resident unit located in the region (or of ``units``, a queryset or ids): its active in-service members,
    how many of them reported in (as the figures count) and the share in per cent, units with members only, the
    lowest share first. Two queries whatever the number of units."""
    unit_qs = ResidentUnit.objects.filter(pk__in=units) if units is not None else ResidentUnit.objects.filter(in_region(region))
    counted = Exists(_counted_report_ins(period).filter(member_id=OuterRef("pk")))
    rows = (
        Member.objects.filter(employer_unit__in=unit_qs, in_service=True, is_active=True)
        .values("employer_unit_id")
        .annotate(members=Count("pk"), reported=Count("pk", filter=Q(counted)))
    )
    stats = {r["employer_unit_id"]: r for r in rows}
    names = dict(ResidentUnit.objects.filter(pk__in=list(stats)).values_list("pk", "name"))
    out = [
        {"unit_id": uid, "name": names.get(uid, ""), "members": r["members"], "reported_in": r["reported"],
         "share": rate(r["reported"], r["members"])}
        for uid, r in stats.items()
    ]
    out.sort(key=lambda r: (r["share"], r["name"], r["unit_id"]))
    return out


def units_not_all_reported_in(region: Any, period: Period | None = None) -> int:
    """Resident units of the region with at least one in-service member not reported in."""
    return sum(1 for r in unit_share_rows(region, period) if r["reported_in"] < r["members"])


# --- hours, activities, posts ------------------------------------------------------------------


def hours_records(region: Any, period: Period | None = None) -> QuerySet[HourRecord]:
    """Confirmed hour records of the region's communities (in a period: dated in it)."""
    qs = HourRecord.objects.filter(in_region(region), status=HourStatus.CONFIRMED)
    if period is not None:
        qs = qs.filter(date__gte=period.start, date__lte=period.end)
    return qs


def hours_served(region: Any, period: Period | None = None) -> float:
    total = hours_records(region, period).aggregate(h=Sum("hours"))["h"]
    return float(round(total or Decimal(0), 1))


def activities_held_records(region: Any, period: Period | None = None) -> QuerySet[Activity]:
    """Finished activities of the region's communities (in a period: with a shift, not cancelled, starting in it)."""
    qs = Activity.objects.filter(in_region(region), status=ActivityStatus.FINISHED)
    if period is None:
        return qs
    shifts = Shift.objects.filter(activity_id=OuterRef("pk"), is_cancelled=False).filter(in_period("starts_at", period))
    return qs.filter(Exists(shifts))


def _holdings_counted(period: Period | None) -> Q:
    if period is None:
        return Q(status=HoldingStatus.APPROVED)
    return Q(decided_at__isnull=False) & before_end("decided_at", period) & (
        Q(status=HoldingStatus.APPROVED) | Q(status=HoldingStatus.ENDED, ended_at__gte=day_start(period.start)))


def posts_filled_records(region: Any, period: Period | None = None) -> QuerySet[PostHolding]:
    """Approved holdings of the region's open service posts (in a period: approved by its end, not ended before its start)."""
    return PostHolding.objects.filter(in_region(region), post__is_active=True).filter(_holdings_counted(period))


def posts_filled_rate(region: Any, period: Period | None = None) -> float:
    held = dict(posts_filled_records(region, period).values("post_id").annotate(n=Count("pk")).values_list("post_id", "n"))
    needed = ServicePost.objects.filter(in_region(region), is_active=True).values_list("pk", "needed")
    total = filled = 0
    for pk, need in needed:
        total += need
        filled += min(need, held.get(pk, 0))
    return rate(filled, total)


# --- pledges -----------------------------------------------------------------------------------


def pledges_made_records(region: Any, period: Period | None = None) -> QuerySet[Pledge]:
    """Pledges of the region's members (in a period: of the years it touches)."""
    qs = Pledge.objects.filter(in_region(region))
    if period is not None:
        qs = qs.filter(year__gte=period.start.year, year__lte=period.end.year)
    return qs


def pledges_fulfilled_records(region: Any, period: Period | None = None) -> QuerySet[Pledge]:
    """Of those pledges, the ones the community marked fulfilled."""
    return pledges_made_records(region, period).filter(status=PledgeStatus.FULFILLED)


# --- road chiefs -------------------------------------------------------------------------------


def _chiefs_counted(period: Period | None) -> QuerySet[RoadChief]:
    if period is None:
        return RoadChief.objects.filter(is_active=True)
    return RoadChief.objects.filter(since__lte=period.end).filter(Q(until__isnull=True) | Q(until__gte=period.start))


def segments_covered_records(region: Any, period: Period | None = None) -> QuerySet[RoadSegment]:
    """Active road segments of the region with at least one road chief (in a period: in office some day of it)."""
    return RoadSegment.objects.filter(in_region(region), is_active=True).filter(
        Exists(_chiefs_counted(period).filter(segment_id=OuterRef("pk"))))


def patrol_reports_records(region: Any, period: Period | None = None) -> QuerySet[PatrolReport]:
    """Problems road chiefs reported on the region's segments (in a period: reported in it)."""
    return PatrolReport.objects.filter(in_region(region)).filter(in_period("reported_at", period))


def patrol_solved_records(region: Any, period: Period | None = None) -> QuerySet[PatrolReport]:
    """Of those reports, the ones solved now: by the community, or as a matter now resolved or closed."""
    return patrol_reports_records(region, period).filter(
        Q(status=PatrolReportStatus.SOLVED) | Q(status=PatrolReportStatus.MATTER, matter__status__in=MATTER_DONE))


# --- the registered figures --------------------------------------------------------------------

_MEMBERS = _("members")
_PERCENT = _("%")

FIGURES: list[Figure] = [
    Figure(key="volunteering.members_reported_in", name=_("Members reported in to communities"),
           description=_("Members whose report-in to a community of the region is confirmed (in a period: confirmed by "
                         "its end and not ended before its start)."),
           unit=_MEMBERS, module=MODULE, compute=count_of(reported_in_records), records=reported_in_records),
    Figure(key="volunteering.report_ins_waiting", name=_("Report-ins waiting"),
           description=_("Members' report-ins waiting for the community's confirmation (in a period: of those made in it)."),
           unit=_MEMBERS, module=MODULE, compute=count_of(waiting_records), records=waiting_records),
    Figure(key="volunteering.in_service_share", name=_("In-service members reported in"),
           description=_("Of the in-service members who live in the region, the share reported in to their community."),
           unit=_PERCENT, module=MODULE, compute=share_reported_in, records=in_service_records),
    Figure(key="volunteering.units_not_all_reported_in", name=_("Units with members not reported in"),
           description=_("Resident units located in the region with at least one in-service member not reported in."),
           unit=_("units"), module=MODULE, compute=units_not_all_reported_in),
    Figure(key="volunteering.hours_served", name=_("Confirmed service hours"),
           description=_("Confirmed service hours in the region's communities (in a period: dated in it)."),
           unit=_("hours"), module=MODULE, compute=hours_served, records=hours_records),
    Figure(key="volunteering.activities_held", name=_("Volunteer activities held"),
           description=_("Finished volunteer activities (in a period: with a shift in it)."),
           unit=_("activities"), module=MODULE, compute=count_of(activities_held_records), records=activities_held_records),
    Figure(key="volunteering.posts_filled", name=_("Service posts filled"),
           description=_("Of the people the open service posts need, the share filled by approved holders."),
           unit=_PERCENT, module=MODULE, compute=posts_filled_rate, records=posts_filled_records),
    Figure(key="volunteering.pledges_made", name=_("Pledges made by members"),
           description=_("Members' yearly pledges (in a period: of the years it touches)."),
           unit=_("pledges"), module=MODULE, compute=count_of(pledges_made_records), records=pledges_made_records),
    Figure(key="volunteering.pledges_fulfilled", name=_("Pledges fulfilled by members"),
           description=_("Of those pledges, the ones the community marked fulfilled."),
           unit=_("pledges"), module=MODULE, compute=count_of(pledges_fulfilled_records), records=pledges_fulfilled_records),
    Figure(key="volunteering.road_segments_covered", name=_("Road segments with a road chief"),
           description=_("Active road segments with at least one road chief (in a period: in office during it)."),
           unit=pgettext_lazy("figure unit", "road segments"), module=MODULE, compute=count_of(segments_covered_records),
           records=segments_covered_records),
    Figure(key="volunteering.patrol_reports", name=_("Problems found on patrol"),
           description=_("Problems road chiefs reported (in a period: reported in it)."),
           unit=pgettext_lazy("figure unit", "problems"), module=MODULE, compute=count_of(patrol_reports_records), records=patrol_reports_records),
    Figure(key="volunteering.patrol_reports_solved", name=_("Problems found on patrol, solved"),
           description=_("Of those reports, the ones solved by the community or as a matter now resolved or closed."),
           unit=pgettext_lazy("figure unit", "problems"), module=MODULE, compute=count_of(patrol_solved_records), records=patrol_solved_records),
]
