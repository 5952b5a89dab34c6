"""The database's own guarantees under the services: one active report-in per member, one active sign-up per member and
shift, never more places taken than the capacity, hours never credited twice for one sign-up, one pledge a year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gongjian.volunteering.choices import ReportInStatus, SignupStatus
from gongjian.volunteering.common import active_report_in, actor_member, point_rule, points_for_hours
from gongjian.volunteering.models import Activity, HourRecord, MemberReportIn, Pledge, Shift, Signup

from .domain import World, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db


def report_in(w: World, key: str, status: str = ReportInStatus.PENDING) -> MemberReportIn:
    member = w.m[key]
    assert member.home_community is not None
    return MemberReportIn.objects.create(member=member, community=member.home_community, region_path=member.home_community.path,
                                         unit=member.employer_unit, status=status, reported_at=timezone.now())


def shift(w: World, capacity: int = 2) -> Shift:
    c = w.tree.comm_a1
    a = Activity.objects.create(community=c, region_path=c.path, title="清洁家园")
    start = timezone.now() + dt.timedelta(days=2)
    return Shift.objects.create(activity=a, region_path=c.path, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=capacity,
                                signup_cutoff=start - dt.timedelta(hours=2), code_key="k")


def test_one_active_report_in_per_member(w: World) -> None:
    first = report_in(w, "m1")
    with pytest.raises(IntegrityError), transaction.atomic():
        report_in(w, "m1")
    first.status = ReportInStatus.ENDED
    first.save()
    assert report_in(w, "m1", ReportInStatus.CONFIRMED).pk != first.pk
    assert active_report_in(w.m["m1"], confirmed_only=True) is not None


def test_places_taken_never_exceed_capacity(w: World) -> None:
    s = shift(w, capacity=2)
    assert Shift.objects.filter(pk=s.pk).update(taken=2) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Shift.objects.filter(pk=s.pk).update(taken=3)


def test_one_active_signup_and_one_hour_record_per_signup(w: World) -> None:
    s = shift(w)
    c = w.tree.comm_a1
    su = Signup.objects.create(shift=s, member=w.m["m1"], region_path=c.path, status=SignupStatus.CONFIRMED, signed_up_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(shift=s, member=w.m["m1"], region_path=c.path, status=SignupStatus.WAITING, signed_up_at=timezone.now())
    HourRecord.objects.create(member=w.m["m1"], community=c, region_path=c.path, kind="shift", signup=su, date=timezone.localdate(), hours=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        HourRecord.objects.create(member=w.m["m1"], community=c, region_path=c.path, kind="shift", signup=su, date=timezone.localdate(), hours=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        HourRecord.objects.create(member=w.m["m1"], community=c, region_path=c.path, kind="task", date=timezone.localdate(), hours=25)


def test_one_pledge_a_year(w: World) -> None:
    c = w.tree.comm_a1
    Pledge.objects.create(member=w.m["m1"], community=c, region_path=c.path, year=2026, content="每月参加一次清洁家园",
                          due_date=dt.date(2026, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.create(member=w.m["m1"], community=c, region_path=c.path, year=2026, content="再来一条", due_date=dt.date(2026, 12, 31))


def test_actor_member_and_point_rule(w: World) -> None:
    from gongjian.core.errors import PermissionDenied

    assert actor_member(w.u["m1"]) == w.m["m1"]
    with pytest.raises(PermissionDenied) as exc:
        actor_member(w.u["resident"])
    assert "党员" in str(exc.value.message)
    assert actor_member(w.u["resident"], required=False) is None
    rule = point_rule()
    assert (rule.per_hour, rule.per_task, rule.per_pledge) == (10, 5, 20) and point_rule().pk == rule.pk
    assert points_for_hours(2.5) == 25 and points_for_hours(Decimal("0.25"), rule) == 3


def test_world_is_consistent(w: World, tree: Any) -> None:
    assert w.m["m1"].user == w.u["m1"] and w.m["m4"].user is None
    assert w.m["m3"].employer_unit == w.unit_b and w.m["m3"].home_community == tree.comm_b1
