"""Several staff accept the same resource at the same moment, through HTTP: the database decides, capacity is never
over-committed, and the others get a clear "capacity exhausted" answer.

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL); SQLite in memory serialises every write on one
connection and cannot show a race."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from gongjian.accounts.choices import Role
from gongjian.cobuild.choices import MatchVerdict
from gongjian.cobuild.models import MatchDecision, Project, ProjectResource, Resource
from gongjian.cobuild.suggestions import index as idx
from gongjian.cobuild.suggestions import services as ssvc
from gongjian.core.models import AuditEvent
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres, race

from .test_suggestions_services import need, res

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]

STAFF = 4


def test_staff_accepting_the_same_capacity_at_once_over_http(world: Any) -> None:
    assert connection.vendor == "postgresql"
    idx.forget()
    # four needs in two communities, one resource whose 10 people fit only one need of 6
    needs = [need(world, f"助餐需求{i}", community=world.tree.comm_a1 if i % 2 else world.tree.comm_a2, quantity="6", quantity_unit="人")
             for i in range(STAFF)]
    r = res(world, capacity="10")
    staff = [world.users["subdistrict_admin"], world.users["district_admin"], world.users["city_admin"],
             f.user(Role.SUBDISTRICT_ADMIN, region=world.tree.sub_a, username="sub_a_2")]
    clients = []
    for user in staff:
        c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        c.force_login(user)
        clients.append(c)
    # everyone has passed the service's own checks (remaining 10 ≥ 6) before anyone locks the resource row
    def accept(i: int) -> tuple[int, Any]:
        resp = clients[i].post(f"/api/v1/cobuild/needs/{needs[i].pk}/suggestions/{r.pk}/accept", {"amount": "6"},
                               content_type="application/json")
        return (resp.status_code, resp.json())

    outcomes = race(*(lambda i=i: accept(i) for i in range(STAFF)), hold=(ssvc, "_clean_amount"))

    created = [o for o in outcomes if isinstance(o, tuple) and o[0] == 201]
    refused = [o for o in outcomes if isinstance(o, tuple) and o[0] == 409]
    assert len(created) == 1 and len(refused) == STAFF - 1, outcomes
    for _status, body in refused:
        assert body["code"] == "capacity_exhausted", body
        assert "仅剩 4 人" in body["message"] and "无法承诺 6 人" in body["message"], body
    r.refresh_from_db()
    assert r.remaining == Decimal("4.00") and r.remaining >= 0
    assert Project.objects.count() == 1 and ProjectResource.objects.count() == 1
    assert MatchDecision.objects.filter(verdict=MatchVerdict.ACCEPTED).count() == 1
    assert AuditEvent.objects.filter(verb="cobuild.match.accept").count() == 1
    assert Resource.objects.filter(remaining__lt=0).count() == 0
    idx.forget()
