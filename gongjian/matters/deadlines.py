"""Deadlines of matters: calendar hours, working days on the holiday calendar, and the rules by urgency.

* A **working day** is Monday to Friday, unless the ``Holiday`` table says otherwise: a public
  holiday (``is_workday=False``) is off even on a weekday, a make-up day (调休, ``is_workday=True``)
  is worked even on a Saturday or Sunday.
* ``add_working_days(start, n)`` counts ``n`` working days *after* the day of ``start`` and ends at
  the end of the last one (23:59:59 local time): "办结时限 7 个工作日" reported on a Friday
  afternoon ends on the second Tuesday evening; a national-day week adds the week.
* ``deadline_for(urgency, start)`` returns ``(accept_due, resolve_due)`` from the ``DeadlineRule``
  of that urgency. The time to accept (response) is always calendar hours — the first receiver
  answers around the clock; the time to resolve is calendar hours or days, or working days when the
  rule says so.

Defaults (data migration 0002; city administrators change them):

============  ==========  ==========================  ================
urgency       accept      resolve                      remind before
============  ==========  ==========================  ================
emergency     1 hour      2 hours                      1 hour
utilities     2 hours     24 hours                     4 hours
general       24 hours    7 working days               24 hours
complex       24 hours    15 working days              48 hours
============  ==========  ==========================  ================

Rules and holidays are read once per process and kept until a service changes them
(``invalidate()`` bumps a version in the shared cache, so every process reloads on its next call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from .choices import Urgency
from .models import DeadlineRule, Holiday

_VERSION_KEY = "matters:deadlines:version"
END_OF_DAY = dt.time(23, 59, 59)
MAX_WORKING_DAYS = 3660  # a guard against an endless search through a calendar of holidays


@dataclass(frozen=True)
class Rule:
    urgency: str
    accept_hours: int
    resolve_hours: int | None
    resolve_days: int | None
    working_days: bool
    remind_before_hours: int


DEFAULT_RULES: dict[str, Rule] = {
    Urgency.EMERGENCY: Rule(Urgency.EMERGENCY, 1, 2, None, False, 1),
    Urgency.UTILITIES: Rule(Urgency.UTILITIES, 2, 24, None, False, 4),
    Urgency.GENERAL: Rule(Urgency.GENERAL, 24, None, 7, True, 24),
    Urgency.COMPLEX: Rule(Urgency.COMPLEX, 24, None, 15, True, 48),
}

_state: dict[str, Any] = {"version": None, "rules": None, "holidays": None}


def invalidate() -> None:
    """Rules or holidays changed: every process reloads them on its next call."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 1, None)
    _state.update(version=None, rules=None, holidays=None)


def _fresh() -> None:
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.set(_VERSION_KEY, 0, None)
        version = 0
    if _state["version"] != version:
        _state.update(version=version, rules=None, holidays=None)


def rules() -> dict[str, Rule]:
    """The rule of every urgency (the defaults fill any urgency without a row)."""
    _fresh()
    if _state["rules"] is None:
        loaded = dict(DEFAULT_RULES)
        for r in DeadlineRule.objects.all():
            loaded[r.urgency] = Rule(r.urgency, r.accept_hours, r.resolve_hours, r.resolve_days, r.working_days, r.remind_before_hours)
        _state["rules"] = loaded
    return _state["rules"]


def rule(urgency: str) -> Rule:
    return rules().get(urgency) or DEFAULT_RULES[Urgency.GENERAL]


def holidays() -> dict[dt.date, bool]:
    """date → is it worked (True for a make-up day, False for a holiday)."""
    _fresh()
    if _state["holidays"] is None:
        _state["holidays"] = dict(Holiday.objects.values_list("date", "is_workday"))
    return _state["holidays"]


def is_working_day(day: dt.date, calendar: dict[dt.date, bool] | None = None) -> bool:
    cal = holidays() if calendar is None else calendar
    if day in cal:
        return cal[day]
    return day.weekday() < 5


def _local(start: dt.datetime) -> dt.datetime:
    if timezone.is_naive(start):
        start = timezone.make_aware(start)
    return timezone.localtime(start)


def add_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """Calendar hours (weekends and holidays count)."""
    return start + dt.timedelta(hours=hours)


def add_working_days(start: dt.datetime, days: int, calendar: dict[dt.date, bool] | None = None) -> dt.datetime:
    """The end (23:59:59 local) of the ``days``-th working day after the day of ``start``.

    ``days == 0`` ends the day of ``start`` itself (or the next working day if that is not one).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    cal = holidays() if calendar is None else calendar
    local = _local(start)
    day = local.date()
    counted = 0
    if days == 0:
        steps = 0
        while not is_working_day(day, cal):
            day += dt.timedelta(days=1)
            steps += 1
            if steps > MAX_WORKING_DAYS:
                raise ValueError("no working day found in the calendar")
    steps = 0
    while counted < days:
        day += dt.timedelta(days=1)
        steps += 1
        if steps > MAX_WORKING_DAYS:
            raise ValueError("no working day found in the calendar")
        if is_working_day(day, cal):
            counted += 1
    return timezone.make_aware(dt.datetime.combine(day, END_OF_DAY), timezone.get_current_timezone())


def working_days_between(start: dt.date, end: dt.date, calendar: dict[dt.date, bool] | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not after ``start``)."""
    cal = holidays() if calendar is None else calendar
    n = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, cal):
            n += 1
    return n


def resolve_due(urgency: str, start: dt.datetime) -> dt.datetime:
    r = rule(urgency)
    if r.resolve_hours is not None:
        return add_hours(start, r.resolve_hours)
    days = r.resolve_days or 0
    if r.working_days:
        return add_working_days(start, days)
    return start + dt.timedelta(days=days)


def deadline_for(urgency: str, start: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``(accept_due, resolve_due)`` for a matter of ``urgency`` reported at ``start`` (default now)."""
    start = start or timezone.now()
    r = rule(urgency)
    return add_hours(start, r.accept_hours), resolve_due(urgency, start)


def remind_before(urgency: str) -> dt.timedelta:
    return dt.timedelta(hours=rule(urgency).remind_before_hours)
