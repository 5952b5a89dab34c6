from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.meetings import selectors as sel
from gongjian.meetings import services
from gongjian.meetings.models import Meeting

from .conftest import World, hold, plan

pytestmark = pytest.mark.django_db


def _when(y: int, q: int) -> dt.datetime:
    return dt.datetime(y, 3 * (q - 1) + 2, 10, 9, 0, tzinfo=timezone.get_current_timezone())


def test_district_calendar_by_level(world: World) -> None:
    y, q = 2026, 2
    held = plan(world, starts_at=_when(y, q))
    Meeting.objects.filter(pk=held.pk).update(status="held", held_at=_when(y, q))
    plan(world, actor_key="comm_a1", region=world.tree.comm_a1, starts_at=_when(y, q))
    plan(world, actor_key="comm_a1", region=world.tree.comm_a1, starts_at=_when(y, 3))  # another quarter
    cal = sel.calendar(actor=world.u("erqi"), year=y, quarter=q)
    assert cal.root == world.tree.erqi and cal.level == "subdistrict"
    assert [(r.region.name, r.status) for r in cal.rows] == [("淮河路街道", "held")]
    by = {b["level"]: b for b in cal.by_level}
    assert (by["district"]["held"], by["district"]["none"]) == (0, 1)
    assert (by["subdistrict"]["held"], by["subdistrict"]["total"]) == (1, 1)
    assert (by["community"]["planned"], by["community"]["none"], by["community"]["total"]) == (1, 1, 2)
    cal = sel.calendar(actor=world.u("erqi"), year=y, quarter=q, level="community")
    assert {r.region.name: r.status for r in cal.rows} == {"淮河社区": "planned", "路砦社区": "none"}
    assert cal.counts == {"held": 0, "planned": 1, "none": 1}


def test_calendar_only_own_area_and_cancelled_does_not_count(world: World) -> None:
    m = plan(world, actor_key="sub_b", region=world.tree.sub_b, starts_at=_when(2026, 1))
    services.meeting_cancel(actor=world.u("sub_b"), meeting=m, reason="改期")
    cal = sel.calendar(actor=world.u("jinshui"), year=2026, quarter=1)
    assert [(r.region.name, r.status) for r in cal.rows] == [("花园路街道", "none")]
    # a root outside the actor's area is ignored
    cal = sel.calendar(actor=world.u("jinshui"), year=2026, quarter=1, root=world.tree.erqi.pk)
    assert cal.root == world.tree.jinshui
    city = sel.calendar(actor=world.u("city"), year=2026, quarter=1)
    assert city.level == "district" and len(city.rows) == 2


def test_my_level_not_met_moves_when_held(world: World) -> None:
    assert [r.pk for r in sel.my_level_not_met(world.u("sub_a"))] == [world.tree.sub_a.pk]
    m = plan(world, starts_at=timezone.now() + dt.timedelta(minutes=30))
    y, q = sel.current_quarter()
    Meeting.objects.filter(pk=m.pk).update(year=y, quarter=q)
    hold(world, m)
    Meeting.objects.filter(pk=m.pk).update(year=y, quarter=q)
    assert sel.my_level_not_met(world.u("sub_a")) == []
