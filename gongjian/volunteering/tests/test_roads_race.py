"""Two administrators acting on one patrol report at the same moment, two assignments of the same road chief: exactly
one wins, the other gets the clear answer, and nothing forks (one matter, one active assignment).

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import pytest

from gongjian.core.errors import Conflict, TransitionError
from gongjian.matters.models import Matter
from gongjian.testing.race import needs_postgres, race
from gongjian.volunteering.choices import PatrolReportStatus
from gongjian.volunteering.models import PatrolReport, RoadChief
from gongjian.volunteering.roads import services

from .domain import World, w_fixture  # noqa: F401
from .test_roads_services import confirm

pytestmark = [
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]


def test_two_admins_turn_one_report_into_a_matter(w: World) -> None:
    confirm(w, "m1", w.tree.comm_a1)
    seg = services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="淮河路")
    services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m1"])
    r = services.report_create(actor=w.u["m1"], segment=seg, title="共享单车堵塞盲道")
    out = race(lambda: services.report_to_matter(actor=w.u["comm_a1"], report=r.pk),
               lambda: services.report_to_matter(actor=w.u["sub_a"], report=r.pk), hold=(services, "scoped"))
    assert sum(isinstance(o, PatrolReport) for o in out) == 1
    assert sum(isinstance(o, TransitionError) for o in out) == 1, out
    assert Matter.objects.filter(source_ref=f"patrol-report:{r.pk}").count() == 1
    assert PatrolReport.objects.get(pk=r.pk).status == PatrolReportStatus.MATTER


def test_two_admins_assign_the_same_chief(w: World) -> None:
    confirm(w, "m1", w.tree.comm_a1)
    seg = services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="淮河路")
    out = race(lambda: services.chief_assign(actor=w.u["comm_a1"], segment=seg.pk, member=w.m["m1"].pk),
               lambda: services.chief_assign(actor=w.u["sub_a"], segment=seg.pk, member=w.m["m1"].pk), hold=(services, "scoped"))
    assert sum(isinstance(o, RoadChief) for o in out) == 1
    assert sum(isinstance(o, Conflict) for o in out) == 1, out
    assert RoadChief.objects.filter(segment=seg, is_active=True).count() == 1
