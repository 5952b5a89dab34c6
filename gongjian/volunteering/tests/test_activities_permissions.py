"""Permission matrix of the activities part (posts, brands, activities and shifts, sign-ups, hours, the point rule):
role × action × in / out of scope, through the services and the pages.

Everything lies in 淮河社区, where m1 reported in; m2 reported in to 路砦社区 next door. The activity is organised for
unit A (liaison_a's unit). Out of scope is "not found" (404), a role without the action is "forbidden" (403); a refused
call changes nothing and writes no audit event."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from gongjian.core.errors import NotFound
from gongjian.core.permissions import can, rules_for
from gongjian.volunteering import permissions as perms
from gongjian.volunteering.activities import selectors as sel
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.activities.manifest import MANIFEST
from gongjian.volunteering.choices import HourStatus
from gongjian.volunteering.common import point_rule
from gongjian.volunteering.models import Activity, HourRecord, ServiceBrand, ServicePost, Shift

from .domain import World, w_fixture  # noqa: F401
from .matrix import ADMINS_IN, ADMINS_OUT, DENY, HIDDEN, OK, Case, confirmed, expect, refresh, run

pytestmark = pytest.mark.django_db
RULES = {k: v for rules in MANIFEST.permissions for k, v in rules.items()}
_n = itertools.count()


def _ready(w: World) -> None:
    if not w.m["m1"].report_ins.filter(status="confirmed").exists():
        confirmed(w, "m1", w.tree.comm_a1)
        confirmed(w, "m2", w.tree.comm_a2)


def post(w: World) -> ServicePost:
    _ready(w)
    return svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="mediator", name=f"调解员{next(_n)}", needed=2)


def brand(w: World) -> ServiceBrand:
    return svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name=f"四点钟课堂{next(_n)}")


def activity(w: World) -> Activity:
    _ready(w)
    return svc.activity_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, title=f"义诊{next(_n)}", unit=w.unit_a)


def shift(w: World) -> Shift:
    a = activity(w)
    start = timezone.now() + dt.timedelta(days=2)
    s = svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=5)
    svc.activity_publish(actor=w.u["comm_a1"], activity=a)
    return s


def hours(w: World) -> HourRecord:
    _ready(w)
    return HourRecord.objects.create(member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind="task",
                                     date=timezone.localdate(), hours=Decimal("2"))


def _decided(n: int) -> None:
    if not n:  # out of scope: no record decided on
        raise NotFound()


def _seen(qs: Any, pk: int) -> None:
    if not qs.filter(pk=pk).exists():
        raise NotFound()


ADMIN_ONLY = expect(DENY, **ADMINS_IN, **ADMINS_OUT)
MEMBER_IN = expect(DENY, m1=OK, m2=HIDDEN)

CASES: dict[str, list[Case]] = {
    perms.POST_VIEW: [
        # members find open posts through their own list
        Case("see a post", post, lambda w, u, p: sel.post_get(actor=u, id=p.pk), expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT)),
    ],
    perms.POST_MANAGE: [
        Case("edit a post", post, lambda w, u, p: svc.post_update(actor=u, post=p.pk, kind="mediator", name=f"新岗位{next(_n)}", needed=3),
             ADMIN_ONLY, lambda p: refresh(p, "name", "needed")),
        Case("close a post", post, lambda w, u, p: svc.post_close(actor=u, post=p.pk), ADMIN_ONLY, lambda p: refresh(p, "is_active")),
    ],
    perms.POST_APPLY: [
        Case("apply for a post", post, lambda w, u, p: svc.holding_apply(actor=u, post=p.pk), MEMBER_IN, lambda p: p.holdings.count()),
    ],
    perms.BRAND_VIEW: [
        Case("see a brand", brand, lambda w, u, b: sel.brand_get(actor=u, id=b.pk),
             expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT)),  # the administrators' brand page
    ],
    perms.BRAND_MANAGE: [
        Case("edit a brand", brand, lambda w, u, b: svc.brand_update(actor=u, brand=b.pk, name=f"新品牌{next(_n)}"), ADMIN_ONLY,
             lambda b: refresh(b, "name")),
    ],
    perms.ACTIVITY_VIEW: [
        Case("see an activity", activity, lambda w, u, a: sel.activity_get(actor=u, id=a.pk),
             expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT, liaison_a=OK)),  # members see published activities on their own pages
    ],
    perms.ACTIVITY_MANAGE: [
        Case("edit an activity", activity, lambda w, u, a: svc.activity_update(actor=u, activity=a.pk, title="新标题"),
             expect(DENY, **ADMINS_IN, **ADMINS_OUT, liaison_a=OK, liaison_b=HIDDEN), lambda a: refresh(a, "title")),
        # a published activity's shifts are the community's: the unit's liaison finds them no more (see the report)
        Case("cancel a shift", shift, lambda w, u, s: svc.shift_cancel(actor=u, shift=s.pk, reason="下雨"),
             expect(DENY, **ADMINS_IN, **ADMINS_OUT, liaison_a=HIDDEN, liaison_b=HIDDEN), lambda s: refresh(s, "is_cancelled")),
    ],
    perms.SIGNUP: [
        Case("sign up", shift, lambda w, u, s: svc.signup_create(actor=u, shift=s.pk), MEMBER_IN, lambda s: s.signups.count()),
    ],
    perms.HOURS_VIEW: [
        Case("see hours", hours, lambda w, u, h: _seen(sel.hour_list(actor=u), h.pk),
             expect(HIDDEN, **ADMINS_IN, **ADMINS_OUT)),  # the administrators' list; a member reads his own on "my hours"
    ],
    perms.HOURS_CONFIRM: [
        Case("confirm hours", hours, lambda w, u, h: _decided(svc.hours_confirm(actor=u, records=[h.pk])),
             expect(DENY, **ADMINS_IN, **ADMINS_OUT), lambda h: refresh(h, "status", "points"), noted=True),
        Case("reject hours", hours, lambda w, u, h: _decided(svc.hours_reject(actor=u, records=[h.pk], reason="未到岗")),
             expect(DENY, **ADMINS_IN, **ADMINS_OUT), lambda h: refresh(h, "status"), noted=True),
    ],
    perms.POINT_RULE_MANAGE: [
        Case("change the point rule", lambda w: point_rule(),
             lambda w, u, r: svc.point_rule_update(actor=u, per_hour=r.per_hour + 1, per_task=r.per_task, per_pledge=r.per_pledge),
             expect(DENY, city=OK), lambda r: refresh(r, "per_hour")),
    ],
}


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


def test_a_member_cannot_confirm_his_own_hours(w: World) -> None:
    h = hours(w)
    assert h.status == HourStatus.PENDING
    assert can(w.u["m1"], perms.HOURS_VIEW) and not can(w.u["m1"], perms.HOURS_CONFIRM)

