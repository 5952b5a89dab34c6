"""Two people acting on one matter at the same moment: exactly one wins, the other gets the clear conflict answer,
and the state never forks (statuses, assignments, timeline entries and audit events counted).

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL); SQLite in memory runs every write on one
connection and cannot show a race."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from gongjian.accounts.choices import Role
from gongjian.core.errors import Conflict, DomainError
from gongjian.core.models import AuditEvent
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentStatus, EventKind, MatterStatus
from gongjian.matters.models import Assignment, Matter, MatterEvent
from gongjian.matters.services import common as svc_common
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres
from gongjian.testing.race import race as race_at_once

from .domain import World, accepted, at_level, report, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads; each passes its checks, then all reach the row lock together (``common.key_of`` is the
    first step of both ``_lock`` and ``_lock_assignment``, right before the matter row is locked)."""
    return race_at_once(*actions, hold=(svc_common, "key_of"))


def split(outcomes: list[Any]) -> tuple[list[Any], list[Exception]]:
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    return wins, losses


def test_two_admins_accept_the_same_matter(w: World) -> None:
    assert connection.vendor == "postgresql"
    second = f.user(Role.COMMUNITY_ADMIN, region=w.tree.comm_a1, username="m_comm_a1_b")
    m = report(w)
    copy_a, copy_b = Matter.objects.get(pk=m.pk), Matter.objects.get(pk=m.pk)
    outcomes = race(lambda: svc.matter_accept(actor=w.u["comm_a1"], matter=copy_a),
                    lambda: svc.matter_accept(actor=second, matter=copy_b))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert isinstance(losses[0], Conflict) and str(losses[0]) == "该事项已被他人处理，请刷新后再试"
    m.refresh_from_db()
    assert m.status == MatterStatus.ACCEPTED and m.version == 2
    assert MatterEvent.objects.filter(matter=m, kind=EventKind.ACCEPTED).count() == 1
    assert AuditEvent.objects.filter(verb="matters.matter.accept").count() == 1


def test_by_id_without_a_version_the_loser_sees_the_new_status(w: World) -> None:
    second = f.user(Role.COMMUNITY_ADMIN, region=w.tree.comm_a1, username="m_comm_a1_c")
    m = accepted(w)
    outcomes = race(lambda: svc.matter_escalate(actor=w.u["comm_a1"], matter=m.pk, reason="上交街道"),
                    lambda: svc.matter_reject(actor=second, matter=m.pk, reason="非治理事项"))
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert isinstance(losses[0], DomainError) and losses[0].status in (403, 409)
    m.refresh_from_db()
    assert m.status in (MatterStatus.ESCALATED, MatterStatus.REJECTED)
    assert MatterEvent.objects.filter(matter=m, kind__in=[EventKind.ESCALATED, EventKind.REJECTED]).count() == 1
    if m.status == MatterStatus.ESCALATED:
        assert m.owner == w.tree.sub_a and m.escalation_count == 1 and not m.rejected_at
    else:
        assert m.owner == w.tree.comm_a1 and m.escalation_count == 0


@pytest.mark.parametrize("department_action", ["result", "return"])
def test_escalating_while_the_lead_reports_or_returns(w: World, department_action: str) -> None:
    m = at_level(w, "subdistrict")
    (lead,) = svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj)
    owner_view = Matter.objects.get(pk=m.pk)
    handler_view = Assignment.objects.get(pk=lead.pk)

    def department() -> Any:
        if department_action == "result":
            return svc.assignment_result(actor=w.u["h_cj"], assignment=handler_view, result="已完成")
        return svc.assignment_return(actor=w.u["h_cj"], assignment=handler_view, reason="不属于本部门职责")

    outcomes = race(lambda: svc.matter_escalate(actor=w.u["sub_a"], matter=owner_view, reason="提请区级协调"), department)
    wins, losses = split(outcomes)
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert isinstance(losses[0], Conflict), outcomes
    m.refresh_from_db()
    lead.refresh_from_db()
    escalated = MatterEvent.objects.filter(matter=m, kind=EventKind.ESCALATED).count()
    dept_events = MatterEvent.objects.filter(matter=m, kind__in=[EventKind.RESULT, EventKind.RETURNED]).count()
    if isinstance(outcomes[0], Matter):  # the escalation won: the assignment was withdrawn, no department result
        assert m.status == MatterStatus.ESCALATED and m.owner == w.tree.erqi and lead.status == AssignmentStatus.WITHDRAWN
        assert (escalated, dept_events) == (2, 0)
    else:  # the department won: the matter stays with the subdistrict
        assert m.owner == w.tree.sub_a and (escalated, dept_events) == (1, 1)
        assert lead.status == (AssignmentStatus.DONE if department_action == "result" else AssignmentStatus.RETURNED)
        assert m.status == (MatterStatus.ASSIGNED if department_action == "result" else MatterStatus.ACCEPTED)
    assert Assignment.objects.filter(matter=m, status__in=[AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS]).count() == 0


def test_two_sweeps_at_once_mark_each_matter_once(w: World) -> None:
    import datetime as dt

    from django.utils import timezone

    for i in range(20):
        report(w, title=f"事项{i}", urgency="emergency")
    later = timezone.now() + dt.timedelta(hours=5)
    results = race_at_once(lambda: svc.sweep_overdue(now=later), lambda: svc.sweep_overdue(now=later))
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["accept"] + r["resolve"] for r in results) == 20
    assert MatterEvent.objects.filter(kind=EventKind.OVERDUE).count() == 20
