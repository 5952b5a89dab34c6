"""THE capacity rule under real concurrency: many members sign up for the same shift at the same moment; exactly
``capacity`` get a place, the rest the waiting list (positions 1, 2, 3 … without gaps or repeats) or the clear “full”
answer, and ``taken`` equals the places given — never 51 for 50.

PostgreSQL only (TEST_DATABASE_URL): SQLite runs every write on one connection and cannot show a race.

The server allows 100 connections and is shared, so the 200 sign-ups run on 40 threads, each with its own connection,
released together by a barrier and each signing up 5 distinct members back to back."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from gongjian.core.errors import Conflict
from gongjian.testing.race import needs_postgres, race
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import SignupStatus
from gongjian.volunteering.models import Shift, Signup

from .domain import World, w_fixture  # noqa: F401
from .test_activities_world import activity, new_member

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]
THREADS = 40


def _connect() -> None:
    """A thread's own connection, opened before the start (the race holds here until every thread has one)."""
    connection.ensure_connection()


def run_together(jobs: list[list[Callable[[], Any]]]) -> list[Any]:
    """One thread per list of jobs (its own connection); all start together after a barrier."""

    def thread(batch: list[Callable[[], Any]]) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            _connect()  # looked up at call time: the race's hold replaces it
            outcomes: list[Any] = []
            for job in batch:
                try:
                    outcomes.append(job())
                except Exception as exc:  # noqa: BLE001 - every outcome is judged by the test
                    outcomes.append(exc)
            return outcomes

        return run

    per_thread = race(*(thread(batch) for batch in jobs), hold=(sys.modules[__name__], "_connect"), wait=60, join=300)
    return [o for out in per_thread if isinstance(out, list) for o in out]


def test_200_members_for_50_places(w: World) -> None:
    assert connection.vendor == "postgresql"
    _a, s = activity(w, capacity=50)
    accounts = [new_member(w, i)[0] for i in range(200)]

    def job(i: int) -> Callable[[], Any]:
        return lambda: svc.signup_create(actor=accounts[i], shift=s.pk, wait=i % 2 == 0)

    per = len(accounts) // THREADS
    outcomes = run_together([[job(t * per + k) for k in range(per)] for t in range(THREADS)])
    assert len(outcomes) == 200
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not (isinstance(o, Conflict) and o.code == "full")]
    assert not unexpected, unexpected[:3]
    full = sum(1 for o in outcomes if isinstance(o, Conflict))
    shift = Shift.objects.get(pk=s.pk)
    confirmed = Signup.objects.filter(shift=s, status=SignupStatus.CONFIRMED).count()
    waiting = list(Signup.objects.filter(shift=s, status=SignupStatus.WAITING).order_by("position").values_list("position", flat=True))
    assert confirmed == 50 and shift.taken == 50
    assert len(waiting) + full == 150
    assert waiting == list(range(1, len(waiting) + 1))  # order of arrival: no gaps, no repeats
    assert len(set(Signup.objects.filter(shift=s).values_list("member_id", flat=True))) == confirmed + len(waiting)


def test_cancellations_and_signups_at_once_keep_the_count(w: World) -> None:
    """Members with a place cancel while others sign up: every freed place goes to exactly one waiting member."""
    _a, s = activity(w, capacity=10)
    accounts = [new_member(w, i)[0] for i in range(30)]
    signs = [svc.signup_create(actor=acc, shift=s.pk) for acc in accounts[:20]]  # 10 with a place, 10 waiting
    jobs: list[list[Callable[[], Any]]] = [[partial(svc.signup_cancel, actor=accounts[i], signup=signs[i].pk)] for i in range(5)]
    jobs += [[partial(svc.signup_create, actor=accounts[i], shift=s.pk)] for i in range(20, 30)]
    outcomes = run_together(jobs)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    shift = Shift.objects.get(pk=s.pk)
    assert shift.taken == 10 == Signup.objects.filter(shift=s, status=SignupStatus.CONFIRMED).count()
    waiting = list(Signup.objects.filter(shift=s, status=SignupStatus.WAITING).order_by("position").values_list("position", flat=True))
    assert len(waiting) == 15 and len(set(waiting)) == 15
    assert Signup.objects.filter(shift=s, promoted_at__isnull=False).count() == 5


def test_concurrent_requests_through_the_pages(w: World) -> None:
    """30 members press "sign up" at once for 10 places through the real pages (session, CSRF-exempt test client, view)."""
    _a, s = activity(w, capacity=10)
    clients = []
    for i in range(30):
        account = new_member(w, 500 + i)[0]
        c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        c.force_login(account)
        clients.append(c)
    url = f"/volunteering/activities/shifts/{s.pk}/signup/"
    outcomes = run_together([[partial(c.post, url, {"wait": "1" if i % 3 else "0"})] for i, c in enumerate(clients)])
    assert all(getattr(o, "status_code", None) == 302 for o in outcomes), outcomes[:3]
    shift = Shift.objects.get(pk=s.pk)
    counts = Counter(Signup.objects.filter(shift=s).values_list("status", flat=True))
    assert shift.taken == 10 == counts[SignupStatus.CONFIRMED]
    assert counts[SignupStatus.CONFIRMED] + counts[SignupStatus.WAITING] <= 30
    assert counts[SignupStatus.WAITING] >= 10  # at least the 20 who would wait, minus those who preferred a "full" answer
