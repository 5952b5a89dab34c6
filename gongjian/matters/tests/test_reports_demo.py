"""The matters and meetings steps of the demo city (small scale): every matter's timeline in order and along the state
machine, its stamps and flags consistent with its events, assignments and decisions consistent with the matters, the
seed-shaped figures computed from the records, and ``--reset`` rebuilding the same."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from gongjian.core import registry
from gongjian.core.registry import Period
from gongjian.demo import build as demo_build
from gongjian.matters.choices import (
    ASSIGNMENT_ACTIVE,
    MATTER_OPEN,
    MATTER_TRANSITIONS,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    MatterSource,
    MatterStatus,
)
from gongjian.matters.demo import NOW
from gongjian.matters.models import Assignment, FollowUp, Matter, MatterEvent
from gongjian.meetings.choices import AgendaSource, DecisionStatus, MeetingKind, MeetingStatus
from gongjian.meetings.models import AgendaItem, Decision, Experience, Meeting, Speaker
from gongjian.regions.models import Region

pytestmark = pytest.mark.django_db
LEVEL_DEPTH = {"city": 0, "district": 1, "subdistrict": 2, "community": 3}


@pytest.fixture
def small(db: Any, settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    return demo_build.build(scale="small", seed=7, out=lambda _s: None)


def _value(key: str, region: Any = None, period: Period | None = None) -> Any:
    return registry.figure(key).compute(region or Region.objects.get(level="city"), period)


def test_matters_follow_the_state_machine(small: Any) -> None:
    regions = {r.pk: r for r in Region.objects.all()}
    events: dict[int, list[MatterEvent]] = defaultdict(list)
    for e in MatterEvent.objects.order_by("matter_id", "at", "id"):
        events[e.matter_id].append(e)
    matters = list(Matter.objects.all())
    assert {m.status for m in matters} >= {MatterStatus.ACCEPTED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED, MatterStatus.CLOSED,
                                           MatterStatus.REJECTED, MatterStatus.REPORTED}
    assert {m.source for m in matters} == set(MatterSource.values)
    for m in matters:
        evs = events[m.pk]
        assert evs and evs[0].kind == EventKind.REPORTED and evs[0].at == m.reported_at, m.number
        assert all(e.at <= NOW for e in evs)
        status: str = MatterStatus.REPORTED
        for e in evs:
            if e.to_status:
                assert e.from_status == status and e.to_status in MATTER_TRANSITIONS[status], (m.number, status, e.to_status)
                status = e.to_status
        assert status == m.status, m.number
        stamps: dict[str, list[Any]] = {k: [e.at for e in evs if e.kind == k] for k in (EventKind.ACCEPTED, EventKind.ESCALATED, EventKind.RESOLVED,
                                                                     EventKind.CALLBACK, EventKind.CLOSED, EventKind.COORDINATED)}
        assert m.accepted_at == (stamps[EventKind.ACCEPTED] or [None])[0]
        assert m.escalation_count == len(stamps[EventKind.ESCALATED])
        assert m.escalated_at == (stamps[EventKind.ESCALATED] or [None])[-1]
        assert m.top_depth == LEVEL_DEPTH[regions[m.owner_id].level] == 3 - m.escalation_count
        assert m.region_path == regions[m.community_id].path and m.owner_path == regions[m.owner_id].path
        assert m.region_path.startswith(m.owner_path)
        assert m.coordinated_at == (stamps[EventKind.COORDINATED] or [None])[0]
        assert (m.closed_at is not None) == (m.status == MatterStatus.CLOSED)
        if m.status in (MatterStatus.RESOLVED, MatterStatus.CLOSED):
            assert m.resolved_at == stamps[EventKind.RESOLVED][-1] and m.resolution
        if m.status == MatterStatus.CLOSED:
            assert m.satisfaction in ("satisfied", "basically") and m.resolved_at < m.callback_at < m.closed_at  # type: ignore[operator]
        if m.status == MatterStatus.REOPENED:
            assert m.satisfaction == "unsatisfied" and m.reopen_count == 1
        if m.status == MatterStatus.REJECTED:
            assert m.rejected_at and m.reject_reason
        assert m.accepted_at is None or m.reported_at < m.accepted_at
        assert m.is_overdue == (any(e.kind == EventKind.OVERDUE for e in evs)), m.number
        if m.is_overdue:
            assert m.status in MATTER_OPEN
        if m.source == MatterSource.HOTLINE:
            assert m.external_ref and m.reporter_phone_hash
        else:
            assert m.external_ref is None
        assert m.version == 1 + sum(1 for e in evs if e.to_status)


def test_assignments_follow_ups_and_decisions_consistent(small: Any) -> None:
    by_matter: dict[int, list[Assignment]] = defaultdict(list)
    for a in Assignment.objects.all():
        by_matter[a.matter_id].append(a)
        assert a.assigned_at <= a.deadline
        if a.status == AssignmentStatus.DONE:
            assert a.assigned_at < a.accepted_at < a.done_at <= NOW and a.result  # type: ignore[operator]
        if a.status == AssignmentStatus.RETURNED:
            assert a.returned_at and a.return_reason
        assert a.is_overdue == (a.status in ASSIGNMENT_ACTIVE and a.deadline < NOW)
    statuses = dict(Matter.objects.values_list("pk", "status"))
    for mid, asgs in by_matter.items():
        active = [a for a in asgs if a.status in ASSIGNMENT_ACTIVE]
        assert sum(1 for a in active if a.role == AssignmentRole.LEAD) <= 1
        if active:
            assert statuses[mid] == MatterStatus.ASSIGNED
    assert FollowUp.objects.exists() and all(f.assignment.follow_up_count == 1 for f in FollowUp.objects.select_related("assignment"))
    # every coordinated matter was decided at a held meeting of its owning level, its decision carrying its assignments
    for m in Matter.objects.filter(coordinated_at__isnull=False):
        d = Decision.objects.select_related("meeting").get(matter=m)
        assert d.meeting.status == MeetingStatus.HELD and d.meeting.region_id == m.owner_id
        assert d.meeting.held_at == m.coordinated_at
        assert set(d.assignments.values_list("pk", flat=True)) == {a.pk for a in by_matter[m.pk] if a.status != AssignmentStatus.RETURNED}
        assert AgendaItem.objects.filter(meeting=d.meeting, matter=m, source=AgendaSource.ESCALATED).exists()
        assert (d.status == DecisionStatus.DONE) == all(a.status == AssignmentStatus.DONE for a in d.assignments.all())
    # planned meetings carry the escalated matters waiting for them
    waiting = AgendaItem.objects.filter(meeting__status=MeetingStatus.PLANNED, matter__isnull=False).select_related("matter", "meeting")
    assert waiting.exists()
    for item in waiting:
        assert item.matter is not None and item.matter.status == MatterStatus.ESCALATED and item.matter.owner_id == item.meeting.region_id


def test_meetings_and_seed_shaped_figures(small: Any) -> None:
    cityr = Region.objects.get(level="city")
    held = Meeting.objects.filter(status=MeetingStatus.HELD, kind=MeetingKind.COORDINATION)
    assert not held.filter(held_at__gt=NOW).exists() and not Meeting.objects.filter(status=MeetingStatus.PLANNED, starts_at__lt=NOW).exists()
    this_year = Period.year(NOW.year)
    total = _value("meetings.held", cityr, this_year)
    assert total == held.filter(held_at__year=NOW.year).count() > 0
    per_level = {lv: _value(f"meetings.held.{lv}", cityr, this_year) for lv in ("city", "district", "subdistrict", "community")}
    assert sum(per_level.values()) == total
    for q in (1, 2):  # every level met in both quarters of this year; the city and every district every quarter
        quarter = Period.quarter(NOW.year, q)
        assert _value("meetings.held.city", cityr, quarter) == 1
        assert _value("meetings.held.district", cityr, quarter) == Region.objects.filter(level="district").count()
        assert _value("meetings.held.subdistrict", cityr, quarter) > 0 and _value("meetings.held.community", cityr, quarter) > 0
    urban = Region.objects.filter(level="community", kind="community").count()
    assert 0.8 * urban <= per_level["community"] / 2 <= urban  # most communities meet every quarter (not all: the calendar shows who has not)
    assert _value("meetings.exchanges_held", cityr, this_year) == 2
    assert Speaker.objects.filter(meeting__kind=MeetingKind.SECRETARY_EXCHANGE).count() >= 10
    assert _value("meetings.experiences", cityr) == Experience.objects.filter(published=True).count() > 0
    assert all(m.minutes for m in held)
    # matters: the seed's shape — coordinated matters this year, rates in a plausible band
    coordinated = _value("matters.coordinated", cityr, this_year)
    assert coordinated == Matter.objects.filter(coordinated_at__year=NOW.year).count() > 0
    raised = _value("matters.raised", cityr, this_year)
    assert raised > coordinated
    assert 80 <= _value("matters.response_rate", cityr) <= 99
    assert 70 <= _value("matters.resolution_rate", cityr) <= 99
    assert 80 <= _value("matters.satisfaction_rate", cityr) < 100
    assert _value("matters.median_hours_to_resolution", cityr) > 24
    assert _value("matters.assignments", Region.objects.get(code="410103")) > 0


def test_reset_rebuilds_the_same(small: Any, settings: Any) -> None:
    counts = (Matter.objects.count(), MatterEvent.objects.count(), Meeting.objects.count(), Decision.objects.count())
    numbers = set(Matter.objects.values_list("external_ref", flat=True))
    demo_build.build(scale="small", seed=7, do_reset=True, out=lambda _s: None)
    assert (Matter.objects.count(), MatterEvent.objects.count(), Meeting.objects.count(), Decision.objects.count()) == counts
    assert set(Matter.objects.values_list("external_ref", flat=True)) == numbers
