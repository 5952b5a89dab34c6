"""Figures of the matters module: queries over records for any region and period, registered with the core.

A region counts the matters of its subtree by the community's path (``region_path``): the city sees
every matter, a subdistrict the matters raised in its communities, whichever level owns them now.
``records(region, period)`` returns the queryset behind each number (its ``count()`` is the number
for the counting figures; for a rate, the records of the denominator), so a figure can be drilled
down into.

Period semantics (``period=None`` means "as of now", i.e. over all records):

* raised: matters reported in the period (rejected ones included: they were raised);
* escalated: matters with an escalation in the period (their last one, ``escalated_at``, in it; or a
  timeline entry ``escalated`` in it when they were escalated again after the period); as of now,
  every matter escalated at least once (``escalation_count > 0``);
* coordinated: matters decided at a coordination meeting (``coordinated_at``) in the period;
* resolved: matters now resolved or closed whose resolution (``resolved_at``) falls in the period
  (a matter reopened after an unsatisfied callback no longer counts until resolved again);
* response rate: of the matters reported in the period that have been accepted, the share accepted
  by their ``accept_due`` (per cent);
* resolution rate: of the matters reported in the period and not rejected (a rejected matter is not a
  governance matter), the share now resolved or closed (per cent); the on-time variant counts only
  those resolved by their ``resolve_due``;
* satisfaction rate: of the callbacks recorded in the period (``callback_at``), the share satisfied
  or basically satisfied (per cent);
* overdue: matters open now and marked overdue by the sweep; in a period, those of them reported in
  the period;
* median hours to resolution: over the matters resolved in the period (as of now: all resolved or
  closed ones), the median of ``resolved_at − reported_at`` in hours (one decimal).

Departments (承办): the registry takes a region, so the department figures count the assignments of
the departments located in the region (``Department.region_path`` under the region's path: the city's
departments and every district's for the city, a district's own for a district, none below):
assignments made in the period, assignments open and overdue now, and the share of the results
reported in the period that came by the deadline. ``department_figures(department, period)`` gives
the same numbers for one department (its pages use it).

Every service that changes these records calls ``core.registry.bump("matters")``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gongjian.core.measures import count_of as _count
from gongjian.core.measures import day_start
from gongjian.core.measures import in_period as _in_period
from gongjian.core.measures import in_region as _in_region
from gongjian.core.measures import rate as _rate
from gongjian.core.registry import Figure, Period

from .choices import ASSIGNMENT_ACTIVE, MATTER_OPEN, AssignmentStatus, EventKind, MatterStatus, Satisfaction
from .models import Assignment, Matter, MatterEvent

MODULE = "matters"
RESOLVED_STATUSES = (MatterStatus.RESOLVED, MatterStatus.CLOSED)


def matters_of(region: Any) -> QuerySet[Matter]:
    return Matter.objects.filter(_in_region(region))


# --- counts ----------------------------------------------------------------------------------


def raised_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters raised in the region's communities (in a period: reported in it)."""
    return matters_of(region).filter(_in_period("reported_at", period))


def escalated_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters escalated at least once (in a period: with an escalation in it)."""
    qs = matters_of(region).filter(escalation_count__gt=0)
    if period is None:
        return qs
    return qs.filter(Q(escalated_at__isnull=False) & _in_period("escalated_at", period)) | qs.filter(
        pk__in=MatterEvent.objects.filter(_in_period("at", period), kind=EventKind.ESCALATED,
                                          matter__escalated_at__gte=day_start(period.end + dt.timedelta(days=1)))
        .values("matter_id"))


def coordinated_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters decided at a coordination meeting (in a period: coordinated in it)."""
    return matters_of(region).filter(coordinated_at__isnull=False).filter(_in_period("coordinated_at", period))


def resolved_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters now resolved or closed (in a period: resolved in it)."""
    return matters_of(region).filter(status__in=RESOLVED_STATUSES, resolved_at__isnull=False).filter(_in_period("resolved_at", period))


def overdue_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Open matters past a deadline (flagged by the overdue sweep); in a period: reported in it."""
    return matters_of(region).filter(status__in=MATTER_OPEN, is_overdue=True).filter(_in_period("reported_at", period))


