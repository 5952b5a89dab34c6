"""Helpers of the activities tests (no tests here): confirmed report-ins, a published activity with a shift, members on demand."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.orgs.models import Member
from gongjian.testing import factories as f
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import ReportInStatus
from gongjian.volunteering.models import Activity, MemberReportIn, Shift

from .domain import World


def report_in(member: Member, community: Any, status: str = ReportInStatus.CONFIRMED) -> MemberReportIn:
    return MemberReportIn.objects.create(member=member, community=community, region_path=community.path, unit=member.employer_unit,
                                         status=status, reported_at=timezone.now(), confirmed_at=timezone.now())


def new_member(w: World, n: int, community: Any = None, *, confirmed: bool = True) -> tuple[Any, Member]:
    """A fresh member with an account, reported in (confirmed) to ``community`` (淮河社区 by default)."""
    community = community or w.tree.comm_a1
    account = f.user(Role.MEMBER, region=community, username=f"vx_{n}")
    m = f.member(w.org_a, name=f"志愿者{n}", home=community, employer=w.unit_a, in_service=True, user=account)
    if confirmed:
        report_in(m, community)
    return account, m


def activity(w: World, *, capacity: int = 5, starts_in: dt.timedelta = dt.timedelta(days=2), hours: int = 3,
             publish: bool = True, community: Any = None, admin: str = "comm_a1") -> tuple[Activity, Shift]:
    community = community or w.tree.comm_a1
    a = svc.activity_create(actor=w.u[admin], community=community, title="四点钟课堂", place="社区活动室")
    start = timezone.now() + starts_in
    s = svc.shift_create(actor=w.u[admin], activity=a, starts_at=start, ends_at=start + dt.timedelta(hours=hours), capacity=capacity,
                         signup_cutoff=start - dt.timedelta(hours=1))
    if publish:
        svc.activity_publish(actor=w.u[admin], activity=a)
    return a, s


def ready(w: World) -> None:
    """m1 reported in (confirmed) to 淮河社区, m2 to 路砦社区, m3 to 省供销社社区."""
    report_in(w.m["m1"], w.tree.comm_a1)
    report_in(w.m["m2"], w.tree.comm_a2)
    report_in(w.m["m3"], w.tree.comm_b1)


def move_shift(s: Shift, *, starts_in: dt.timedelta) -> Shift:
    """Move a shift in time directly (tests of the check-in window)."""
    length = s.ends_at - s.starts_at
    s.starts_at = timezone.now() + starts_in
    s.ends_at = s.starts_at + length
    s.signup_cutoff = s.starts_at - dt.timedelta(hours=1)
    s.save()
    return s
