"""The volunteering step of the demo city (small scale): every kind of record, consistent with the models' rules (one
active report-in per member, places taken within capacity, one hour record per sign-up, points by the rule), the seed's
service brands, the demo member's own records, and non-zero figures."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db.models import Count, F, Q

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.demo import build as demo_build
from gongjian.matters.models import Matter
from gongjian.orgs.models import Member
from gongjian.regions.models import Region
from gongjian.volunteering.choices import (
    ActivityStatus,
    HoldingStatus,
    HourKind,
    HourStatus,
    PatrolReportStatus,
    PledgeStatus,
    ReportInStatus,
    SignupStatus,
)
from gongjian.volunteering.common import points_for_hours
from gongjian.volunteering.demo import NOW
from gongjian.volunteering.figures import FIGURES
from gongjian.volunteering.models import (
    Activity,
    HourRecord,
    MemberReportIn,
    PatrolLog,
    PatrolReport,
    Pledge,
    PostHolding,
    RoadChief,
    RoadSegment,
    ServiceBrand,
    ServicePost,
    Shift,
    Signup,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(db: Any, settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    return demo_build.build(scale="small", seed=7, out=lambda _s: None)


def test_every_kind_of_record_consistent_and_figures_non_zero(small: Any) -> None:
    in_service = Member.objects.filter(in_service=True, is_active=True)
    confirmed = MemberReportIn.objects.filter(status=ReportInStatus.CONFIRMED)
    # every in-service member reported in, confirmed, to the community where he lives, with his employer unit
    assert confirmed.filter(member__in_service=True).count() == in_service.count() == 300
    assert not confirmed.filter(member__in_service=True).exclude(community_id=F("member__home_community_id")).exists()
    assert not confirmed.filter(member__in_service=True).exclude(unit_id=F("member__employer_unit_id")).exists()
    assert {r.status for r in MemberReportIn.objects.all()} == set(ReportInStatus.values)
    assert not MemberReportIn.objects.filter(status__in=("pending", "confirmed")).values("member_id").annotate(n=Count("id")).filter(n__gt=1)
    # posts, holdings, brands, activities, shifts, sign-ups
    assert ServicePost.objects.exists()
    assert {h.status for h in PostHolding.objects.all()} == set(HoldingStatus.values)
    brands = {(b.community.name, b.name) for b in ServiceBrand.objects.select_related("community")}
    assert {("馨湾社区", "老年日间照料"), ("淮河社区", "四点钟课堂"), ("省供销社社区", "五送服务"), ("通信花园社区", "银发路长")} <= brands
    for name in ("老年日间照料", "四点钟课堂", "五送服务", "银发路长"):
        acts = Activity.objects.filter(brand__name=name, status=ActivityStatus.FINISHED)
        assert acts.exists() and all(a.people_served > 0 for a in acts), name
    assert {a.status for a in Activity.objects.all()} == set(ActivityStatus.values)
    assert Activity.objects.filter(unit__isnull=False).exists()
    assert {s.status for s in Signup.objects.all()} == set(SignupStatus.values)
    for shift in Shift.objects.annotate(n=Count("signups", filter=Q(signups__status=SignupStatus.CONFIRMED))):
        assert shift.taken == shift.n <= shift.capacity
    # hours: one per attended sign-up, on the shift's day; points by the rule for confirmed ones only
    hours = list(HourRecord.objects.select_related("signup__shift"))
    assert {h.kind for h in hours} == set(HourKind.values) and {h.status for h in hours} == set(HourStatus.values)
    for h in hours:
        assert h.points == (points_for_hours(h.hours) if h.status == HourStatus.CONFIRMED else 0)
        if h.signup is not None:
            assert h.signup.checked_out_at and h.date == h.signup.shift.starts_at.date() and h.signup.shift.ends_at < NOW
    assert not HourRecord.objects.filter(status=HourStatus.PENDING, date__lt=NOW.date().replace(day=1)).exists()
    # pledges, roads
    assert {p.status for p in Pledge.objects.all()} == set(PledgeStatus.values)
    assert RoadChief.objects.filter(is_active=True).exists() and RoadChief.objects.filter(is_active=False).exists()
    assert RoadSegment.objects.filter(chiefs__isnull=True).exists()
    assert PatrolLog.objects.exists()
    assert {r.status for r in PatrolReport.objects.all()} == set(PatrolReportStatus.values)
    # reports turned into matters: the road chiefs' matters of the community, reported a little before them
    for r in PatrolReport.objects.filter(status=PatrolReportStatus.MATTER).select_related("matter"):
        assert r.matter is not None and r.matter.source == "road_chief" and r.matter.community_id == r.segment.community_id
        assert r.reported_at < r.matter.reported_at and r.title == r.matter.title
    assert PatrolReport.objects.filter(matter__isnull=False).count() == PatrolReport.objects.filter(status="matter").count()
    assert Matter.objects.filter(source="road_chief").exists()
    # 银发路长: retired members of 通信花园社区 are its road chiefs, reported in
    tongxin = Region.objects.get(name="通信花园社区")
    assert RoadChief.objects.filter(region_path=tongxin.path, member__in_service=False).exists()

    city = Region.objects.get(level="city")
    values = {fig.key: fig.compute(city, None) for fig in FIGURES}
    zero_ok = {"volunteering.units_not_all_reported_in"}  # every in-service member reported in, as the seed
    assert all(v > 0 for k, v in values.items() if k not in zero_ok), values
    assert values["volunteering.in_service_share"] == 100.0
    year = {fig.key: fig.compute(city, Period.year(2026)) for fig in FIGURES}
    assert year["volunteering.hours_served"] > 0 and year["volunteering.activities_held"] > 0
    assert registry.figure("volunteering.members_reported_in").compute(city, Period.year(2001)) == 0


def test_the_demo_member_has_something_on_every_page(small: Any) -> None:
    member = Member.objects.get(user__username="demo_member")
    assert member.in_service and member.employer_unit_id is not None  # an in-service member: 双报到 where he lives
    ri = MemberReportIn.objects.get(member=member, status=ReportInStatus.CONFIRMED)
    assert ri.community.name == "淮河社区" and ri.community_id == member.home_community_id and ri.unit_id == member.employer_unit_id
    statuses = Counter(h.status for h in HourRecord.objects.filter(member=member))
    assert statuses[HourStatus.CONFIRMED] >= 3 and statuses[HourStatus.PENDING] >= 1
    assert Signup.objects.filter(member=member, status=SignupStatus.CONFIRMED, shift__starts_at__gt=NOW).exists()  # one to come
    assert Pledge.objects.filter(member=member, year=2026).exists() and Pledge.objects.filter(member=member, status="fulfilled").exists()
