"""Figures of the matters module: each moves when records change through the services, by region and period, and
its drill-down records match the number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.matters import services as svc
from gongjian.matters.figures import department_figures
from gongjian.meetings.models import Decision, Meeting

from .domain import World, accepted, build_world, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree: Any) -> World:
    return build_world(tree)
OLD = Period.year(2001)


def v(key: str, region: Any, period: Period | None = None) -> Any:
    fig = registry.figure(key)
    value = fig.compute(region, period)
    if fig.records is not None and str(fig.unit) not in ("%", "小时", "hours"):
        assert fig.records(region, period).count() == value, key
    return value


def this_year() -> Period:
    return Period.year(timezone.localdate().year)


def test_matter_figures_registered() -> None:
    keys = {f.key for f in registry.figures() if f.module == "matters"}
    assert keys == {"matters.raised", "matters.escalated", "matters.coordinated", "matters.resolved", "matters.response_rate",
                    "matters.resolution_rate", "matters.on_time_resolution_rate", "matters.satisfaction_rate", "matters.overdue",
                    "matters.median_hours_to_resolution", "matters.assignments", "matters.assignments_overdue",
                    "matters.assignments_on_time_rate"}
    for fig in registry.figures():
        if fig.module == "matters":
            assert fig.records is not None and str(fig.name) and str(fig.description) and str(fig.unit)


def _meeting_decision(world: World, region: Any) -> Decision:
    now = timezone.now()
    m = Meeting.objects.create(region=region, region_path=region.path, level=region.level, year=now.year, quarter=(now.month - 1) // 3 + 1,
                               title="协调会", starts_at=now, status="held", held_at=now)
    return Decision.objects.create(meeting=m, text="城建局牵头办理")


def test_counts_move(world: World, django_capture_on_commit_callbacks: Any) -> None:
    t, u = world.tree, world.u
    for key in ("matters.raised", "matters.escalated", "matters.coordinated", "matters.resolved", "matters.overdue"):
        assert v(key, t.city) == 0
    m = report(world)
    assert v("matters.raised", t.city) == 1 and v("matters.raised", t.erqi) == 1 and v("matters.raised", t.sub_a) == 1
    assert v("matters.raised", t.jinshui) == 0 and v("matters.raised", t.city, OLD) == 0
    assert v("matters.raised", t.city, this_year()) == 1
    svc.matter_accept(actor=u["comm_a1"], matter=m)
    svc.matter_escalate(actor=u["comm_a1"], matter=m, reason="社区无法解决")
    assert v("matters.escalated", t.city) == 1 and v("matters.escalated", t.comm_a2) == 0
    assert v("matters.escalated", t.erqi, this_year()) == 1 and v("matters.escalated", t.erqi, OLD) == 0
    # coordinated: the subdistrict's meeting decides it and assigns 城建
    decision = _meeting_decision(world, t.sub_a)
    [a] = svc.matter_assign(actor=u["sub_a"], matter=m, lead=world.dept_erqi_cj, decision=decision)
    assert v("matters.coordinated", t.city) == 1 and v("matters.coordinated", t.jinshui) == 0
    assert v("matters.coordinated", t.city, this_year()) == 1 and v("matters.coordinated", t.city, OLD) == 0
    assert v("matters.assignments", t.erqi) == 1 and v("matters.assignments", t.city) == 1 and v("matters.assignments", t.jinshui) == 0
    svc.assignment_accept(actor=u["h_cj"], assignment=a)
    svc.assignment_result(actor=u["h_cj"], assignment=a, result="已加装")
    assert v("matters.resolved", t.city) == 0
    svc.matter_resolve(actor=u["sub_a"], matter=m.pk, resolution="已加装电梯")
    assert v("matters.resolved", t.city) == 1 and v("matters.resolved", t.erqi, this_year()) == 1
    assert v("matters.resolved", t.city, OLD) == 0 and v("matters.resolved", t.jinshui) == 0
    # a reopened matter no longer counts as resolved
    svc.matter_callback(actor=u["comm_a1"], matter=m.pk, satisfaction="unsatisfied", note="还没装好")
    assert v("matters.resolved", t.city) == 0
    # overdue: a report whose acceptance deadline passed, swept
    report(world, title="路灯不亮", reported_at=timezone.now() - dt.timedelta(days=3))
    assert v("matters.overdue", t.city) == 0
    svc.sweep_overdue()
    assert v("matters.overdue", t.city) == 1 and v("matters.overdue", t.jinshui) == 0 and v("matters.overdue", t.city, OLD) == 0


def test_rates_and_median_move(world: World) -> None:
    t, u = world.tree, world.u
    for key in ("matters.response_rate", "matters.resolution_rate", "matters.satisfaction_rate", "matters.median_hours_to_resolution"):
        assert v(key, t.city) == 0
    m1 = accepted(world)  # in time
    assert v("matters.response_rate", t.city) == 100.0
    late = report(world, title="下水道堵塞", reported_at=timezone.now() - dt.timedelta(days=2))
    svc.matter_accept(actor=u["comm_a1"], matter=late)  # after its 24-hour acceptance deadline
    assert v("matters.response_rate", t.city) == 50.0 and v("matters.response_rate", t.jinshui) == 0
    assert v("matters.resolution_rate", t.city) == 0.0
    svc.matter_resolve(actor=u["comm_a1"], matter=late, resolution="已疏通")
    assert v("matters.resolution_rate", t.city) == 50.0
    assert v("matters.on_time_resolution_rate", t.city) == 50.0  # well inside 7 working days
    # about 48 hours from report to resolution
    assert 47.0 <= v("matters.median_hours_to_resolution", t.city) <= 49.0
    svc.matter_resolve(actor=u["comm_a1"], matter=m1, resolution="已处理")
    assert v("matters.resolution_rate", t.city) == 100.0
    assert 0 < v("matters.median_hours_to_resolution", t.city) < 48.0  # the median of ~0 h and ~48 h
    # a rejected matter is not a governance matter: it leaves the resolution rate's denominator
    rejected = report(world, title="邻居家吵架")
    assert v("matters.resolution_rate", t.city) == pytest.approx(66.7)
    svc.matter_reject(actor=u["comm_a1"], matter=rejected, reason="属于家庭纠纷")
    assert v("matters.resolution_rate", t.city) == 100.0
    # satisfaction: satisfied + basically over the callbacks
    svc.matter_callback(actor=u["comm_a1"], matter=m1, satisfaction="satisfied")
    assert v("matters.satisfaction_rate", t.city) == 100.0
    svc.matter_callback(actor=u["comm_a1"], matter=late, satisfaction="unsatisfied")
    assert v("matters.satisfaction_rate", t.city) == 50.0 and v("matters.satisfaction_rate", t.city, OLD) == 0.0
    assert v("matters.satisfaction_rate", t.jinshui) == 0.0


def test_department_figures_move(world: World) -> None:
    t, u = world.tree, world.u
    m = accepted(world)
    past = timezone.now() + dt.timedelta(days=2)
    [a] = svc.matter_assign(actor=u["comm_a1"], matter=m, lead=world.dept_erqi_cj, deadline=past)
    assert department_figures(world.dept_erqi_cj)["assignments"] == 1 and department_figures(world.dept_erqi)["assignments"] == 0
    assert v("matters.assignments_overdue", t.erqi) == 0
    svc.sweep_overdue(now=timezone.now() + dt.timedelta(days=5))
    assert v("matters.assignments_overdue", t.erqi) == 1 and v("matters.assignments_overdue", t.jinshui) == 0
    assert department_figures(world.dept_erqi_cj)["overdue"] == 1
    svc.assignment_accept(actor=u["h_cj"], assignment=a)
    svc.assignment_result(actor=u["h_cj"], assignment=a, result="已完成")
    assert v("matters.assignments_overdue", t.erqi) == 0
    assert v("matters.assignments_on_time_rate", t.erqi) == 100.0  # reported before the deadline
    figs = department_figures(world.dept_erqi_cj)
    assert figs["done"] == 1 and figs["open"] == 0 and figs["on_time_rate"] == 100.0
    assert department_figures(world.dept_erqi_cj, OLD)["assignments"] == 0
