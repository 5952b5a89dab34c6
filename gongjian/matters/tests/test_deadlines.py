"""Working days on the holiday calendar (a 国庆 week with make-up Saturdays, 春节), and the rules by urgency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gongjian.core.errors import PermissionDenied, ValidationError
from gongjian.matters import deadlines
from gongjian.matters import services as svc
from gongjian.matters.models import DeadlineRule, Holiday

from .domain import World, w_fixture  # noqa: F401 - the fixture "w"

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)


def local(y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=timezone.get_current_timezone())


def national_day_2026() -> None:
    # 2026: 10-01 (Thu) … 10-07 (Wed) off; make-up working days Sunday 09-27 and Saturday 10-10
    for day in range(1, 8):
        Holiday.objects.create(date=dt.date(2026, 10, day), name="国庆节")
    Holiday.objects.create(date=dt.date(2026, 9, 27), name="国庆节调休", is_workday=True)
    Holiday.objects.create(date=dt.date(2026, 10, 10), name="国庆节调休", is_workday=True)
    deadlines.invalidate()


def spring_festival_2027() -> None:
    # 2027: 02-06 (Sat) … 02-13 (Sat) off; make-up Sunday 01-31 and Sunday 02-14 worked… here: 02-14 worked
    for day in range(6, 14):
        Holiday.objects.create(date=dt.date(2027, 2, day), name="春节")
    Holiday.objects.create(date=dt.date(2027, 2, 14), name="春节调休", is_workday=True)
    deadlines.invalidate()


def test_plain_weeks() -> None:
    deadlines.invalidate()
    # Friday afternoon + 1 working day = Monday evening; + 5 = next Friday
    fri = local(2026, 11, 20, 15)
    assert deadlines.add_working_days(fri, 1) == local(2026, 11, 23, 23, 59).replace(second=59)
    assert deadlines.add_working_days(fri, 5).date() == dt.date(2026, 11, 27)
    # from a Saturday the count starts on Monday
    assert deadlines.add_working_days(local(2026, 11, 21), 1).date() == dt.date(2026, 11, 23)
    # zero days: the end of the same working day, or of the next one
    assert deadlines.add_working_days(local(2026, 11, 21), 0).date() == dt.date(2026, 11, 23)
    assert deadlines.add_working_days(fri, 0).date() == dt.date(2026, 11, 20)
    assert deadlines.add_hours(fri, 24) == fri + dt.timedelta(days=1)
    with pytest.raises(ValueError):
        deadlines.add_working_days(fri, -1)


def test_national_day_week_and_make_up_saturday() -> None:
    national_day_2026()
    assert deadlines.is_working_day(dt.date(2026, 9, 27))  # a Sunday, worked
    assert not deadlines.is_working_day(dt.date(2026, 10, 1))  # a Thursday, holiday
    assert deadlines.is_working_day(dt.date(2026, 10, 10))  # a Saturday, worked
    # reported Wednesday 09-30: the next working day is Thursday 10-08
    start = local(2026, 9, 30, 16)
    assert deadlines.add_working_days(start, 1).date() == dt.date(2026, 10, 8)
    # 7 working days: 10-08, 10-09, 10-10 (Sat, make-up), 10-12 … 10-15
    assert deadlines.add_working_days(start, 7).date() == dt.date(2026, 10, 15)
    # reported Saturday 09-26: Sunday 09-27 is the first working day counted
    assert deadlines.add_working_days(local(2026, 9, 26), 1).date() == dt.date(2026, 9, 27)
    assert deadlines.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 15)) == 7


def test_spring_festival() -> None:
    spring_festival_2027()
    start = local(2027, 2, 5, 9)  # Friday before the holiday
    assert deadlines.add_working_days(start, 1).date() == dt.date(2027, 2, 14)  # the make-up Sunday
    assert deadlines.add_working_days(start, 2).date() == dt.date(2027, 2, 15)
    assert deadlines.add_working_days(start, 15).date() == dt.date(2027, 3, 4)


def test_deadline_for_each_urgency_from_the_seeded_rules() -> None:
    national_day_2026()
    start = local(2026, 9, 30, 16)
    acc, res = deadlines.deadline_for("emergency", start)
    assert (acc - start, res - start) == (dt.timedelta(hours=1), dt.timedelta(hours=2))
    acc, res = deadlines.deadline_for("utilities", start)
    assert (acc - start, res - start) == (dt.timedelta(hours=2), dt.timedelta(hours=24))  # calendar hours, holidays count
    acc, res = deadlines.deadline_for("general", start)
    assert acc - start == dt.timedelta(hours=24) and res.date() == dt.date(2026, 10, 15)
    _acc, res = deadlines.deadline_for("complex", start)
    assert res.date() == dt.date(2026, 10, 27)
    assert deadlines.remind_before("complex") == dt.timedelta(hours=48)


def test_rules_are_cached_and_reloaded_after_a_change(w: World, django_assert_num_queries: object) -> None:
    deadlines.invalidate()
    deadlines.rules()
    deadlines.holidays()
    start = local(2026, 11, 20)
    with django_assert_num_queries(0):  # type: ignore[operator]
        for _ in range(5):
            deadlines.deadline_for("general", start)
    svc.rule_update(actor=w.u["city"], urgency="general", accept_hours=12, resolve_days=10, working_days=False, remind_before_hours=6)
    acc, res = deadlines.deadline_for("general", start)
    assert acc - start == dt.timedelta(hours=12) and res - start == dt.timedelta(days=10)
    svc.holiday_save(actor=w.u["city"], date="2026-11-23", name="测试假日")
    svc.rule_update(actor=w.u["city"], urgency="general", accept_hours=24, resolve_days=1, working_days=True)
    assert deadlines.add_working_days(start, 1).date() == dt.date(2026, 11, 24)
    h = Holiday.objects.get(date=dt.date(2026, 11, 23))
    svc.holiday_delete(actor=w.u["city"], holiday=h)
    assert deadlines.add_working_days(start, 1).date() == dt.date(2026, 11, 23)


def test_rule_and_holiday_validation_and_permission(w: World) -> None:
    with pytest.raises(PermissionDenied):
        svc.rule_update(actor=w.u["erqi"], urgency="general", accept_hours=1, resolve_days=1)
    with pytest.raises(ValidationError) as exc:
        svc.rule_update(actor=w.u["city"], urgency="later", accept_hours="", resolve_hours=2, resolve_days=3)
    assert {"urgency", "accept_hours", "resolve_days"} <= set(exc.value.details)
    assert DeadlineRule.objects.get(urgency="general").resolve_days == 7
    with pytest.raises(ValidationError):
        svc.holiday_save(actor=w.u["city"], date="国庆", name="")
    with pytest.raises(PermissionDenied):
        svc.holiday_save(actor=w.u["comm_a1"], date="2026-10-01", name="国庆节")
