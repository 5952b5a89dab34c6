"""The permission matrix: role × action × on the matter's path / elsewhere. 404 outside sight, 403 when seen but not allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import can
from gongjian.matters import permissions as perms
from gongjian.matters import services as svc
from gongjian.matters.models import Matter

from .domain import World, accepted, at_level, report, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db

OK, DENY, HIDDEN = "ok", 403, 404
USERS = ("city", "erqi", "jinshui", "sub_a", "sub_b", "comm_a1", "comm_a2", "comm_b1", "h_erqi", "h_cj", "h_jinshui", "resident",
         "resident2", "member", "nobody")


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        fn()
    except NotFound:
        return HIDDEN
    except PermissionDenied:
        return DENY
    return OK


def reported(w: World) -> Matter:
    return report(w, actor="resident")


def at_sub(w: World) -> Matter:
    return at_level(w, "subdistrict", actor="resident")


def assigned_sub(w: World) -> Matter:
    m = at_sub(w)
    svc.matter_assign(actor=w.u["sub_a"], matter=m, lead=w.dept_erqi_cj)
    return m


# (name, make the matter, act(world, user, matter), expected per user; users not named expect HIDDEN for admins on other paths)
CASES: list[tuple[str, Callable[[World], Matter], Callable[[World, Any, Matter], Any], dict[str, Any]]] = [
    ("accept", reported, lambda w, u, m: svc.matter_accept(actor=u, matter=m.pk),
     {"comm_a1": OK, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_a": DENY, "sub_b": DENY, "erqi": DENY, "jinshui": DENY, "city": DENY,
      "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("escalate", lambda w: accepted(w, actor="resident"), lambda w, u, m: svc.matter_escalate(actor=u, matter=m.pk, reason="上交"),
     {"comm_a1": OK, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_a": HIDDEN, "sub_b": HIDDEN, "erqi": HIDDEN, "jinshui": HIDDEN,
      "city": DENY, "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("assign", at_sub, lambda w, u, m: svc.matter_assign(actor=u, matter=m.pk, lead=w.dept_erqi),
     {"sub_a": OK, "comm_a1": DENY, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_b": HIDDEN, "erqi": HIDDEN, "jinshui": HIDDEN,
      "city": HIDDEN, "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("reject", at_sub, lambda w, u, m: svc.matter_reject(actor=u, matter=m.pk, reason="非治理事项"),
     {"sub_a": OK, "comm_a1": DENY, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_b": HIDDEN, "erqi": HIDDEN, "jinshui": HIDDEN,
      "city": HIDDEN, "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("resolve", at_sub, lambda w, u, m: svc.matter_resolve(actor=u, matter=m.pk, resolution="已办结"),
     {"sub_a": OK, "comm_a1": DENY, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_b": HIDDEN, "erqi": HIDDEN, "jinshui": HIDDEN,
      "city": HIDDEN, "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("handle", assigned_sub, lambda w, u, m: svc.assignment_accept(actor=u, assignment=m.assignments.get().pk),
     {"h_cj": OK, "h_erqi": HIDDEN, "h_jinshui": HIDDEN, "sub_a": DENY, "comm_a1": DENY, "erqi": DENY, "city": DENY, "jinshui": DENY,
      "sub_b": DENY, "comm_a2": DENY, "comm_b1": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
    ("follow_up", assigned_sub, lambda w, u, m: svc.assignment_follow_up(actor=u, assignment=m.assignments.get().pk, note="请加快"),
     {"sub_a": OK, "comm_a1": DENY, "comm_a2": HIDDEN, "comm_b1": HIDDEN, "sub_b": HIDDEN, "erqi": HIDDEN, "jinshui": HIDDEN,
      "city": HIDDEN, "h_erqi": DENY, "h_cj": DENY, "h_jinshui": DENY, "resident": DENY, "resident2": DENY, "member": DENY, "nobody": DENY}),
]


@pytest.mark.parametrize("name,make,act,expected", CASES, ids=[c[0] for c in CASES])
def test_matrix(w: World, name: str, make: Callable[[World], Matter], act: Callable[[World, Any, Matter], Any],
                expected: dict[str, Any]) -> None:
    assert set(expected) == set(USERS)
    got = {}
    for who in USERS:
        m = make(w)
        got[who] = outcome(lambda: act(w, w.u[who], m))  # noqa: B023 - called at once
    assert got == expected


def test_role_level_matrix(w: World) -> None:
    rows = {
        perms.VIEW: {"city", "erqi", "sub_a", "comm_a1", "h_erqi", "resident", "member"},
        perms.REPORT: {"city", "erqi", "sub_a", "comm_a1", "resident", "member"},
        perms.ACCEPT: {"comm_a1"},
        perms.ESCALATE: {"erqi", "sub_a", "comm_a1"},
        perms.HANDLE: {"h_erqi"},
        perms.CATALOGUE_MANAGE: {"city"},
        perms.IMPORT: {"city", "erqi"},
        perms.READ_PHONE: {"city", "erqi", "sub_a", "comm_a1"},
    }
    for action, allowed in rows.items():
        for who in ("city", "erqi", "sub_a", "comm_a1", "h_erqi", "resident", "member", "nobody"):
            assert can(w.u[who], action) == (who in allowed), (action, who)
    w.u["nobody"].is_active = False
    assert not can(w.u["nobody"], perms.VIEW)


def test_a_resident_sees_and_attaches_only_his_own(w: World) -> None:
    from gongjian.matters import selectors as sel

    own = report(w, actor="resident")
    other = report(w, actor="resident2")
    staff = report(w)
    ids = set(sel.matter_list(actor=w.u["resident"]).values_list("pk", flat=True))
    assert ids == {own.pk}
    for m in (other, staff):
        with pytest.raises(NotFound):
            sel.matter_get(actor=w.u["resident"], id=m.pk)
    assert sel.work_queue(actor=w.u["resident"]).keys() == {"mine"}
