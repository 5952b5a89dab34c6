"""Two administrators at once: the same matter put on two agendas, the same meeting held twice.

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL); SQLite in memory serialises every write on one
connection and cannot show a race."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gongjian.core.errors import DomainError
from gongjian.core.models import AuditEvent
from gongjian.matters.choices import EventKind
from gongjian.matters.models import MatterEvent
from gongjian.meetings import selectors as sel
from gongjian.meetings import services
from gongjian.meetings.choices import MeetingStatus
from gongjian.meetings.models import AgendaItem, Meeting
from gongjian.meetings.services import meetings as meeting_services
from gongjian.testing.race import needs_postgres, race

from .conftest import World, escalated, plan

pytestmark = [
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]


def _outcome(out: Any) -> tuple[str, Any]:
    if isinstance(out, DomainError):
        return out.code, str(out.message)
    if isinstance(out, Exception):  # any other outcome is the failure this test looks for
        return type(out).__name__, "".join(traceback.format_exception(out))[-1500:]
    return "ok", out


def _race(calls: list[Callable[[], Any]], patch: tuple[Any, str]) -> list[Any]:
    """Run the calls in threads; each waits at a barrier inside ``patch`` (after its checks, before its lock)."""
    return [_outcome(o) for o in race(*calls, hold=patch)]


def test_two_admins_put_the_same_matter_on_two_agendas(world: World) -> None:
    assert connection.vendor == "postgresql"
    m1 = plan(world, title="第一次协调会")
    m2 = plan(world, actor_key="sub_a2", title="第二次协调会")
    ma = escalated(world)  # escalated after both were planned: neither has it yet
    out = _race([lambda: services.agenda_add(actor=world.u("sub_a"), meeting=m1.pk, matter=ma.pk),
                 lambda: services.agenda_add(actor=world.u("sub_a2"), meeting=m2.pk, matter=ma.pk)],
                (meeting_services, "clean_text"))
    assert sorted(o[0] for o in out) == ["conflict", "ok"], out
    assert AgendaItem.objects.filter(matter=ma).count() == 1
    assert MatterEvent.objects.filter(matter=ma, kind=EventKind.AGENDA).count() == 1
    assert AuditEvent.objects.filter(verb="meetings.agenda.add").count() == 1


def test_two_admins_add_the_same_matter_to_one_agenda(world: World) -> None:
    m = plan(world)
    ma = escalated(world)
    out = _race([lambda: services.agenda_add(actor=world.u("sub_a"), meeting=m.pk, matter=ma.pk),
                 lambda: services.agenda_add(actor=world.u("sub_a2"), meeting=m.pk, matter=ma.pk)],
                (sel, "meeting_base"))
    assert sorted(o[0] for o in out) == ["conflict", "ok"], out
    assert AgendaItem.objects.filter(meeting=m, matter=ma).count() == 1


def test_two_meetings_planned_at_once_propose_a_matter_once(world: World) -> None:
    ma = escalated(world)
    out = _race([lambda: plan(world, title="甲"), lambda: plan(world, actor_key="sub_a2", title="乙")], (meeting_services, "_clean_meeting"))
    assert [o[0] for o in out] == ["ok", "ok"], out
    assert AgendaItem.objects.filter(matter=ma).count() == 1
    assert Meeting.objects.count() == 2


def test_two_admins_hold_the_same_meeting(world: World) -> None:
    m = plan(world)
    out = _race([lambda: services.meeting_hold(actor=world.u("sub_a"), meeting=m.pk, minutes="甲的纪要"),
                 lambda: services.meeting_hold(actor=world.u("sub_a2"), meeting=m.pk, minutes="乙的纪要")],
                (sel, "meeting_base"))
    assert sorted(o[0] for o in out) == ["invalid_transition", "ok"], out
    m.refresh_from_db()
    assert m.status == MeetingStatus.HELD and m.minutes in ("甲的纪要", "乙的纪要")
    assert AuditEvent.objects.filter(verb="meetings.meeting.hold").count() == 1
