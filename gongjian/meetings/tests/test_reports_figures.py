"""Figures of the meetings module: meetings held per level and quarter, exchanges, decisions and experiences move with
their records, by region and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.meetings.choices import DecisionStatus, MeetingKind, MeetingStatus
from gongjian.meetings.models import Decision, Experience, Meeting

pytestmark = pytest.mark.django_db


def v(key: str, region: Any, period: Period | None = None) -> Any:
    fig = registry.figure(key)
    value = fig.compute(region, period)
    assert fig.records is not None and fig.records(region, period).count() == value, key
    return value


def meeting(region: Any, when: dt.datetime, *, kind: str = MeetingKind.COORDINATION, status: str = MeetingStatus.HELD) -> Meeting:
    q = (when.month - 1) // 3 + 1
    return Meeting.objects.create(kind=kind, region=region, region_path=region.path, level=region.level, year=when.year, quarter=q,
                                  title=f"{region.name}{when.year}年第{q}季度党建协调会议", starts_at=when, status=status,
                                  held_at=when if status == MeetingStatus.HELD else None)


def test_meeting_figures_registered() -> None:
    keys = {f.key for f in registry.figures() if f.module == "meetings"}
    assert keys == {"meetings.held", "meetings.held.city", "meetings.held.district", "meetings.held.subdistrict",
                    "meetings.held.community", "meetings.exchanges_held", "meetings.decisions", "meetings.decisions_done",
                    "meetings.experiences"}


def test_meetings_held_per_level_and_quarter(tree: Any) -> None:
    now = timezone.now()
    year = now.year
    q1 = dt.datetime(year, 2, 10, 15, tzinfo=now.tzinfo)
    q2 = dt.datetime(year, 5, 12, 15, tzinfo=now.tzinfo)
    for key in ("meetings.held", "meetings.held.community"):
        assert v(key, tree.city) == 0
    meeting(tree.comm_a1, q1)
    meeting(tree.comm_a1, q2)
    meeting(tree.sub_a, q2)
    meeting(tree.erqi, q2)
    meeting(tree.city, q2)
    planned = meeting(tree.sub_b, q2, status=MeetingStatus.PLANNED)
    meeting(tree.city, q2, kind=MeetingKind.SECRETARY_EXCHANGE)
    assert v("meetings.held", tree.city, Period.year(year)) == 5
    assert v("meetings.held", tree.city) == 5 if now.year == year else True  # as of now: this calendar year
    assert v("meetings.held", tree.city, Period.quarter(year, 1)) == 1 and v("meetings.held", tree.city, Period.quarter(year, 2)) == 4
    assert v("meetings.held", tree.erqi, Period.year(year)) == 4 and v("meetings.held", tree.jinshui, Period.year(year)) == 0
    assert v("meetings.held", tree.city, Period.year(year - 1)) == 0
    per_level = {lv: v(f"meetings.held.{lv}", tree.city, Period.year(year)) for lv in ("city", "district", "subdistrict", "community")}
    assert per_level == {"city": 1, "district": 1, "subdistrict": 1, "community": 2}
    assert sum(per_level.values()) == v("meetings.held", tree.city, Period.year(year))
    # holding the planned meeting moves its level
    Meeting.objects.filter(pk=planned.pk).update(status=MeetingStatus.HELD, held_at=q2)
    assert v("meetings.held.subdistrict", tree.city, Period.year(year)) == 2 and v("meetings.held", tree.jinshui, Period.year(year)) == 1
    assert v("meetings.exchanges_held", tree.city, Period.year(year)) == 1 and v("meetings.exchanges_held", tree.erqi, Period.year(year)) == 0


def test_decisions_and_experiences(tree: Any) -> None:
    now = timezone.now()
    m = meeting(tree.sub_a, now)
    assert v("meetings.decisions", tree.city) == 0
    d = Decision.objects.create(meeting=m, text="城建局牵头")
    assert v("meetings.decisions", tree.city) == 1 and v("meetings.decisions", tree.jinshui) == 0
    assert v("meetings.decisions_done", tree.erqi) == 0
    Decision.objects.filter(pk=d.pk).update(status=DecisionStatus.DONE, done_at=now)
    assert v("meetings.decisions_done", tree.erqi) == 1
    ex = meeting(tree.city, now, kind=MeetingKind.SECRETARY_EXCHANGE)
    e = Experience.objects.create(meeting=ex, region=tree.sub_a, title="红色物业", summary="做法", published=False)
    assert v("meetings.experiences", tree.city) == 0
    Experience.objects.filter(pk=e.pk).update(published=True)
    assert v("meetings.experiences", tree.city) == 1 and v("meetings.experiences", tree.erqi) == 1
    assert v("meetings.experiences", tree.jinshui) == 0 and v("meetings.experiences", tree.city, Period.year(2001)) == 0
