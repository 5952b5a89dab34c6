"""Services of posts, brands, activities, shifts, sign-ups, check-in codes and hours: what works and what must fail (and
then change nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.models import AuditEvent, Notification
from gongjian.volunteering.activities import codes
from gongjian.volunteering.activities import selectors as sel
from gongjian.volunteering.activities import services as svc
from gongjian.volunteering.choices import ActivityStatus, CodeKind, HoldingStatus, HourKind, HourStatus, ReportInStatus, SignupStatus
from gongjian.volunteering.models import CodeUse, HourRecord, PostHolding, ServicePost, Shift, Signup

from .domain import World, w_fixture  # noqa: F401
from .test_activities_world import activity, move_shift, new_member, ready, report_in

pytestmark = pytest.mark.django_db


# --- posts ---------------------------------------------------------------------------------------


def test_post_apply_approve_never_more_than_needed(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="building_chief", name="3号楼楼栋长", needed=1, skills="热心")
    h1 = svc.holding_apply(actor=w.u["m1"], post=p, note="我住3号楼")
    acc, _m = new_member(w, 1)
    h2 = svc.holding_apply(actor=acc, post=p)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.holding_approve(actor=w.u["comm_a1"], holding=h1).status == HoldingStatus.APPROVED
    with pytest.raises(Conflict):
        svc.holding_approve(actor=w.u["comm_a1"], holding=h2)
    assert PostHolding.objects.get(pk=h2.pk).status == HoldingStatus.APPLIED
    svc.holding_reject(actor=w.u["comm_a1"], holding=h2, reason="人数已满")
    assert PostHolding.objects.get(pk=h2.pk).reason == "人数已满"
    assert Notification.objects.filter(user=w.u["m1"]).exists()
    assert [h.post.name for h in sel.my_holdings(actor=w.u["m1"])] == ["3号楼楼栋长"]
    # the post cannot go below its holders; ending a holding frees the place
    with pytest.raises(ValidationError):
        svc.post_update(actor=w.u["comm_a1"], post=p, kind="building_chief", name="3号楼楼栋长", needed=0)
    svc.holding_end(actor=w.u["comm_a1"], holding=h1, reason="搬家")
    assert PostHolding.objects.get(pk=h1.pk).status == HoldingStatus.ENDED


def test_post_failures_change_nothing(w: World) -> None:
    ready(w)
    p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="mediator", name="调解员", needed=2)
    with pytest.raises(Conflict):
        svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="mediator", name="调解员", needed=2)
    with pytest.raises(NotFound):  # another community's admin
        svc.post_create(actor=w.u["comm_b1"], community=w.tree.comm_a1, kind="mediator", name="x", needed=1)
    with pytest.raises(NotFound):
        svc.post_close(actor=w.u["comm_b1"], post=p)
    with pytest.raises(ValidationError) as e:
        svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="bogus", name="", needed="x")
    assert set(e.value.details) == {"kind", "name", "needed"}
    with pytest.raises(NotFound):  # m2 reported in to 路砦社区, not 淮河社区
        svc.holding_apply(actor=w.u["m2"], post=p)
    h = svc.holding_apply(actor=w.u["m1"], post=p)
    with pytest.raises(Conflict):
        svc.holding_apply(actor=w.u["m1"], post=p)
    with pytest.raises(ValidationError):
        svc.holding_reject(actor=w.u["comm_a1"], holding=h, reason=" ")
    with pytest.raises(NotFound):
        svc.holding_approve(actor=w.u["comm_b1"], holding=h)
    with pytest.raises(PermissionDenied):
        svc.holding_approve(actor=w.u["m1"], holding=h)
    svc.holding_withdraw(actor=w.u["m1"], holding=h)
    with pytest.raises(TransitionError):
        svc.holding_approve(actor=w.u["comm_a1"], holding=h)
    svc.post_close(actor=w.u["comm_a1"], post=p)
    with pytest.raises(ValidationError):
        svc.holding_apply(actor=w.u["m1"], post=p)
    assert PostHolding.objects.count() == 1 and ServicePost.objects.count() == 1


def test_member_without_confirmed_report_in_is_told_to_report_in(w: World) -> None:
    report_in(w.m["m1"], w.tree.comm_a1, status=ReportInStatus.PENDING)
    _a, s = activity(w)
    with pytest.raises(PermissionDenied) as e:
        svc.signup_create(actor=w.u["m1"], shift=s)
    assert e.value.code == "no_report_in"
    with pytest.raises(PermissionDenied):
        svc.signup_create(actor=w.u["nobody"], shift=s)
    assert not Signup.objects.exists()


# --- brands --------------------------------------------------------------------------------------


def test_brand_reach_per_month(w: World) -> None:
    b = svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="四点钟课堂", target_group="双职工家庭的孩子",
                         schedule="每周一至五 16:00")
    with pytest.raises(Conflict):
        svc.brand_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, name="四点钟课堂")
    for served, days in ((12, -40), (8, -39), (30, -5)):
        a = svc.activity_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, title="课堂", brand=b)
        start = timezone.now() + dt.timedelta(days=days)
        svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=3,
                         signup_cutoff=start - dt.timedelta(hours=1))
        svc.activity_publish(actor=w.u["comm_a1"], activity=a)
        svc.activity_finish(actor=w.u["comm_a1"], activity=a, people_served=served)
    reach = sel.brand_reach(b)
    assert sum(r["people"] for r in reach) == 50
    assert reach[-1]["people"] == 30
    other = svc.brand_create(actor=w.u["comm_a2"], community=w.tree.comm_a2, name="x")
    with pytest.raises(ValidationError):
        svc.activity_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, title="课堂", brand=other)


# --- activities and shifts -----------------------------------------------------------------------


def test_activity_lifecycle_and_bad_input(w: World) -> None:
    a = svc.activity_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, title="清洁家园")
    with pytest.raises(ValidationError):  # no shift yet
        svc.activity_publish(actor=w.u["comm_a1"], activity=a)
    start = timezone.now() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as e:
        svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at=start, ends_at=start - dt.timedelta(hours=1), capacity=0,
                         signup_cutoff=start + dt.timedelta(hours=1))
    assert set(e.value.details) == {"ends_at", "capacity", "signup_cutoff"}
    with pytest.raises(ValidationError):
        svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at="not a date\x00", ends_at="2026-13-01", capacity="10")
    with pytest.raises(NotFound):
        svc.shift_create(actor=w.u["comm_b1"], activity=a, starts_at=start, ends_at=start + dt.timedelta(hours=1), capacity=3)
    assert not Shift.objects.exists()
    svc.shift_create(actor=w.u["comm_a1"], activity=a, starts_at=start.isoformat(), ends_at=(start + dt.timedelta(hours=2)).isoformat(),
                     capacity="3")
    svc.activity_publish(actor=w.u["comm_a1"], activity=a)
    with pytest.raises(TransitionError):
        svc.activity_publish(actor=w.u["comm_a1"], activity=a)
    svc.activity_finish(actor=w.u["comm_a1"], activity=a, people_served=20)
    with pytest.raises(TransitionError):
        svc.activity_cancel(actor=w.u["comm_a1"], activity=a, reason="雨")
    assert AuditEvent.objects.filter(verb="volunteering.activity.finish").count() == 1


def test_liaison_publishes_for_his_unit_only(w: World) -> None:
    a = svc.activity_create(actor=w.u["liaison_a"], community=w.tree.comm_a1, title="单位进社区", unit=w.unit_a)
    assert a.unit_id == w.unit_a.pk
    with pytest.raises(NotFound):
        svc.activity_create(actor=w.u["liaison_a"], community=w.tree.comm_a1, title="x", unit=w.unit_b)
    with pytest.raises(NotFound):
        svc.activity_create(actor=w.u["liaison_a"], community=w.tree.comm_a1, title="x")
    assert [x.pk for x in sel.activity_list(actor=w.u["liaison_a"])] == [a.pk]
    assert [x.pk for x in sel.activity_list(actor=w.u["liaison_b"])] == []


# --- sign-ups and the waiting list ----------------------------------------------------------------


def test_signup_full_waiting_list_and_promotion(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    _a, s = activity(w, capacity=2)
    people = [new_member(w, i) for i in range(4)]
    signs = [svc.signup_create(actor=acc, shift=s) for acc, _m in people[:3]]
    assert [x.status for x in signs] == [SignupStatus.CONFIRMED, SignupStatus.CONFIRMED, SignupStatus.WAITING]
    assert signs[2].position == 1
    with pytest.raises(Conflict) as e:  # prefers a clear answer to the waiting list
        svc.signup_create(actor=people[3][0], shift=s, wait=False)
    assert e.value.code == "full" and "已满" in str(e.value.message)
    w4 = svc.signup_create(actor=people[3][0], shift=s)
    assert w4.position == 2
    with pytest.raises(Conflict):  # once per shift
        svc.signup_create(actor=people[0][0], shift=s)
    with django_capture_on_commit_callbacks(execute=True):
        svc.signup_cancel(actor=people[0][0], signup=signs[0])
    moved = Signup.objects.get(pk=signs[2].pk)
    assert moved.status == SignupStatus.CONFIRMED and moved.promoted_at is not None
    assert Notification.objects.filter(user=people[2][0], verb="volunteering.promoted").exists()
    assert Shift.objects.get(pk=s.pk).taken == 2
    svc.signup_cancel(actor=people[1][0], signup=signs[1])
    svc.signup_cancel(actor=people[3][0], signup=w4)  # w4 had moved up when the second place was given back
    assert Shift.objects.get(pk=s.pk).taken == 1
    # signs up again after cancelling
    again = svc.signup_create(actor=people[0][0], shift=s)
    assert again.status == SignupStatus.CONFIRMED and Shift.objects.get(pk=s.pk).taken == 2


def test_signup_refusals_change_nothing(w: World) -> None:
    ready(w)
    _a, s = activity(w, capacity=5)
    _a2, s_other = activity(w, community=w.tree.comm_a2, admin="comm_a2")
    with pytest.raises(NotFound):  # another community's shift
        svc.signup_create(actor=w.u["m1"], shift=s_other)
    _draft, s_draft = activity(w, publish=False)
    with pytest.raises(ValidationError):
        svc.signup_create(actor=w.u["m1"], shift=s_draft)
    move_shift(s, starts_in=dt.timedelta(minutes=30))  # the cut-off (an hour before) has passed
    with pytest.raises(ValidationError) as e:
        svc.signup_create(actor=w.u["m1"], shift=s)
    assert e.value.code == "closed"
    _a3, s3 = activity(w)
    svc.shift_cancel(actor=w.u["comm_a1"], shift=s3, reason="场地维修")
    with pytest.raises(ValidationError) as e:
        svc.signup_create(actor=w.u["m1"], shift=s3)
    assert e.value.code == "cancelled"
    with pytest.raises(PermissionDenied):
        svc.signup_create(actor=w.u["comm_a1"], shift=s3)
    assert not Signup.objects.exists()
    assert Shift.objects.get(pk=s.pk).taken == 0


def test_cancel_after_cutoff_refused(w: World) -> None:
    ready(w)
    _a, s = activity(w)
    sign = svc.signup_create(actor=w.u["m1"], shift=s)
    move_shift(s, starts_in=dt.timedelta(minutes=20))
    with pytest.raises(ValidationError):
        svc.signup_cancel(actor=w.u["m1"], signup=sign)
    with pytest.raises(NotFound):  # someone else's sign-up
        svc.signup_cancel(actor=w.u["m2"], signup=sign)
    assert Signup.objects.get(pk=sign.pk).status == SignupStatus.CONFIRMED


def test_capacity_raise_moves_the_waiting_list_up(w: World) -> None:
    ready(w)
    _a, s = activity(w, capacity=1)
    people = [new_member(w, i) for i in range(3)]
    for acc, _m in people:
        svc.signup_create(actor=acc, shift=s)
    svc.shift_update(actor=w.u["comm_a1"], shift=s, starts_at=s.starts_at, ends_at=s.ends_at, capacity=2, signup_cutoff=s.signup_cutoff)
    assert Signup.objects.filter(shift=s, status=SignupStatus.CONFIRMED).count() == 2
    assert Shift.objects.get(pk=s.pk).taken == 2
    with pytest.raises(ValidationError):
        svc.shift_update(actor=w.u["comm_a1"], shift=s, starts_at=s.starts_at, ends_at=s.ends_at, capacity=1)


def test_activity_cancel_cancels_signups_and_tells_members(w: World, django_capture_on_commit_callbacks: Any) -> None:
    ready(w)
    a, s = activity(w)
    svc.signup_create(actor=w.u["m1"], shift=s)
    with django_capture_on_commit_callbacks(execute=True):
        svc.activity_cancel(actor=w.u["comm_a1"], activity=a, reason="暴雨预警")
    assert Signup.objects.get().status == SignupStatus.CANCELLED
    assert Shift.objects.get(pk=s.pk).is_cancelled
    assert Notification.objects.filter(user=w.u["m1"], verb="volunteering.shift_cancelled").exists()


# --- check-in codes ------------------------------------------------------------------------------


def _checked_in(w: World) -> tuple[Any, Shift, Signup]:
    ready(w)
    a, s = activity(w)
    sign = svc.signup_create(actor=w.u["m1"], shift=s)
    move_shift(s, starts_in=dt.timedelta(minutes=-10))
    return a, s, sign


def test_check_in_and_out_by_code_credits_hours_once(w: World) -> None:
    _a, s, sign = _checked_in(w)
    svc.check_by_code(actor=w.u["m1"], token=codes.make_token(s, CodeKind.CHECK_IN), shift=s.pk)
    done = Signup.objects.get(pk=sign.pk)
    assert done.checked_in_at is not None and done.checked_by is None
    Signup.objects.filter(pk=sign.pk).update(checked_in_at=timezone.now() - dt.timedelta(hours=2, minutes=3))
    svc.check_by_code(actor=w.u["m1"], token=codes.make_token(s, CodeKind.CHECK_OUT))
    r = HourRecord.objects.get(signup=sign)
    assert r.kind == HourKind.SHIFT and r.status == HourStatus.PENDING and r.hours == Decimal("2.1")
    with pytest.raises(Conflict) as e:  # a second check-out: nothing more credited
        svc.check_by_code(actor=w.u["m1"], token=codes.make_token(s, CodeKind.CHECK_OUT))
    assert e.value.code == "already_out"
    assert HourRecord.objects.count() == 1


def test_hours_capped_by_the_shift_length(w: World) -> None:
    _a, _s, sign = _checked_in(w)
    svc.check_by_staff(actor=w.u["comm_a1"], signup=sign, kind="in")
    Signup.objects.filter(pk=sign.pk).update(checked_in_at=timezone.now() - dt.timedelta(hours=9))
    svc.check_by_staff(actor=w.u["comm_a1"], signup=sign, kind="out")
    assert HourRecord.objects.get().hours == Decimal("3.0")
    assert Signup.objects.get(pk=sign.pk).checked_by == w.u["comm_a1"]
    with pytest.raises(Conflict):
        svc.check_by_staff(actor=w.u["comm_a1"], signup=sign, kind="out")
    with pytest.raises(NotFound):
        svc.check_by_staff(actor=w.u["comm_b1"], signup=sign, kind="in")


@pytest.mark.parametrize("case", ["forged", "tampered", "expired", "reused", "wrong_shift", "renewed", "no_place", "outside_window",
                                  "expected_other"])
def test_bad_codes_are_refused_and_record_nothing(w: World, case: str) -> None:
    _a, s, sign = _checked_in(w)
    _a2, other = activity(w)
    token = codes.make_token(s, CodeKind.CHECK_IN)
    kwargs: dict[str, Any] = {}
    if case == "forged":
        token = signing.dumps({"s": s.pk, "k": s.code_key, "t": "in", "n": "abc"}, salt="something else")
    elif case == "tampered":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif case == "expired":
        token = codes.make_token(s, CodeKind.CHECK_IN)
        real = codes.CODE_MAX_AGE
        codes.CODE_MAX_AGE = -1
    elif case == "reused":
        svc.check_by_code(actor=w.u["m1"], token=token)
        Signup.objects.filter(pk=sign.pk).update(checked_in_at=None)
    elif case == "wrong_shift":
        move_shift(other, starts_in=dt.timedelta(minutes=-5))
        token = codes.make_token(other, CodeKind.CHECK_IN)
    elif case == "renewed":
        svc.shift_rotate_key(actor=w.u["comm_a1"], shift=s)
    elif case == "no_place":
        Signup.objects.filter(pk=sign.pk).update(status=SignupStatus.WAITING)
    elif case == "outside_window":
        move_shift(s, starts_in=dt.timedelta(hours=-8))
    elif case == "expected_other":
        kwargs["shift"] = other.pk
    uses = CodeUse.objects.count()
    try:
        with pytest.raises(ValidationError) as e:
            svc.check_by_code(actor=w.u["m1"], token=token, **kwargs)
    finally:
        if case == "expired":
            codes.CODE_MAX_AGE = real
    assert str(e.value.message)
    assert Signup.objects.get(pk=sign.pk).checked_in_at is None
    assert CodeUse.objects.count() == uses


def test_expired_code_message(w: World) -> None:
    _a, s, _sign = _checked_in(w)
    token = codes.make_token(s, CodeKind.CHECK_IN)
    with pytest.raises(ValidationError) as e:
        codes.read_token(token, max_age=-1)
    assert e.value.code == "code_expired"


# --- hours and points ----------------------------------------------------------------------------


def _pending_hours(w: World) -> HourRecord:
    _a, _s, sign = _checked_in(w)
    svc.check_by_staff(actor=w.u["comm_a1"], signup=sign, kind="in")
    Signup.objects.filter(pk=sign.pk).update(checked_in_at=timezone.now() - dt.timedelta(hours=1, minutes=30))
    svc.check_by_staff(actor=w.u["comm_a1"], signup=sign, kind="out")
    return HourRecord.objects.get()


def test_confirm_hours_points_by_rule(w: World) -> None:
    r = _pending_hours(w)
    svc.point_rule_update(actor=w.u["city"], per_hour=12, per_task=5, per_pledge=20)
    with pytest.raises(PermissionDenied):
        svc.point_rule_update(actor=w.u["comm_a1"], per_hour=99, per_task=5, per_pledge=20)
    assert not sel.hour_list(actor=w.u["comm_b1"]).filter(pk=r.pk).exists()
    assert svc.hours_confirm(actor=w.u["comm_b1"], records=[r.pk]) == 0  # out of scope: nothing
    assert svc.hours_confirm(actor=w.u["comm_a1"], records=[r.pk]) == 1
    r.refresh_from_db()
    assert r.status == HourStatus.CONFIRMED and r.points == 18  # 1.5 h x 12
    mine = sel.my_hours(actor=w.u["m1"])
    assert mine["confirmed_hours"] == Decimal("1.5") and mine["points"] == 18


def test_member_cannot_confirm_own_hours(w: World) -> None:
    r = _pending_hours(w)
    with pytest.raises(PermissionDenied):
        svc.hours_confirm(actor=w.u["m1"], records=[r.pk])
    # an administrator who is himself the member
    from gongjian.accounts.choices import Role
    from gongjian.accounts.models import Scope

    Scope.objects.create(user=w.u["m1"], role=Role.COMMUNITY_ADMIN, kind="region", region=w.tree.comm_a1)
    from gongjian.core.scope import forget_scopes

    forget_scopes(w.u["m1"])
    with pytest.raises(PermissionDenied):
        svc.hours_confirm(actor=w.u["m1"], records=[r.pk])
    assert HourRecord.objects.get().status == HourStatus.PENDING


def test_reject_hours_in_bulk_needs_a_reason(w: World) -> None:
    r = _pending_hours(w)
    with pytest.raises(ValidationError):
        svc.hours_reject(actor=w.u["comm_a1"], records=[r.pk], reason="")
    assert svc.hours_reject(actor=w.u["comm_a1"], records=[r.pk, 999999], reason="未到岗") == 1
    assert HourRecord.objects.get().status == HourStatus.REJECTED


def test_credit_post_and_task_hours(w: World) -> None:
    ready(w)
    p = svc.post_create(actor=w.u["comm_a1"], community=w.tree.comm_a1, kind="grid", name="网格员", needed=1)
    h = svc.holding_apply(actor=w.u["m1"], post=p)
    with pytest.raises(ValidationError):  # not holding the post yet
        svc.hours_credit(actor=w.u["comm_a1"], member=w.m["m1"], community=w.tree.comm_a1, kind="post", post=p, hours="2",
                         date=timezone.localdate())
    svc.holding_approve(actor=w.u["comm_a1"], holding=h)
    r = svc.hours_credit(actor=w.u["comm_a1"], member=w.m["m1"], community=w.tree.comm_a1, kind="post", post=p, hours="2",
                         date=timezone.localdate())
    assert r.status == HourStatus.CONFIRMED and r.points == 20
    t = svc.hours_credit(actor=w.u["comm_a1"], member=w.m["m1"], community=w.tree.comm_a1, kind="task", hours="1", date=timezone.localdate())
    assert t.points == 15
    with pytest.raises(ValidationError) as e:
        svc.hours_credit(actor=w.u["comm_a1"], member=w.m["m2"], community=w.tree.comm_a1, kind="shift", hours="30",
                         date=timezone.localdate() + dt.timedelta(days=3))
    assert set(e.value.details) == {"kind", "hours", "date", "member"}
    with pytest.raises(NotFound):
        svc.hours_credit(actor=w.u["comm_b1"], member=w.m["m1"], community=w.tree.comm_a1, kind="task", hours="1", date=timezone.localdate())
    assert HourRecord.objects.count() == 2


# --- leaderboard ---------------------------------------------------------------------------------


def test_leaderboard_ranks_confirmed_hours(w: World) -> None:
    ready(w)
    today = timezone.localdate()
    people = [new_member(w, i) for i in range(3)]
    for (_acc, m), hours in zip(people, ("5", "3", "5"), strict=True):
        svc.hours_credit(actor=w.u["comm_a1"], member=m, community=w.tree.comm_a1, kind="task", hours=hours, date=today)
    HourRecord.objects.create(member=w.m["m1"], community=w.tree.comm_a1, region_path=w.tree.comm_a1.path, kind="task", date=today,
                              hours=Decimal("9"), status=HourStatus.PENDING)  # pending: not counted
    rows = sel.leaderboard(actor=w.u["comm_a1"], community=w.tree.comm_a1.pk, year=today.year)
    assert [r["rank"] for r in rows] == [1, 1, 3]
    assert rows[2]["name"] == "志愿者1" and rows[2]["hours"] == Decimal("3")
    assert set(rows[0]) == {"member_id", "name", "hours", "points", "rank"}
    assert sel.leaderboard(actor=w.u["m1"], community=w.tree.comm_a1, year=today.year)[0]["hours"] == Decimal("5")
    with pytest.raises(NotFound):
        sel.leaderboard(actor=w.u["comm_b1"], community=w.tree.comm_a1)
    with pytest.raises(NotFound):
        sel.leaderboard(actor=w.u["m2"], community=w.tree.comm_a1)
    assert sel.leaderboard(actor=w.u["comm_a1"], community=w.tree.comm_a1, year=today.year - 1) == []


def test_status_left_untouched_by_finish_of_others(w: World) -> None:
    a, _s = activity(w)
    with pytest.raises(NotFound):
        svc.activity_finish(actor=w.u["comm_b1"], activity=a, people_served=3)
    assert type(a).objects.get(pk=a.pk).status == ActivityStatus.PUBLISHED