# --- rates -----------------------------------------------------------------------------------


def accepted_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters reported in the period that have been accepted (the denominator of the response rate)."""
    return raised_records(region, period).filter(accepted_at__isnull=False)


def response_rate(region: Any, period: Period | None = None) -> float:
    qs = accepted_records(region, period)
    return _rate(qs.filter(accepted_at__lte=F("accept_due")).count(), qs.count())


def governance_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters reported in the period and not rejected (the denominator of the resolution rates)."""
    return raised_records(region, period).exclude(status=MatterStatus.REJECTED)


def resolution_rate(region: Any, period: Period | None = None) -> float:
    qs = governance_records(region, period)
    return _rate(qs.filter(status__in=RESOLVED_STATUSES).count(), qs.count())


def on_time_resolution_rate(region: Any, period: Period | None = None) -> float:
    qs = governance_records(region, period)
    done = qs.filter(status__in=RESOLVED_STATUSES, resolved_at__isnull=False).filter(
        Q(resolve_due__isnull=True) | Q(resolved_at__lte=F("resolve_due")))
    return _rate(done.count(), qs.count())


def callback_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Matters with a callback (satisfaction recorded) in the period (the denominator of the satisfaction rate)."""
    return matters_of(region).filter(callback_at__isnull=False).exclude(satisfaction="").filter(_in_period("callback_at", period))


def satisfaction_rate(region: Any, period: Period | None = None) -> float:
    qs = callback_records(region, period)
    return _rate(qs.filter(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASICALLY)).count(), qs.count())


def resolution_time_records(region: Any, period: Period | None = None) -> QuerySet[Matter]:
    """Resolved matters (in a period: resolved in it) with ``lag`` = resolved_at − reported_at, ordered by it."""
    return (
        resolved_records(region, period)
        .annotate(lag=ExpressionWrapper(F("resolved_at") - F("reported_at"), output_field=DurationField()))
        .order_by("lag", "pk")
    )


def _median_hours(qs: QuerySet[Any]) -> float:
    """The median ``lag`` in hours: count, then the middle row(s) of the ordered lags (the same query on both databases)."""
    n = qs.count()
    if not n:
        return 0.0
    middle = list(qs[(n - 1) // 2: n // 2 + 1].values_list("lag", flat=True))
    lags = [lag if isinstance(lag, dt.timedelta) else dt.timedelta(microseconds=int(lag)) for lag in middle]
    return round(sum(lag.total_seconds() for lag in lags) / len(lags) / 3600, 1)


def median_hours_to_resolution(region: Any, period: Period | None = None) -> float:
    return _median_hours(resolution_time_records(region, period))


# --- departments -----------------------------------------------------------------------------


def _assignments(department_q: Q) -> QuerySet[Assignment]:
    return Assignment.objects.filter(department_q)


def _dept_region_q(region: Any) -> Q:
    return _in_region(region, "department__region_path")


def assignments_records(region: Any, period: Period | None = None, *, department: Any = None) -> QuerySet[Assignment]:
    """Assignments of the departments located in the region (in a period: assigned in it)."""
    q = Q(department=department) if department is not None else _dept_region_q(region)
    return _assignments(q).filter(_in_period("assigned_at", period))


def assignments_overdue_records(region: Any, period: Period | None = None, *, department: Any = None) -> QuerySet[Assignment]:
    """Assignments still open and past their deadline (flagged by the sweep); in a period: assigned in it."""
    return assignments_records(region, period, department=department).filter(status__in=ASSIGNMENT_ACTIVE, is_overdue=True)


def assignments_done_records(region: Any, period: Period | None = None, *, department: Any = None) -> QuerySet[Assignment]:
    """Assignments whose result was reported (in a period: reported in it)."""
    q = Q(department=department) if department is not None else _dept_region_q(region)
    return _assignments(q).filter(status=AssignmentStatus.DONE, done_at__isnull=False).filter(_in_period("done_at", period))


def assignments_on_time_rate(region: Any, period: Period | None = None, *, department: Any = None) -> float:
    qs = assignments_done_records(region, period, department=department)
    return _rate(qs.filter(done_at__lte=F("deadline")).count(), qs.count())


def department_figures(department: Any, period: Period | None = None) -> dict[str, float | int]:
    """One department's numbers (for its pages): assignments, open, overdue, results reported, on-time rate (per cent)."""
    all_ = assignments_records(None, period, department=department)
    return {
        "assignments": all_.count(),
        "open": all_.filter(status__in=ASSIGNMENT_ACTIVE).count(),
        "overdue": assignments_overdue_records(None, period, department=department).count(),
        "done": assignments_done_records(None, period, department=department).count(),
        "returned": all_.filter(status=AssignmentStatus.RETURNED).count(),
        "on_time_rate": assignments_on_time_rate(None, period, department=department),
    }


