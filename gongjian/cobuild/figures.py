"""Figures of the co-building module: each is a query over records for any region.

A region counts its subtree by path prefix: needs, projects, report-ins and partnerships by their
community's path, resources by the path of the unit that owns them. ``records(region, period)``
returns the queryset behind each number (its ``count()`` is the number for the counting figures),
so a figure can be drilled down into.

Period semantics (``period=None`` means "as of now"):

* needs published / met: published (met) in the period;
* resources offered (all, per kind, venue area, funds): offered by the period's end and available
  during it (an open-ended period counts);
* projects per status: projects now in the status that reached it in the period (a proposed
  project by its creation, the others by the stamp of their status: agreed, started, completed,
  rated, cancelled);
* problems solved: rated in the period;
* units reported in: distinct units whose report-in had been confirmed by the period's end and was
  not ended before its start;
* partnerships: active during the period (started by its end, not ended before its start);
* agreements signed: signed in the period; as of now, signed this calendar year;
* median days from need to project: over projects (cancelled ones included) created in the
  period; as of now, over all of them.

Every service that writes the records counted here calls ``core.registry.bump("cobuild")``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.measures import before_end, count_of, day_start, in_period, in_region, year_or
from gongjian.core.registry import Figure, Period
from gongjian.orgs.models import ResidentUnit

from . import choices
from .choices import NEED_PUBLISHED_STATUSES, NeedStatus, PartnershipStatus, ProjectStatus, ReportInStatus, ResourceKind, ResourceStatus
from .models import Need, Partnership, PartnershipAgreement, Project, Resource, UnitReportIn

MODULE = "cobuild"


# --- needs -----------------------------------------------------------------------------------


def needs_published_records(region: Any, period: Period | None = None) -> QuerySet[Need]:
    """Needs that have been published (and not withdrawn); in a period: published in it."""
    return Need.objects.filter(in_region(region), in_period("published_at", period), status__in=NEED_PUBLISHED_STATUSES)


def needs_met_records(region: Any, period: Period | None = None) -> QuerySet[Need]:
    return Need.objects.filter(in_region(region), in_period("met_at", period), status=NeedStatus.MET)


# --- resources -------------------------------------------------------------------------------


def resources_offered_records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
    """Resources on offer by units located in the region; in a period: offered by its end and available during it."""
    qs = Resource.objects.filter(in_region(region), status=ResourceStatus.OFFERED)
    if period:
        qs = qs.filter(before_end("offered_at", period)).exclude(available_to__lt=period.start).exclude(available_from__gt=period.end)
    return qs


def venues_offered_records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
    return resources_offered_records(region, period).filter(kind=ResourceKind.VENUE, capacity_unit=choices.CapacityUnit.SQUARE_METRES)


def funds_offered_records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
    return resources_offered_records(region, period).filter(kind=ResourceKind.FUNDS, capacity_unit=choices.CapacityUnit.YUAN)


def _capacity_sum(records: Any) -> Any:
    def compute(region: Any, period: Period | None) -> float:
        total = records(region, period).aggregate(s=Sum("capacity"))["s"] or Decimal(0)
        return float(total)

    return compute


def resources_of_kind(kind: str) -> Any:
    def records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
        return resources_offered_records(region, period).filter(kind=kind)

    records.__doc__ = f"Resources of kind {kind!r} on offer (period: as for all resources offered)."
    return records


# --- projects --------------------------------------------------------------------------------

# The timestamp a project gets when it reaches each status (a proposed project: its creation).
STATUS_STAMP = {
    ProjectStatus.PROPOSED: "created_at",
    ProjectStatus.AGREED: "agreed_at",
    ProjectStatus.IN_PROGRESS: "started_at",
    ProjectStatus.DONE: "done_at",
    ProjectStatus.RATED: "rated_at",
    ProjectStatus.CANCELLED: "cancelled_at",
}


def projects_in_status(status: str) -> Any:
    stamp = STATUS_STAMP[ProjectStatus(status)]

    def records(region: Any, period: Period | None = None) -> QuerySet[Project]:
        return Project.objects.filter(in_region(region), in_period(stamp, period), status=status)

    records.__doc__ = f"Projects now {status!r} (in a period: that reached it in the period, by {stamp})."
    return records


def problems_solved_records(region: Any, period: Period | None = None) -> QuerySet[Project]:
    """Co-building projects of communities in the region that the community has rated (in a period: rated in it)."""
    return projects_in_status(ProjectStatus.RATED)(region, period)


def _first_published() -> Subquery:
    return Subquery(
        Need.objects.filter(project_links__project=OuterRef("pk"), published_at__isnull=False)
        .order_by("published_at").values("published_at")[:1]
    )


def need_to_project_records(region: Any, period: Period | None = None) -> QuerySet[Project]:
    """Projects of the region's communities (created in the period) with ``lag``: the time from the
    first publication of one of their needs to the project's creation, ordered by it."""
    qs = Project.objects.filter(in_region(region), in_period("created_at", period))
    return (
        qs.annotate(first_published=_first_published())
        .filter(first_published__isnull=False)
        .annotate(lag=ExpressionWrapper(F("created_at") - F("first_published"), output_field=DurationField()))
        .order_by("lag", "pk")
    )


