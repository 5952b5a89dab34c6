"""Two people act on one matter at the same moment through the pages: the database decides (row lock + version +
status check), one wins, the other gets the clear "already changed" page (409), and the state never forks.

Needs real concurrent transactions, so PostgreSQL (TEST_DATABASE_URL); SQLite in memory serialises every write on one
connection and cannot show a race."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from gongjian.accounts.choices import Role
from gongjian.core.models import AuditEvent
from gongjian.matters import services as svc
from gongjian.matters.choices import AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter, MatterEvent
from gongjian.matters.services import common as svc_common  # the services lock through common._lock / _lock_assignment
from gongjian.testing import factories as f
from gongjian.testing.race import needs_postgres, race

from .domain import World, at_level, build_world, report

pytestmark = [
    pytest.mark.postgres,
    needs_postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def w(tree: Any) -> World:
    return build_world(tree)


def _client(user: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def _race(posts: list[tuple[Client, str, dict[str, Any]]]) -> list[Any]:
    """Run the posts at once; every thread passes the view's reads, then they meet at the service's row lock (``common.key_of``
    is the first step of both ``_lock`` and ``_lock_assignment``, right before the matter row is locked)."""

    def post(client: Client, url: str, data: dict[str, Any]) -> Any:
        resp = client.post(url, data)
        return resp.status_code, resp.content.decode()

    return race(*[lambda c=c, u=u, d=d: post(c, u, d) for c, u, d in posts], hold=(svc_common, "key_of"))


def test_two_secretaries_accept_and_reject_the_same_matter_at_once(w: World) -> None:
    assert connection.vendor == "postgresql"
    m = report(w)
    colleague = f.user(Role.COMMUNITY_ADMIN, region=w.tree.comm_a1, username="comm_a1_b")
    v = str(Matter.objects.get(pk=m.pk).version)
    outcomes = _race([
        (_client(w.u["comm_a1"]), reverse("matters:action", args=[m.pk, "accept"]), {"accept-version": v}),
        (_client(colleague), reverse("matters:action", args=[m.pk, "reject"]), {"reject-version": v, "reject-reason": "不属于治理事项"}),
    ])
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    codes = sorted(code for code, _html in outcomes)
    assert codes == [302, 409], outcomes
    loser = next(html for code, html in outcomes if code == 409)
    assert "该事项已被他人处理" in loser
    m = Matter.objects.get(pk=m.pk)
    assert m.status in (MatterStatus.ACCEPTED, MatterStatus.REJECTED) and m.version == 2
    kinds = list(MatterEvent.objects.filter(matter=m).exclude(kind="reported").values_list("kind", flat=True))
    assert kinds == [m.status]  # one decision on the timeline, not two
    assert AuditEvent.objects.filter(target_type="matters.matter", target_id=str(m.pk)).count() == 2  # report + the winner


def test_escalating_while_the_lead_department_reports_its_result(w: World) -> None:
    assert connection.vendor == "postgresql"
    m = at_level(w, "subdistrict")
    svc.matter_assign(actor=w.u["sub_a"], matter=m.pk, lead=w.dept_erqi.pk)
    a = Assignment.objects.get(matter=m)
    v = str(Matter.objects.get(pk=m.pk).version)
    # the department's service locks the matter first too (_lock_assignment); both meet at the matter row
    outcomes = _race([
        (_client(w.u["sub_a"]), reverse("matters:action", args=[m.pk, "escalate"]), {"escalate-version": v, "escalate-reason": "需区级协调"}),
        (_client(w.u["h_erqi"]), reverse("matters:assignment_action", args=[a.pk, "result"]),
         {"result-version": v, "result-seen": "assigned", "result-result": "已处理完毕"}),
    ])
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    escalate_code, result_code = outcomes[0][0], outcomes[1][0]
    m = Matter.objects.get(pk=m.pk)
    a = Assignment.objects.get(pk=a.pk)
    assert sorted([escalate_code, result_code]) == [302, 409], outcomes
    assert "该事项已被他人处理" in next(html for code, html in outcomes if code == 409)
    if escalate_code == 302:  # the escalation came first and withdrew the assignment: the late result is refused
        assert m.status == MatterStatus.ESCALATED and m.owner == w.tree.erqi
        assert a.status == AssignmentStatus.WITHDRAWN and not a.result
        assert MatterEvent.objects.filter(matter=m, kind="escalated").count() == 2
    else:  # the result came first: it stands, and the escalation was made on a page that no longer showed the matter as it is
        assert m.status == MatterStatus.ASSIGNED and m.owner == w.tree.sub_a
        assert a.status == AssignmentStatus.DONE and a.result == "已处理完毕"
        assert MatterEvent.objects.filter(matter=m, kind="escalated").count() == 1