# --- the registered figures ------------------------------------------------------------------

_MATTERS = _("matters")
_PERCENT = _("%")

FIGURES: list[Figure] = [
    Figure(key="matters.raised", name=_("Matters raised"),
           description=_("Matters raised in the region's communities (in a period: reported in it)."),
           unit=_MATTERS, module=MODULE, compute=_count(raised_records), records=raised_records),
    Figure(key="matters.escalated", name=_("Matters escalated"),
           description=_("Matters escalated to a higher level at least once (in a period: escalated in it)."),
           unit=_MATTERS, module=MODULE, compute=_count(escalated_records), records=escalated_records),
    Figure(key="matters.coordinated", name=_("Matters coordinated"),
           description=_("Matters decided at a coordination meeting (in a period: coordinated in it)."),
           unit=_MATTERS, module=MODULE, compute=_count(coordinated_records), records=coordinated_records),
    Figure(key="matters.resolved", name=_("Matters resolved"),
           description=_("Matters now resolved or closed (in a period: resolved in it)."),
           unit=_MATTERS, module=MODULE, compute=_count(resolved_records), records=resolved_records),
    Figure(key="matters.response_rate", name=_("Response rate"),
           description=_("Of the matters accepted (reported in the period), the share accepted before the acceptance deadline."),
           unit=_PERCENT, module=MODULE, compute=response_rate, records=accepted_records),
    Figure(key="matters.resolution_rate", name=_("Resolution rate"),
           description=_("Of the matters reported in the period and not rejected, the share now resolved or closed."),
           unit=_PERCENT, module=MODULE, compute=resolution_rate, records=governance_records),
    Figure(key="matters.on_time_resolution_rate", name=_("On-time resolution rate"),
           description=_("Of the matters reported in the period and not rejected, the share resolved before the resolution deadline."),
           unit=_PERCENT, module=MODULE, compute=on_time_resolution_rate, records=governance_records),
    Figure(key="matters.satisfaction_rate", name=_("Satisfaction rate"),
           description=_("Of the callbacks recorded in the period, the share satisfied or basically satisfied."),
           unit=_PERCENT, module=MODULE, compute=satisfaction_rate, records=callback_records),
    Figure(key="matters.overdue", name=_("Overdue matters"),
           description=_("Open matters past their deadline (in a period: of those reported in it)."),
           unit=_MATTERS, module=MODULE, compute=_count(overdue_records), records=overdue_records),
    Figure(key="matters.median_hours_to_resolution", name=_("Median hours to resolution"),
           description=_("Median time from report to resolution, in hours, over the matters resolved in the period (as of now: all)."),
           unit=_("hours"), module=MODULE, compute=median_hours_to_resolution, records=resolution_time_records),
    Figure(key="matters.assignments", name=_("Department assignments"),
           description=_("Assignments of the departments located in the region (in a period: assigned in it)."),
           unit=_("assignments"), module=MODULE, compute=_count(assignments_records), records=assignments_records),
    Figure(key="matters.assignments_overdue", name=_("Overdue department assignments"),
           description=_("Assignments of the region's departments still open past their deadline (in a period: assigned in it)."),
           unit=_("assignments"), module=MODULE, compute=_count(assignments_overdue_records), records=assignments_overdue_records),
    Figure(key="matters.assignments_on_time_rate", name=_("Department results on time"),
           description=_("Of the results the region's departments reported (in the period), the share reported by the deadline."),
           unit=_PERCENT, module=MODULE, compute=assignments_on_time_rate, records=assignments_done_records),
]
