"""The volunteering figures: each is a query over records for any region and period, and moves when records change.

Records are written with the models directly (the parts' services are tested in their own files); the cached path
(``registry.figure_value``) is refreshed by ``registry.bump`` on commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.matters.models import Matter
from gongjian.testing import factories as f
from gongjian.volunteering.choices import (
    ActivityStatus,
    HoldingStatus,
    HourKind,
    HourStatus,
    PatrolReportStatus,
    PledgeStatus,
    PostKind,
    ReportInStatus,
)
from gongjian.volunteering.figures import unit_share_rows
from gongjian.volunteering.models import (
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

from .domain import World, w_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
OLD = Period.year(2001)
KEYS = {"volunteering.members_reported_in", "volunteering.report_ins_waiting", "volunteering.in_service_share",
        "volunteering.units_not_all_reported_in", "volunteering.hours_served", "volunteering.activities_held",
        "volunteering.posts_filled", "volunteering.pledges_made", "volunteering.pledges_fulfilled",
        "volunteering.road_segments_covered", "volunteering.patrol_reports", "volunteering.patrol_reports_solved"}


def v(key: str, region: Any, period: Period | None = None) -> Any:
    return registry.figure(key).compute(region, period)


def this_year() -> Period:
    return Period.year(timezone.localdate().year)


def report_in(w: World, key: str, community: Any, status: str = ReportInStatus.CONFIRMED, **extra: Any) -> MemberReportIn:
    m = w.m[key]
    now = timezone.now()
    confirmed = now if status in (ReportInStatus.CONFIRMED, ReportInStatus.ENDED) else None
    return MemberReportIn.objects.create(member=m, community=community, region_path=community.path, unit=m.employer_unit, status=status,
                                         reported_at=now, confirmed_at=confirmed, **extra)


def test_figures_registered_with_names_and_records() -> None:
    figs = [fig for fig in registry.figures() if fig.module == "volunteering"]
    assert {fig.key for fig in figs} == KEYS
    for fig in figs:
        assert str(fig.name) and str(fig.description) and str(fig.unit)


def test_report_in_figures_move(w: World) -> None:
    t = w.tree
    assert v("volunteering.members_reported_in", t.city) == 0 and v("volunteering.in_service_share", t.city) == 0.0
    pending = report_in(w, "m1", t.comm_a1, ReportInStatus.PENDING)
    assert v("volunteering.report_ins_waiting", t.city) == 1 and v("volunteering.report_ins_waiting", t.comm_a1) == 1
    assert v("volunteering.report_ins_waiting", t.jinshui) == 0 and v("volunteering.report_ins_waiting", t.city, OLD) == 0
    assert v("volunteering.members_reported_in", t.city) == 0
    MemberReportIn.objects.filter(pk=pending.pk).update(status=ReportInStatus.CONFIRMED, confirmed_at=timezone.now())
    assert v("volunteering.report_ins_waiting", t.city) == 0
    assert v("volunteering.members_reported_in", t.city) == 1 and v("volunteering.members_reported_in", t.sub_a) == 1
    assert v("volunteering.members_reported_in", t.comm_a2) == 0 and v("volunteering.members_reported_in", t.jinshui) == 0
    assert v("volunteering.members_reported_in", t.city, this_year()) == 1 and v("volunteering.members_reported_in", t.city, OLD) == 0
    # share: in-service members living in the region (m1, m4 in 淮河社区; m2 路砦社区; m3 省供销社社区)
    assert v("volunteering.in_service_share", t.comm_a1) == 50.0 and v("volunteering.in_service_share", t.city) == 25.0
    assert v("volunteering.in_service_share", t.jinshui) == 0.0
    report_in(w, "m3", t.comm_b1)
    assert v("volunteering.in_service_share", t.city) == 50.0 and v("volunteering.in_service_share", t.jinshui) == 100.0
    # ended: no longer counted now, still counted in the period it was active
    MemberReportIn.objects.filter(member=w.m["m3"]).update(status=ReportInStatus.ENDED, ended_at=timezone.now())
    assert v("volunteering.members_reported_in", t.jinshui) == 0 and v("volunteering.members_reported_in", t.jinshui, this_year()) == 1


def test_unit_breakdown(w: World) -> None:
    t = w.tree
    rows = unit_share_rows(t.city)
    assert [(r["name"], r["members"], r["reported_in"], r["share"]) for r in rows] == [
        ("二七区委组织部", 3, 0, 0.0), ("河南省供销合作总社", 1, 0, 0.0)]
    assert v("volunteering.units_not_all_reported_in", t.city) == 2
    report_in(w, "m1", t.comm_a1)
    report_in(w, "m3", t.comm_b1)
    rows = unit_share_rows(t.city)
    assert [(r["name"], r["reported_in"], r["share"]) for r in rows] == [("二七区委组织部", 1, 33.3), ("河南省供销合作总社", 1, 100.0)]
    assert [r["name"] for r in unit_share_rows(t.erqi)] == ["二七区委组织部"]  # units located in the region
    assert unit_share_rows(t.city, units=[w.unit_b.pk])[0]["unit_id"] == w.unit_b.pk
    assert v("volunteering.units_not_all_reported_in", t.city) == 1 and v("volunteering.units_not_all_reported_in", t.jinshui) == 0


def test_unit_breakdown_costs_the_same_queries_for_more_units(w: World, django_assert_num_queries: Any) -> None:
    for i in range(3):
        unit = f.unit(w.tree.erqi, name=f"单位{i}")
        org = f.party_org(w.tree.erqi, unit=unit)
        f.member(org, home=w.tree.comm_a1, employer=unit, in_service=True)
    with django_assert_num_queries(2):
        assert len(unit_share_rows(w.tree.city)) == 5


def _hours(w: World, community: Any, status: str, hours: str, day: dt.date, key: str = "m1") -> HourRecord:
    return HourRecord.objects.create(member=w.m[key], community=community, region_path=community.path, kind=HourKind.TASK, date=day,
                                     hours=Decimal(hours), status=status)


def test_hours_count_confirmed_records_only(w: World) -> None:
    t = w.tree
    today = timezone.localdate()
    rec = _hours(w, t.comm_a1, HourStatus.PENDING, "2.5", today)
    assert v("volunteering.hours_served", t.city) == 0.0
    HourRecord.objects.filter(pk=rec.pk).update(status=HourStatus.CONFIRMED)
    _hours(w, t.comm_b1, HourStatus.CONFIRMED, "1.25", today, "m3")
    _hours(w, t.comm_a1, HourStatus.REJECTED, "4", today)
    assert v("volunteering.hours_served", t.city) == 3.8 and v("volunteering.hours_served", t.erqi) == 2.5
    assert v("volunteering.hours_served", t.city, this_year()) == 3.8 and v("volunteering.hours_served", t.city, OLD) == 0.0


def test_activities_held_by_their_shifts(w: World) -> None:
    t = w.tree
    now = timezone.now()
    act = Activity.objects.create(community=t.comm_a1, region_path=t.comm_a1.path, title="环境卫生大扫除", status=ActivityStatus.PUBLISHED)
    Shift.objects.create(activity=act, region_path=act.region_path, starts_at=now, ends_at=now + dt.timedelta(hours=2), capacity=5,
                         signup_cutoff=now, code_key="k")
    assert v("volunteering.activities_held", t.city) == 0
    Activity.objects.filter(pk=act.pk).update(status=ActivityStatus.FINISHED)
    assert v("volunteering.activities_held", t.city) == 1 and v("volunteering.activities_held", t.city, this_year()) == 1
    assert v("volunteering.activities_held", t.city, OLD) == 0 and v("volunteering.activities_held", t.jinshui) == 0
    Shift.objects.update(is_cancelled=True)  # a cancelled shift does not hold it in the period
    assert v("volunteering.activities_held", t.city, this_year()) == 0


def test_posts_filled_counts_a_post_at_most_its_need(w: World) -> None:
    t = w.tree
    now = timezone.now()
    post = ServicePost.objects.create(community=t.comm_a1, region_path=t.comm_a1.path, kind=PostKind.BUILDING_CHIEF, name="楼栋长", needed=2)
    ServicePost.objects.create(community=t.comm_a1, region_path=t.comm_a1.path, kind=PostKind.MEDIATOR, name="调解员", needed=2)
    assert v("volunteering.posts_filled", t.city) == 0.0
    h = PostHolding.objects.create(post=post, member=w.m["m1"], region_path=post.region_path, applied_at=now)
    assert v("volunteering.posts_filled", t.city) == 0.0
    PostHolding.objects.filter(pk=h.pk).update(status=HoldingStatus.APPROVED, decided_at=now)
    assert v("volunteering.posts_filled", t.city) == 25.0
    for key in ("m2", "m4"):
        PostHolding.objects.create(post=post, member=w.m[key], region_path=post.region_path, applied_at=now, status=HoldingStatus.APPROVED,
                                   decided_at=now)
    assert v("volunteering.posts_filled", t.city) == 50.0  # three holders of a post that needs two fill two places
    assert v("volunteering.posts_filled", t.city, this_year()) == 50.0 and v("volunteering.posts_filled", t.city, OLD) == 0.0
    assert v("volunteering.posts_filled", t.jinshui) == 0.0


def test_pledges_made_and_fulfilled(w: World) -> None:
    t = w.tree
    year = timezone.localdate().year
    p = Pledge.objects.create(member=w.m["m1"], community=t.comm_a1, region_path=t.comm_a1.path, year=year, content="每月服务两次",
                              due_date=dt.date(year, 12, 31))
    assert v("volunteering.pledges_made", t.city) == 1 and v("volunteering.pledges_fulfilled", t.city) == 0
    Pledge.objects.filter(pk=p.pk).update(status=PledgeStatus.FULFILLED, assessed_at=timezone.now())
    assert v("volunteering.pledges_fulfilled", t.city) == 1 and v("volunteering.pledges_fulfilled", t.city, this_year()) == 1
    assert v("volunteering.pledges_made", t.city, OLD) == 0 and v("volunteering.pledges_made", t.jinshui) == 0


def test_road_segments_covered_and_patrol_reports(w: World) -> None:
    t = w.tree
    today, now = timezone.localdate(), timezone.now()
    seg = RoadSegment.objects.create(community=t.comm_a1, region_path=t.comm_a1.path, name="淮河路（一马路至京广路段）")
    assert v("volunteering.road_segments_covered", t.city) == 0
    chief = RoadChief.objects.create(segment=seg, member=w.m["m1"], region_path=seg.region_path, since=today)
    assert v("volunteering.road_segments_covered", t.city) == 1 and v("volunteering.road_segments_covered", t.city, this_year()) == 1
    assert v("volunteering.road_segments_covered", t.city, OLD) == 0 and v("volunteering.road_segments_covered", t.jinshui) == 0
    RoadChief.objects.filter(pk=chief.pk).update(is_active=False, until=today)
    assert v("volunteering.road_segments_covered", t.city) == 0 and v("volunteering.road_segments_covered", t.city, this_year()) == 1

    def problem(status: str, matter: Matter | None = None) -> PatrolReport:
        return PatrolReport.objects.create(segment=seg, member=w.m["m1"], region_path=seg.region_path, title="井盖缺失", status=status,
                                           reported_at=now, matter=matter)

    r = problem(PatrolReportStatus.REPORTED)
    assert v("volunteering.patrol_reports", t.city) == 1 and v("volunteering.patrol_reports_solved", t.city) == 0
    PatrolReport.objects.filter(pk=r.pk).update(status=PatrolReportStatus.SOLVED)
    assert v("volunteering.patrol_reports_solved", t.city) == 1 and v("volunteering.patrol_reports_solved", t.city, OLD) == 0
    matter = Matter.objects.create(number="M-1", title="井盖缺失", community=t.comm_a1, region_path=t.comm_a1.path, owner=t.comm_a1,
                                   owner_path=t.comm_a1.path, top_depth=3, reported_at=now, accept_due=now, source="road_chief")
    problem(PatrolReportStatus.MATTER, matter)
    assert v("volunteering.patrol_reports", t.city) == 2 and v("volunteering.patrol_reports_solved", t.city) == 1
    Matter.objects.filter(pk=matter.pk).update(status="resolved", resolved_at=now)
    assert v("volunteering.patrol_reports_solved", t.city) == 2 and v("volunteering.patrol_reports_solved", t.jinshui) == 0


def test_cached_figure_refreshes_when_a_service_bumps(w: World, django_capture_on_commit_callbacks: Any) -> None:
    t = w.tree
    assert registry.figure_value("volunteering.members_reported_in", t.city) == 0
    report_in(w, "m1", t.comm_a1)
    assert registry.figure_value("volunteering.members_reported_in", t.city) == 0  # cached until the module's figures change
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("volunteering")
    assert registry.figure_value("volunteering.members_reported_in", t.city) == 1
