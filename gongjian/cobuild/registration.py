"""Navigation, figures and exports of the co-building module, registered from ``apps.py``.

Every figure is a query over records for any region (its subtree by path prefix): needs by the
community's path, resources by the owning unit's path.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.permissions import can
from gongjian.core.registry import ExportDef, Figure, Module, NavEntry, Period

from . import permissions as perms
from .choices import NEED_PUBLISHED_STATUSES, CapacityUnit, NeedSource, NeedStatus, ProjectStatus, ResourceKind, ResourceStatus
from .models import Need, Project, Resource
from .partners import registration as partners_registration
from .projects import registration as projects_registration
from .suggestions import registration as suggestions_registration


def _path(region: Any) -> str:
    return getattr(region, "path", "") or ""


def needs_published_records(region: Any, period: Period | None = None) -> QuerySet[Need]:
    """Needs that have been published (and not withdrawn); in a period: published in it."""
    qs = Need.objects.filter(status__in=NEED_PUBLISHED_STATUSES, region_path__startswith=_path(region))
    if period:
        qs = qs.filter(published_at__date__gte=period.start, published_at__date__lte=period.end)
    return qs


def needs_met_records(region: Any, period: Period | None = None) -> QuerySet[Need]:
    qs = Need.objects.filter(status=NeedStatus.MET, region_path__startswith=_path(region))
    if period:
        qs = qs.filter(met_at__date__gte=period.start, met_at__date__lte=period.end)
    return qs


def resources_offered_records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
    """Resources on offer by units located in the region; in a period: offered by its end and available during it."""
    qs = Resource.objects.filter(status=ResourceStatus.OFFERED, region_path__startswith=_path(region))
    if period:
        qs = qs.filter(offered_at__date__lte=period.end).exclude(available_to__lt=period.start).exclude(available_from__gt=period.end)
    return qs


def venues_offered_records(region: Any, period: Period | None = None) -> QuerySet[Resource]:
    return resources_offered_records(region, period).filter(kind=ResourceKind.VENUE, capacity_unit=CapacityUnit.SQUARE_METRES)


def problems_solved_records(region: Any, period: Period | None = None) -> QuerySet[Project]:
    """Co-building projects of communities in the region that the community has rated (in a period: rated in it)."""
    qs = Project.objects.filter(status=ProjectStatus.RATED, region_path__startswith=_path(region))
    if period:
        qs = qs.filter(rated_at__date__gte=period.start, rated_at__date__lte=period.end)
    return qs


def _count(records: Any) -> Any:
    return lambda region, period: records(region, period).count()


def venue_area(region: Any, period: Period | None) -> float:
    total = venues_offered_records(region, period).aggregate(s=Sum("capacity"))["s"] or Decimal(0)
    return float(total)


FIGURES = [
    Figure(key="cobuild.needs_published", name=_("Needs published"),
           description=_("Community needs that have been published and not withdrawn (in a period: published in it)."),
           unit=_("needs"), module="cobuild", compute=_count(needs_published_records), records=needs_published_records),
    Figure(key="cobuild.needs_met", name=_("Needs met"), description=_("Community needs marked as met (in a period: met in it)."),
           unit=_("needs"), module="cobuild", compute=_count(needs_met_records), records=needs_met_records),
    Figure(key="cobuild.resources_offered", name=_("Resources offered"),
           description=_("Resources currently on offer by resident units located in the region."),
           unit=pgettext_lazy("count of", "resources"), module="cobuild", compute=_count(resources_offered_records),
           records=resources_offered_records),
    Figure(key="cobuild.venue_area_offered", name=_("Venue area offered"),
           description=_("Floor area of venues on offer by resident units located in the region."),
           unit=_("m²"), module="cobuild", compute=venue_area, records=venues_offered_records),
    Figure(key="cobuild.problems_solved", name=_("Problems solved"),
           description=_("Co-building projects completed and rated by their community (in a period: rated in it)."),
           unit=_("projects"), module="cobuild", compute=_count(problems_solved_records), records=problems_solved_records),
]


def admin_panel(actor: Any) -> dict[str, Any] | None:
    if not can(actor, perms.NEED_LIST):
        return None
    from . import selectors

    needs = selectors.need_list(actor=actor, action=perms.NEED_MANAGE)
    return {
        "key": "cobuild.area",
        "title": _("Co-building in my area"),
        "stats": [
            {"key": "wishes", "label": _("Micro-wishes awaiting review"),
             "value": needs.filter(source=NeedSource.WISH, status=NeedStatus.DRAFT).count()},
            {"key": "published", "label": _("Needs published"), "value": needs.filter(status=NeedStatus.PUBLISHED).count()},
            {"key": "resources", "label": _("Resources offered"),
             "value": selectors.resource_list(actor=actor, filters={"status": ResourceStatus.OFFERED}).count()},
        ],
        "links": [
            {"label": _("Needs"), "url": reverse("cobuild:need_list")},
            {"label": _("Resources"), "url": reverse("cobuild:resource_list")},
        ],
    }


def resident_panel(actor: Any) -> dict[str, Any] | None:
    if not can(actor, perms.WISH_SUBMIT):
        return None
    return {
        "key": "cobuild.wish",
        "title": _("Micro-wishes"),
        "stats": [],
        "links": [{"label": _("Make a micro-wish"), "url": reverse("cobuild:wish_create")}],
    }


MODULE = Module(
    key="cobuild",
    name=_("Co-building"),
    order=30,
    nav=[
        NavEntry("cobuild.needs", _("Needs"), "cobuild:need_list", icon="list-check", permission=perms.NEED_LIST, order=10),
        NavEntry("cobuild.resources", _("Resources"), "cobuild:resource_list", icon="package", permission=perms.RESOURCE_VIEW, order=20),
        NavEntry("cobuild.categories", _("Categories"), "cobuild:category_list", icon="tags", permission=perms.CATEGORY_MANAGE, order=30),
        NavEntry("cobuild.wish", _("My micro-wishes"), "cobuild:wish_create", icon="heart", permission=perms.WISH_SUBMIT, order=40),
        *projects_registration.NAV,
        *suggestions_registration.NAV,
        *partners_registration.NAV,
    ],
    figures=FIGURES,
    exports=[
        ExportDef("cobuild.needs", _("Needs"), "cobuild", "cobuild:need_export", permission=perms.NEED_LIST),
        ExportDef("cobuild.resources", _("Resources"), "cobuild", "cobuild:resource_export", permission=perms.RESOURCE_VIEW),
    ],
    panels=[admin_panel, resident_panel, *projects_registration.PANELS, *suggestions_registration.PANELS, *partners_registration.PANELS],
)
