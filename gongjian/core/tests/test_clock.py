"""The suite runs on a fixed, ticking clock (root conftest): no test depends on the day it runs."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from conftest import TEST_NOW


def test_the_suite_clock_is_fixed_and_ticks(clock) -> None:
    first = timezone.now()
    assert timezone.localdate() == TEST_NOW.date()
    assert dt.timedelta(0) <= first - TEST_NOW < dt.timedelta(minutes=5)
    assert timezone.now() >= first


def test_a_test_can_move_the_clock(clock) -> None:
    clock.move_to(dt.datetime(2027, 1, 1, 0, 30, tzinfo=TEST_NOW.tzinfo))
    assert timezone.localdate() == dt.date(2027, 1, 1)