def median_days_need_to_project(region: Any, period: Period | None = None) -> float:
    """The median lag in days (one decimal), computed by the database: count, then the middle row(s)
    of the ordered lags — the same query on SQLite and PostgreSQL, no list of all rows in Python."""
    qs = need_to_project_records(region, period)
    n = qs.count()
    if not n:
        return 0.0
    middle = list(qs[(n - 1) // 2: n // 2 + 1].values_list("lag", flat=True))  # type: ignore[misc]  # annotated by need_to_project_records
    lags = [lag if isinstance(lag, dt.timedelta) else dt.timedelta(microseconds=int(lag)) for lag in middle]
    seconds = sum(lag.total_seconds() for lag in lags) / len(lags)
    return round(seconds / 86400, 1)


# --- report-ins and partnerships -------------------------------------------------------------


def units_reported_in_records(region: Any, period: Period | None = None) -> QuerySet[ResidentUnit]:
    """Distinct resident units with a confirmed report-in to a community of the region (in a period:
    confirmed by its end and not ended before its start)."""
    report_ins = UnitReportIn.objects.filter(in_region(region), confirmed_at__isnull=False)
    if period:
        report_ins = report_ins.filter(before_end("confirmed_at", period)).filter(
            Q(status=ReportInStatus.CONFIRMED) | Q(status=ReportInStatus.ENDED, ended_at__gte=day_start(period.start))
        )
    else:
        report_ins = report_ins.filter(status=ReportInStatus.CONFIRMED)
    return ResidentUnit.objects.filter(pk__in=report_ins.values("unit_id"))


def partnerships_records(region: Any, period: Period | None = None) -> QuerySet[Partnership]:
    """Organ branch ↔ community partnerships of the region's communities: active now (in a period:
    started by its end and not ended before its start)."""
    qs = Partnership.objects.filter(in_region(region))
    if period:
        return qs.filter(started_on__lte=period.end).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=period.start))
    return qs.filter(status=PartnershipStatus.ACTIVE)


def agreements_signed_records(region: Any, period: Period | None = None) -> QuerySet[PartnershipAgreement]:
    """Yearly partnership agreements signed (in a period: signed in it; as of now: this calendar year)."""
    qs = PartnershipAgreement.objects.filter(in_region(region, "partnership__region_path"), status=choices.AgreementStatus.SIGNED)
    period = year_or(period)
    return qs.filter(signed_on__gte=period.start, signed_on__lte=period.end)


# --- the registered figures ------------------------------------------------------------------

