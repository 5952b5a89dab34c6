"""The figures of the regions module: each a query over records (``core.registry.Figure``), counted per region."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.registry import Figure, Period

from .choices import Level, RegionKind
from .models import DelegatedPower, Department, Region, StaffQuota


def _path(region: Any) -> str:
    return getattr(region, "path", "") or "/"


def subdistricts(region: Any, period: Period | None) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=_path(region), level=Level.SUBDISTRICT, is_active=True)


def communities(region: Any, period: Period | None) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=_path(region), level=Level.COMMUNITY, kind=RegionKind.COMMUNITY, is_active=True)


def villages(region: Any, period: Period | None) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=_path(region), level=Level.COMMUNITY, kind=RegionKind.VILLAGE, is_active=True)


def quotas(region: Any, period: Period | None) -> QuerySet[StaffQuota]:
    qs = StaffQuota.objects.filter(region_path__startswith=_path(region))
    if period is not None:
        qs = qs.filter(year__gte=period.start.year, year__lte=period.end.year)
    return qs


def quota_sum(region: Any, period: Period | None) -> int:
    return int(quotas(region, period).aggregate(n=Sum("count"))["n"] or 0)


def powers(region: Any, period: Period | None) -> QuerySet[DelegatedPower]:
    """Powers in effect in the region: granted inside its subtree or by a region above it."""
    path = _path(region)
    codes = [c for c in path.strip("/").split("/") if c]
    above = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes) - 1)]
    qs = DelegatedPower.objects.filter(Q(region_path__startswith=path) | Q(region_path__in=above), is_active=True)
    if period is not None:
        qs = qs.filter(Q(effective_on__isnull=True) | Q(effective_on__lte=period.end))
    return qs


def departments(region: Any, period: Period | None) -> QuerySet[Department]:
    return Department.objects.filter(region_path__startswith=_path(region), is_active=True)


def _count(fn: Any) -> Any:
    return lambda region, period: fn(region, period).count()


FIGURES = [
    Figure(
        "regions.subdistricts",
        _("Subdistricts"),
        _("Active subdistrict-level regions (subdistricts, towns, townships)."),
        pgettext_lazy("figure unit", "subdistricts"),
        "regions",
        _count(subdistricts),
        subdistricts,
    ),
    Figure(
        "regions.communities",
        _("Urban communities"),
        _("Active urban community committees."),
        pgettext_lazy("figure unit", "communities"),
        "regions",
        _count(communities),
        communities,
    ),
    Figure(
        "regions.villages",
        _("Villages"),
        _("Active village committees."),
        pgettext_lazy("figure unit", "villages"),
        "regions",
        _count(villages),
        villages,
    ),
    Figure(
        "regions.staff_quotas",
        _("Staff quotas"),
        _("Staff positions allocated to subdistricts, summed."),
        pgettext_lazy("figure unit", "positions"),
        "regions",
        quota_sum,
        quotas,
    ),
    Figure(
        "regions.delegated_powers",
        _("Delegated powers"),
        _("Active powers delegated to subdistricts that apply here."),
        pgettext_lazy("figure unit", "powers"),
        "regions",
        _count(powers),
        powers,
    ),
    Figure(
        "regions.departments",
        _("Departments"),
        _("Active functional departments."),
        pgettext_lazy("figure unit", "departments"),
        "regions",
        _count(departments),
        departments,
    ),
]
