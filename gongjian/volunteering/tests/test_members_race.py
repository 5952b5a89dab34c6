"""A member reporting in twice at the same moment (two taps, two phones), and two administrators deciding one report-in
at once: exactly one wins, the other gets the clear answer, and there is never a second active report-in.

Needs real concurrent transactions: PostgreSQL only (TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from gongjian.accounts.choices import Role
from gongjian.core.errors import Conflict, TransitionError
from gongjian.core.models import AuditEvent
from gongjian.testing import factories as f
from gongjian.volunteering.choices import REPORT_IN_ACTIVE, ReportInStatus
from gongjian.volunteering.members import services as svc
from gongjian.volunteering.models import MemberReportIn

from .domain import World, w_fixture  # noqa: F401

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite cannot run two writers"),
    pytest.mark.django_db(transaction=True),
]


def race(patch: str, *actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads; each passes its checks (``patch``, a function of the services module), then all
    reach the row lock together."""
    barrier = threading.Barrier(len(actions))
    real = getattr(svc, patch)

    def checked_then_wait(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        return out

    outcomes: list[Any] = [None] * len(actions)

    def run(i: int) -> None:
        try:
            outcomes[i] = actions[i]()
        except Exception as exc:  # noqa: BLE001 - any outcome is judged by the test
            outcomes[i] = exc
        finally:
            connections.close_all()

    setattr(svc, patch, checked_then_wait)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        setattr(svc, patch, real)
    return outcomes


def test_reporting_in_twice_at_once_gives_one_report_in(w: World) -> None:
    idn = w.id_numbers["m1"]
    outcomes = race("clean_report_in",
                    lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1.pk, id_number=idn),
                    lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a2.pk, id_number=idn),
                    lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1.pk, id_number=idn))
    wins = [o for o in outcomes if isinstance(o, MemberReportIn)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    assert len(wins) == 1 and len(losses) == 2 and all(isinstance(e, Conflict) for e in losses), outcomes
    assert MemberReportIn.objects.filter(member=w.m["m1"], status__in=list(REPORT_IN_ACTIVE)).count() == 1
    assert AuditEvent.objects.filter(verb="volunteering.report_in.create").count() == 1


def test_two_admins_decide_one_report_in_at_once(w: World) -> None:
    second = f.user(Role.COMMUNITY_ADMIN, region=w.tree.comm_a1, username="v_comm_a1_b")
    r = svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number=w.id_numbers["m1"])
    outcomes = race("require",
                    lambda: svc.report_in_confirm(actor=w.u["comm_a1"], report_in=r.pk),
                    lambda: svc.report_in_reject(actor=second, report_in=r.pk, reason="不住本社区"))
    wins = [o for o in outcomes if isinstance(o, MemberReportIn)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    assert len(wins) == 1 and len(losses) == 1 and isinstance(losses[0], TransitionError), outcomes
    r.refresh_from_db()
    assert r.status == wins[0].status and r.status in (ReportInStatus.CONFIRMED, ReportInStatus.REJECTED)
    assert AuditEvent.objects.filter(verb__in=["volunteering.report_in.confirm", "volunteering.report_in.reject"]).count() == 1
