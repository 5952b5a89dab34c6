"""The building blocks of figure definitions (``core.registry.Figure``), written once for every module.

A figure is a query over records in a region's subtree, "as of now" or in a period (``Period``); these
helpers turn a region and a period into the ``Q`` objects of that query and a records function into
a ``compute``. Periods are compared as instants (the first instant of a local day), so PostgreSQL uses
the index on the column instead of casting every row to a date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .registry import Period
from .scope import path_prefix_q

Records = Callable[[Any, Period | None], Any]


def region_path(region: Any) -> str:
    """The region's materialised path ("" for none: the whole deployment)."""
    return getattr(region, "path", "") or ""


def in_region(region: Any, field: str = "region_path") -> Q:
    """Records whose ``field`` lies in the region's subtree (everything without a region)."""
    path = region_path(region)
    return path_prefix_q(field, path) if path else Q()


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of a local day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def before_end(field: str, period: Period) -> Q:
    """``field`` before the end of the period's last day."""
    return Q(**{f"{field}__lt": day_start(period.end + dt.timedelta(days=1))})


def in_period(field: str, period: Period | None) -> Q:
    """``field`` within the period (no condition as of now)."""
    if period is None:
        return Q()
    return Q(**{f"{field}__gte": day_start(period.start)}) & before_end(field, period)


def year_or(period: Period | None) -> Period:
    """The period, or the current calendar year."""
    return period or Period.year(timezone.localdate().year)


def count_of(records: Records) -> Callable[[Any, Period | None], int]:
    """A figure's ``compute`` that counts its records."""
    return lambda region, period: records(region, period).count()


def rate(numerator: int | float | Decimal, denominator: int | float | Decimal) -> float:
    """A percentage with one decimal (0 when there is nothing to divide by)."""
    return round(100.0 * float(numerator) / float(denominator), 1) if denominator else 0.0
