"""The overdue sweep and the reminders: set-based, idempotent, one timeline entry and one notification per finding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from gongjian.core.models import Notification
from gongjian.core.registry import beat_schedule
from gongjian.matters import services as svc
from gongjian.matters.choices import EventKind
from gongjian.matters.models import Assignment, Matter, MatterEvent

from .domain import World, accepted, at_level, report, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db


def test_sweep_marks_overdue_once(w: World, django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    not_accepted = report(w, title="未受理", urgency="emergency")
    late = accepted(w, title="超期未办结", urgency="utilities")
    fine = accepted(w, title="未超期")
    sub = at_level(w, "subdistrict", title="派单超期")
    (lead,) = svc.matter_assign(actor=w.u["sub_a"], matter=sub, lead=w.dept_erqi_cj)
    done = accepted(w, title="已办结", urgency="emergency")
    svc.matter_resolve(actor=w.u["comm_a1"], matter=done, resolution="已处理")
    Notification.objects.all().delete()
    later = now + dt.timedelta(hours=3)  # past the emergency accept (1 h) but not utilities' resolve (24 h)
    with django_capture_on_commit_callbacks(execute=True):
        counts = svc.sweep_overdue(now=later)
    assert counts == {"accept": 1, "resolve": 0, "assignments": 0}
    assert list(Matter.objects.filter(is_overdue=True).values_list("pk", flat=True)) == [not_accepted.pk]
    much_later = now + dt.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        counts = svc.sweep_overdue(now=much_later)
    # the resolved one is not open; the not-accepted one is already marked
    assert counts == {"accept": 0, "resolve": 3, "assignments": 1}
    assert set(Matter.objects.filter(is_overdue=True).values_list("pk", flat=True)) == {not_accepted.pk, late.pk, fine.pk, sub.pk}
    lead.refresh_from_db()
    assert lead.is_overdue
    # idempotent: nothing changes, nothing is written, nobody is told twice
    events = MatterEvent.objects.filter(kind=EventKind.OVERDUE).count()
    notes = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.sweep_overdue(now=much_later + dt.timedelta(hours=1)) == {"accept": 0, "resolve": 0, "assignments": 0}
    assert MatterEvent.objects.filter(kind=EventKind.OVERDUE).count() == events == 1 + 3 + 1
    assert Notification.objects.count() == notes
    # one notification per level / department per sweep, naming the numbers
    n = Notification.objects.filter(user=w.u["comm_a1"], verb="matters.overdue")
    assert n.count() == 2 and late.number in " ".join(n.values_list("body", flat=True))
    assert Notification.objects.filter(user=w.u["h_cj"], verb="matters.overdue").count() == 1
    assert Notification.objects.filter(user=w.u["sub_a"], verb="matters.assignment_overdue").count() == 1
    assert MatterEvent.objects.get(kind=EventKind.OVERDUE, matter=sub, department__isnull=False).department == w.dept_erqi_cj


def test_reminders_once_within_the_rule_window(w: World, django_capture_on_commit_callbacks: Any) -> None:
    now = timezone.now()
    m = at_level(w, "subdistrict")  # general: remind 24 hours before
    (a,) = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj, deadline=now + dt.timedelta(hours=30))
    e = at_level(w, "subdistrict", title="紧急", urgency="emergency")  # emergency: 1 hour before
    (b,) = svc.matter_assign(actor=w.u["sub_a"], matter=e, lead=w.dept_erqi, deadline=now + dt.timedelta(hours=2))
    assert svc.send_reminders(now=now) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.send_reminders(now=now + dt.timedelta(hours=7)) == 1  # 23 h left on a; b is past its deadline
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.reminded_at is not None and b.reminded_at is None
    assert svc.send_reminders(now=now + dt.timedelta(hours=8)) == 0
    assert MatterEvent.objects.filter(kind=EventKind.REMINDER, matter=m).count() == 1
    assert Notification.objects.filter(user=w.u["h_cj"], verb="matters.reminder").count() == 1
    # a follow-up with a new deadline makes the assignment remindable again
    svc.assignment_follow_up(actor=w.u["sub_a"], assignment=a, note="请加快", new_deadline=now + dt.timedelta(hours=50))
    assert svc.send_reminders(now=now + dt.timedelta(hours=30)) == 1
    # finished assignments are not reminded
    Assignment.objects.update(reminded_at=None)
    svc.assignment_result(actor=w.u["h_cj"], assignment=a.pk, result="已完成")
    assert svc.send_reminders(now=now + dt.timedelta(hours=30)) == 0


def test_command_and_beat_schedule(w: World, capsys: Any) -> None:
    report(w, urgency="emergency")
    Matter.objects.update(accept_due=timezone.now() - dt.timedelta(minutes=1))
    call_command("matters_sweep")
    out = capsys.readouterr().out
    assert "1 not accepted" in out
    assert Matter.objects.filter(is_overdue=True).count() == 1
    schedule = beat_schedule()
    assert schedule["matters.sweep_overdue"]["task"] == "gongjian.matters.tasks.sweep_overdue"
    assert schedule["matters.send_reminders"]["schedule"] == 600.0
    from gongjian.matters.tasks import sweep_overdue

    assert sweep_overdue.delay().get() == {"accept": 0, "resolve": 0, "assignments": 0}


def test_sweep_is_set_based(w: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sweep_queries(n: int) -> int:
        for i in range(n):
            report(w, title=f"批量{n}-{i}", urgency="emergency")
        Matter.objects.filter(is_overdue=False).update(accept_due=timezone.now() - dt.timedelta(minutes=1))
        with CaptureQueriesContext(connection) as q:
            counts = svc.sweep_overdue()
        assert counts["accept"] == n
        return len(q)

    assert sweep_queries(2) == sweep_queries(15)


def test_sweep_in_batches_flags_each_row_once(w: World, django_capture_on_commit_callbacks: Any) -> None:
    """Batches of 2: seven overdue matters take four statements and four transactions, each flagged once with one entry."""
    for i in range(7):
        report(w, title=f"分批{i}", urgency="emergency")
    later = timezone.now() + dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.sweep_overdue(now=later, batch=2)["accept"] == 7
    assert Matter.objects.filter(is_overdue=True).count() == 7
    assert MatterEvent.objects.filter(kind=EventKind.OVERDUE).values("matter").distinct().count() == 7
    assert MatterEvent.objects.filter(kind=EventKind.OVERDUE).count() == 7
    assert svc.sweep_overdue(now=later, batch=2)["accept"] == 0


def test_overdue_flag_is_in_no_index_and_tables_keep_room_for_in_place_updates() -> None:
    """The sweep's speed rests on HOT updates (bench/bench_matters.py: 12.9 s → about 4 s on 1,000,000 matters): no index
    may hold ``is_overdue``, and on PostgreSQL the tables keep free space on each page (migration 0004)."""
    from django.db import connection

    from gongjian.matters.models import Assignment

    with connection.cursor() as cur:
        for model in (Matter, Assignment):
            table = model._meta.db_table
            for name, info in connection.introspection.get_constraints(cur, table).items():
                assert "is_overdue" not in (info.get("columns") or []), f"{table}.{name} holds is_overdue"
            if connection.vendor == "postgresql":
                cur.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
                assert "fillfactor=85" in (cur.fetchone()[0] or [])
