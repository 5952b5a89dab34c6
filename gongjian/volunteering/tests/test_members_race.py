"""A member reporting in twice at the same moment (two taps, two phones), and two administrators deciding one report-in
at once: exactly one wins, the other gets the clear answer, and there is never a second active report-in.

Needs real concurrent transactions: PostgreSQL only (TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest

from gongjian.accounts.choices import Role
from gongjian.core.errors import Conflict, TransitionError
from gongjian.core.models import AuditEvent
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres, race
from gongjian.volunteering.choices import REPORT_IN_ACTIVE, ReportInStatus
from gongjian.volunteering.members import services as svc
from gongjian.volunteering.models import MemberReportIn

from .domain import World, w_fixture  # noqa: F401

pytestmark = [
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]


def test_reporting_in_twice_at_once_gives_one_report_in(w: World) -> None:
    idn = w.id_numbers["m1"]
    outcomes = race(lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1.pk, id_number=idn),
                    lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a2.pk, id_number=idn),
                    lambda: svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1.pk, id_number=idn),
                    hold=(svc, "clean_report_in"))
    wins = [o for o in outcomes if isinstance(o, MemberReportIn)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    assert len(wins) == 1 and len(losses) == 2 and all(isinstance(e, Conflict) for e in losses), outcomes
    assert MemberReportIn.objects.filter(member=w.m["m1"], status__in=list(REPORT_IN_ACTIVE)).count() == 1
    assert AuditEvent.objects.filter(verb="volunteering.report_in.create").count() == 1


def test_two_admins_decide_one_report_in_at_once(w: World) -> None:
    second = f.user(Role.COMMUNITY_ADMIN, region=w.tree.comm_a1, username="v_comm_a1_b")
    r = svc.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number=w.id_numbers["m1"])
    outcomes = race(lambda: svc.report_in_confirm(actor=w.u["comm_a1"], report_in=r.pk),
                    lambda: svc.report_in_reject(actor=second, report_in=r.pk, reason="不住本社区"),
                    hold=(svc, "require"))
    wins = [o for o in outcomes if isinstance(o, MemberReportIn)]
    losses = [o for o in outcomes if isinstance(o, Exception)]
    assert len(wins) == 1 and len(losses) == 1 and isinstance(losses[0], TransitionError), outcomes
    r.refresh_from_db()
    assert r.status == wins[0].status and r.status in (ReportInStatus.CONFIRMED, ReportInStatus.REJECTED)
    assert AuditEvent.objects.filter(verb__in=["volunteering.report_in.confirm", "volunteering.report_in.reject"]).count() == 1
