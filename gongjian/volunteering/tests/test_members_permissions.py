"""Permission matrix of the members part (双报到, receipts, pledges): role × action × in / out of scope, through the
services and the pages.

m1 (淮河社区, unit A) reports in and pledges; m2 is a member of 路砦社区 next door. Out of scope is "not found" (404), a role
without the action is "forbidden" (403); a refused call changes nothing and writes no audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import can, rules_for
from gongjian.volunteering import permissions as perms
from gongjian.volunteering.members import selectors, services
from gongjian.volunteering.members.manifest import MANIFEST
from gongjian.volunteering.members.permissions import UNIT_PAGE
from gongjian.volunteering.models import FeedbackReceipt, MemberReportIn, Pledge

from .domain import World, w_fixture  # noqa: F401
from .matrix import ADMINS_IN, ADMINS_OUT, DENY, HIDDEN, OK, Case, confirmed, expect, refresh, run

pytestmark = pytest.mark.django_db
RULES = {k: v for rules in MANIFEST.permissions for k, v in rules.items()}


def pending(w: World) -> MemberReportIn:
    FeedbackReceipt.objects.all().delete()
    MemberReportIn.objects.filter(member=w.m["m1"]).delete()
    return services.report_in(actor=w.u["m1"], community=w.tree.comm_a1, id_number=w.id_numbers["m1"])


def confirmed_m1(w: World) -> MemberReportIn:
    return confirmed(w, "m1", w.tree.comm_a1)


def receipt(w: World) -> FeedbackReceipt:
    FeedbackReceipt.objects.all().delete()
    return services.receipt_issue(actor=w.u["comm_a1"], report_in=confirmed_m1(w), period=services.current_period())


def pledge(w: World) -> Pledge:
    Pledge.objects.all().delete()
    confirmed_m1(w)
    return services.pledge_make(actor=w.u["m1"], content="每月参加一次志愿服务", due_date=dt.date(timezone.localdate().year, 12, 31))


def _no_report_ins(w: World) -> None:
    FeedbackReceipt.objects.all().delete()
    MemberReportIn.objects.all().delete()


def own_report_in(w: World, u: Any) -> Any:
    """A user reports himself in where he lives (a member with his own ID number; anybody else with m1's)."""
    key = next((k for k in ("m1", "m2") if w.u[k] == u), "m1")
    return services.report_in(actor=u, community=w.m[key].home_community, id_number=w.id_numbers[key])


ADMIN_ONLY = expect(DENY, **ADMINS_IN, **ADMINS_OUT)
SEEN_BY = expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT, liaison_a=OK, liaison_b=HIDDEN, m1=OK, m2=HIDDEN)
PLEDGE_SEEN = expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT, m1=OK, m2=HIDDEN)

CASES: dict[str, list[Case]] = {
    perms.REPORT_IN_VIEW: [
        Case("see a report-in", pending, lambda w, u, r: selectors.report_in_get(actor=u, id=r.pk), SEEN_BY),
    ],
    perms.REPORT_IN_SELF: [
        Case("report oneself in", _no_report_ins, lambda w, u, _n: own_report_in(w, u),
             expect(DENY, m1=OK, m2=OK), lambda _n: MemberReportIn.objects.count()),
    ],
    perms.REPORT_IN_CONFIRM: [
        Case("confirm", pending, lambda w, u, r: services.report_in_confirm(actor=u, report_in=r.pk), ADMIN_ONLY,
             lambda r: refresh(r, "status")),
        Case("reject", pending, lambda w, u, r: services.report_in_reject(actor=u, report_in=r.pk, reason="不在本社区居住"), ADMIN_ONLY,
             lambda r: refresh(r, "status", "rejected_reason")),
        Case("end", confirmed_m1, lambda w, u, r: services.report_in_end(actor=u, report_in=r.pk, reason="搬家"), ADMIN_ONLY,
             lambda r: refresh(r, "status")),
    ],
    perms.RECEIPT_VIEW: [
        Case("see a receipt", receipt, lambda w, u, rc: selectors.receipt_get(actor=u, id=rc.pk), SEEN_BY),
    ],
    perms.RECEIPT_ISSUE: [
        Case("issue a receipt", confirmed_m1,
             lambda w, u, r: services.receipt_issue(actor=u, report_in=r.pk, period=services.current_period()), ADMIN_ONLY,
             lambda r: r.receipts.count()),
    ],
    perms.PLEDGE_VIEW: [
        Case("see a pledge", pledge, lambda w, u, p: selectors.pledge_get(actor=u, id=p.pk), PLEDGE_SEEN),
    ],
    perms.PLEDGE_MAKE: [
        Case("change one's pledge", pledge, lambda w, u, p: services.pledge_update(actor=u, pledge=p.pk, content="改写", due_date=p.due_date),
             expect(DENY, m1=OK, m2=HIDDEN), lambda p: refresh(p, "content")),
    ],
    perms.PLEDGE_ASSESS: [
        Case("assess a pledge", pledge, lambda w, u, p: services.pledge_assess(actor=u, pledge=p.pk, fulfilled=True), ADMIN_ONLY,
             lambda p: refresh(p, "status")),
    ],
    UNIT_PAGE: [
        Case("open the unit's page", lambda w: None,
             lambda w, u, _x: _page(w, u, "/volunteering/unit/"),
             expect(HIDDEN, liaison_a=OK, liaison_b=OK)),  # without a unit of his own, the page is not found
    ],
}


def _page(w: World, user: Any, url: str) -> None:
    client = Client()
    client.force_login(user)
    status = client.get(url).status_code
    if status == 403:
        raise PermissionDenied()
    if status == 404:
        raise NotFound()
    assert status == 200, status


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_registered_action(w: World, action: str) -> None:
    """A new action without a row here fails: each one is tried by every user, in and out of scope."""
    assert CASES.get(action), f"{action} has no row in the matrix"
    for case in CASES[action]:
        run(w, case)


@pytest.mark.parametrize("action", sorted(RULES))
def test_roles_of_every_action(w: World, action: str) -> None:
    roles = set(rules_for(action))
    for who, user in w.u.items():
        mine = {s.role for s in user.scopes.filter(is_active=True)}
        assert can(user, action) == bool(mine & roles), (action, who)


def test_refused_confirm_button_changes_nothing(w: World, client: Any) -> None:
    r = pending(w)
    for who, status in (("comm_b1", 404), ("m1", 404), ("liaison_a", 404)):
        client.force_login(w.u[who])
        assert client.post(f"/volunteering/report-ins/{r.pk}/confirm/").status_code == status, who
    assert refresh(r, "status") == ("pending",)

