"""The permission-matrix runner of the volunteering parts' tests (``test_<part>_permissions.py``).

Every registered action of a part has at least one ``Case``: a record made fresh for each user (in 淮河社区, 二七区 ›
淮河路街道, unless the case says otherwise), the call, the outcome expected for every user of the world, and the state
that a refused call must leave unchanged (with no audit event written)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.models import AuditEvent
from gongjian.volunteering.choices import ReportInStatus
from gongjian.volunteering.models import FeedbackReceipt, MemberReportIn

from .domain import World

OK, DENY, HIDDEN = "ok", 403, 404
USERS = ("city", "erqi", "jinshui", "sub_a", "comm_a1", "comm_a2", "comm_b1", "liaison_a", "liaison_b", "resident", "m1", "m2",
         "nobody")
ADMINS_IN = {"city": OK, "erqi": OK, "sub_a": OK, "comm_a1": OK}  # 淮河社区 lies in their area
ADMINS_OUT = {"jinshui": HIDDEN, "comm_a2": HIDDEN, "comm_b1": HIDDEN}  # another district, communities next door


def expect(default: Any = DENY, **cells: Any) -> dict[str, Any]:
    """Every user's outcome: ``default`` unless named."""
    return {who: cells.get(who, default) for who in USERS}


@dataclass
class Case:
    name: str
    make: Callable[[World], Any]  # a fresh record for one user's attempt
    act: Callable[[World, Any, Any], Any]  # (world, user, record)
    expected: dict[str, Any]
    state: Callable[[Any], Any] = lambda obj: None  # what a refused call must not change
    noted: bool = False  # a bulk call out of scope decides on no record but notes the empty attempt in the audit log


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        fn()
    except NotFound:
        return HIDDEN
    except PermissionDenied:
        return DENY
    return OK


def run(w: World, case: Case) -> None:
    assert set(case.expected) == set(USERS), case.name
    got = {}
    for who in USERS:
        obj = case.make(w)
        before, events = case.state(obj), AuditEvent.objects.count()
        got[who] = outcome(lambda: case.act(w, w.u[who], obj))  # noqa: B023 - called at once
        if got[who] != OK:
            assert case.state(obj) == before, (case.name, who)
            assert case.noted or AuditEvent.objects.count() == events, (case.name, who)
    assert got == case.expected, (case.name, {k: (got[k], case.expected[k]) for k in USERS if got[k] != case.expected[k]})


def confirmed(w: World, key: str, community: Any) -> MemberReportIn:
    """The member's report-in to ``community``, confirmed."""
    member = w.m[key]
    FeedbackReceipt.objects.filter(member=member).delete()
    MemberReportIn.objects.filter(member=member).delete()
    return MemberReportIn.objects.create(member=member, community=community, region_path=community.path, unit=member.employer_unit,
                                         status=ReportInStatus.CONFIRMED, reported_at=timezone.now(), confirmed_at=timezone.now())


def refresh(obj: Any, *fields: str) -> tuple[Any, ...]:
    obj.refresh_from_db()
    return tuple(getattr(obj, f) for f in fields)
