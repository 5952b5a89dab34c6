"""Permission matrix of the road chiefs part (路长制): role × action × in / out of scope, through the services and the pages.

The segment lies in 淮河社区 and m1 is its road chief; m2 is a member of 路砦社区 next door. Out of scope is "not found"
(404), a role without the action is "forbidden" (403); a refused call changes nothing and writes no audit event."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.urls import reverse

from gongjian.core.permissions import can, rules_for
from gongjian.volunteering import permissions as perms
from gongjian.volunteering.models import PatrolReport, RoadSegment
from gongjian.volunteering.roads import selectors, services
from gongjian.volunteering.roads.manifest import MANIFEST

from .domain import World, w_fixture  # noqa: F401
from .matrix import ADMINS_IN, ADMINS_OUT, DENY, HIDDEN, OK, Case, confirmed, expect, refresh, run

pytestmark = pytest.mark.django_db
_n = itertools.count()


def segment(w: World) -> RoadSegment:
    if not w.m["m1"].report_ins.filter(status="confirmed").exists():
        confirmed(w, "m1", w.tree.comm_a1)
        confirmed(w, "m2", w.tree.comm_a2)
    seg = services.segment_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"淮河路{next(_n)}段")
    services.chief_assign(actor=w.u["comm_a1"], segment=seg, member=w.m["m1"])
    return seg


def report(w: World) -> PatrolReport:
    return services.report_create(actor=w.u["m1"], segment=segment(w), title=f"井盖缺失{next(_n)}")


ADMIN_ONLY = expect(DENY, **ADMINS_IN, **ADMINS_OUT)
CHIEF_ONLY = expect(DENY, m1=OK, m2=HIDDEN)

CASES: dict[str, list[Case]] = {
    perms.ROAD_VIEW: [
        Case("see a report", report, lambda w, u, r: selectors.report_get(actor=u, id=r.pk),
             expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT, m1=OK)),
        Case("see a segment", segment, lambda w, u, s: selectors.segment_get(actor=u, id=s.pk),
             expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT)),  # the chief opens his own segments through "my patrols"
    ],
    perms.ROAD_MANAGE: [
        Case("rename a segment", segment, lambda w, u, s: services.segment_update(actor=u, segment=s.pk, name=f"新名字{next(_n)}"), ADMIN_ONLY,
             lambda s: refresh(s, "name")),
        Case("deactivate a segment", segment, lambda w, u, s: services.segment_set_active(actor=u, segment=s.pk, active=False), ADMIN_ONLY,
             lambda s: refresh(s, "is_active")),
        Case("end a chief", segment, lambda w, u, s: services.chief_end(actor=u, chief=s.chiefs.get().pk), ADMIN_ONLY,
             lambda s: tuple(s.chiefs.values_list("until", flat=True))),
    ],
    perms.PATROL: [
        Case("log a patrol", segment, lambda w, u, s: services.patrol_log(actor=u, segment=s.pk, notes="巡查"), CHIEF_ONLY,
             lambda s: s.patrols.count()),
        Case("report a problem", segment, lambda w, u, s: services.report_create(actor=u, segment=s.pk, title="路灯不亮"), CHIEF_ONLY,
             lambda s: s.reports.count()),
    ],
    perms.PATROL_HANDLE: [
        Case("handle a report", report, lambda w, u, r: services.report_handle(actor=u, report=r.pk), ADMIN_ONLY,
             lambda r: refresh(r, "status")),
        Case("reject a report", report, lambda w, u, r: services.report_reject(actor=u, report=r.pk, reason="不是问题"), ADMIN_ONLY,
             lambda r: refresh(r, "status", "resolution")),
    ],
}


@pytest.mark.parametrize("action", sorted(perms.ROADS_RULES))
def test_every_registered_action(w: World, action: str) -> None:
    """A new action without a row here fails: each one is tried by every user, in and out of scope."""
    assert action in MANIFEST.permissions[0]
    assert CASES.get(action), f"{action} has no row in the matrix"
    for case in CASES[action]:
        run(w, case)


@pytest.mark.parametrize("action", sorted(perms.ROADS_RULES))
def test_roles_of_every_action(w: World, action: str) -> None:
    """The role-level answer (menus, page gates) follows the registered rules: any listed role, no other."""
    roles = set(rules_for(action))
    for who, user in w.u.items():
        mine = {s.role for s in user.scopes.filter(is_active=True)}
        assert can(user, action) == bool(mine & roles), (action, who)


PAGES = [
    # (url name, make the record, expected status per user: a page the role cannot use is "not found", like a record out of scope)
    ("volunteering:road_segment_detail", segment, {"comm_a1": 200, "city": 200, "comm_b1": 404, "m1": 404, "liaison_a": 404, "resident": 404}),
    ("volunteering:road_report_detail", report, {"comm_a1": 200, "sub_a": 200, "comm_b1": 404, "m1": 200, "m2": 404, "resident": 404}),
]


@pytest.mark.parametrize("name,make,statuses", PAGES, ids=[p[0] for p in PAGES])
def test_pages(w: World, client: Any, name: str, make: Any, statuses: dict[str, int]) -> None:
    obj = make(w)
    for who, status in statuses.items():
        client.force_login(w.u[who])
        assert client.get(reverse(name, args=[obj.pk])).status_code == status, who


def test_refused_action_buttons_change_nothing(w: World, client: Any) -> None:
    r = report(w)
    for who, status in (("comm_b1", 404), ("m1", 404), ("resident", 404)):
        client.force_login(w.u[who])
        assert client.post(f"/volunteering/roads/reports/{r.pk}/reject/", {"reason": "越权"}).status_code == status, who
    assert refresh(r, "status") == ("reported",)
    client.force_login(w.u["comm_a1"])
    assert client.post(f"/volunteering/roads/reports/{r.pk}/reject/", {"reason": "不是问题"}).status_code == 302
    assert refresh(r, "status") == ("rejected",)