def _per_choice(choices: Any, word: str, *, key: str, name: Any, description: Any, unit: Any, records: Any) -> list[Figure]:
    """One counting figure per choice: ``name`` and ``description`` name it as ``{word}``, ``records(value)`` are its records."""
    return [Figure(key=f"{key}.{c.value}", name=format_lazy(name, **{word: c.label}), description=format_lazy(description, **{word: c.label}),
                   unit=unit, module=MODULE, compute=count_of(records(c.value)), records=records(c.value)) for c in choices]


def _resource_kind_figures() -> list[Figure]:
    return _per_choice(ResourceKind, "kind", key="cobuild.resources_offered", name=_("Resources offered: {kind}"),
                       description=_("Resources of the kind “{kind}” on offer by resident units located in the region "
                                     "(in a period: offered by its end and available during it)."),
                       unit=pgettext_lazy("count of", "resources"), records=resources_of_kind)


def _project_status_figures() -> list[Figure]:
    return _per_choice(ProjectStatus, "status", key="cobuild.projects", name=_("Projects: {status}"),
                       description=_("Co-building projects now in the status “{status}” (in a period: that reached it in the period)."),
                       unit=_("projects"), records=projects_in_status)


FIGURES = [
    Figure(key="cobuild.needs_published", name=_("Needs published"),
           description=_("Community needs that have been published and not withdrawn (in a period: published in it)."),
           unit=_("needs"), module=MODULE, compute=count_of(needs_published_records), records=needs_published_records),
    Figure(key="cobuild.needs_met", name=_("Needs met"), description=_("Community needs marked as met (in a period: met in it)."),
           unit=_("needs"), module=MODULE, compute=count_of(needs_met_records), records=needs_met_records),
    Figure(key="cobuild.resources_offered", name=_("Resources offered"),
           description=_("Resources currently on offer by resident units located in the region."),
           unit=pgettext_lazy("count of", "resources"), module=MODULE, compute=count_of(resources_offered_records),
           records=resources_offered_records),
    *_resource_kind_figures(),
    Figure(key="cobuild.venue_area_offered", name=_("Venue area offered"),
           description=_("Floor area of venues on offer by resident units located in the region."),
           unit=_("m²"), module=MODULE, compute=_capacity_sum(venues_offered_records), records=venues_offered_records),
    Figure(key="cobuild.funds_offered", name=_("Funds offered"),
           description=_("Funds on offer by resident units located in the region, summed (in a period: offered by its end and "
                         "available during it)."),
           unit=_("yuan"), module=MODULE, compute=_capacity_sum(funds_offered_records), records=funds_offered_records),
    *_project_status_figures(),
    Figure(key="cobuild.problems_solved", name=_("Problems solved"),
           description=_("Co-building projects completed and rated by their community (in a period: rated in it)."),
           unit=_("projects"), module=MODULE, compute=count_of(problems_solved_records), records=problems_solved_records),
    Figure(key="cobuild.median_days_need_to_project", name=_("Median days from need to project"),
           description=_("Median number of days from the publication of a project's first need to the project's creation, over "
                         "the projects created in the period (as of now: all projects)."),
           unit=_("days"), module=MODULE, compute=median_days_need_to_project, records=need_to_project_records),
    Figure(key="cobuild.units_reported_in", name=_("Units reported in"),
           description=_("Resident units whose report-in to a community of the region has been confirmed (in a period: "
                         "confirmed by its end and not ended before its start)."),
           unit=_("units"), module=MODULE, compute=count_of(units_reported_in_records), records=units_reported_in_records),
    Figure(key="cobuild.partnerships", name=_("Partnerships"),
           description=_("Active organ branch–community partnerships of the region's communities (in a period: active during it)."),
           unit=pgettext_lazy("figure unit", "partnerships"), module=MODULE, compute=count_of(partnerships_records), records=partnerships_records),
    Figure(key="cobuild.agreements_signed", name=_("Partnership agreements signed"),
           description=_("Yearly partnership agreements signed (as of now: this calendar year; in a period: signed in it)."),
           unit=_("agreements"), module=MODULE, compute=count_of(agreements_signed_records), records=agreements_signed_records),
]
