"""Figures and home-page panels of the organisations module (registered by ``manifest.py``).

Every figure is a query over records for any region (its subtree by path prefix), as of now, or
for a period where the records carry a date.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor, actor_key
from gongjian.core.permissions import can
from gongjian.core.registry import Figure, Period, area_panel
from gongjian.core.scope import region_paths, scoped
from gongjian.regions.models import Region

from . import permissions as perms
from .choices import OrgRank
from .models import Member, PartyOrg, Policy, ResidentUnit


def _path(region: Any) -> str:
    return getattr(region, "path", "") or ""


def orgs_records(region: Any, period: Period | None = None, rank: str | None = None) -> QuerySet[PartyOrg]:
    qs = PartyOrg.objects.filter(is_active=True, region_path__startswith=_path(region))
    if rank:
        qs = qs.filter(rank=rank)
    if period:
        qs = qs.filter(Q(founded_on__isnull=True) | Q(founded_on__lte=period.end))
    return qs


def members_records(region: Any, period: Period | None = None) -> QuerySet[Member]:
    qs = Member.objects.filter(is_active=True, region_path__startswith=_path(region))
    if period:
        qs = qs.filter(Q(join_date__isnull=True) | Q(join_date__lte=period.end))
    return qs


def in_service_records(region: Any, period: Period | None = None) -> QuerySet[Member]:
    qs = Member.objects.filter(is_active=True, in_service=True, home_path__startswith=_path(region))
    if period:
        qs = qs.filter(Q(join_date__isnull=True) | Q(join_date__lte=period.end))
    return qs


def units_records(region: Any, period: Period | None = None) -> QuerySet[ResidentUnit]:
    return ResidentUnit.objects.filter(is_active=True, region_path__startswith=_path(region))


def policies_records(region: Any, period: Period | None = None) -> QuerySet[Policy]:
    """Policies in force that apply to the region: issued for it, for a region above it, or nationwide."""
    path = _path(region)
    codes = [c for c in path.strip("/").split("/") if c]
    prefixes = ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    qs = Policy.objects.filter(is_active=True).filter(Q(region__isnull=True) | Q(region__path__in=prefixes) | Q(region__path__startswith=path or "/"))
    if period:
        qs = qs.filter(issued_on__gte=period.start, issued_on__lte=period.end)
    return qs


def _count(records: Any) -> Any:
    return lambda region, period: records(region, period).count()


def _rank_figure(rank: OrgRank, name: Any) -> Figure:
    def records(region: Any, period: Period | None) -> QuerySet[PartyOrg]:
        return orgs_records(region, period, rank)

    return Figure(
        key=f"orgs.party_orgs.{rank.value}", name=name, description=_("Active party organisations of this rank in the region."),
        unit=_("organisations"), module="orgs", compute=_count(records), records=records,
    )


FIGURES = [
    Figure(key="orgs.party_orgs", name=_("Party organisations"), description=_("Active party organisations located in the region."),
           unit=_("organisations"), module="orgs", compute=_count(orgs_records), records=orgs_records),
    _rank_figure(OrgRank.COMMITTEE, _("Party committees")),
    _rank_figure(OrgRank.WORKING_COMMITTEE, _("Working committees")),
    _rank_figure(OrgRank.GENERAL_BRANCH, _("General branches")),
    _rank_figure(OrgRank.BRANCH, _("Party branches")),
    Figure(key="orgs.members", name=_("Party members"), description=_("Active members whose organisation is located in the region."),
           unit=_("people"), module="orgs", compute=_count(members_records), records=members_records),
    Figure(key="orgs.in_service_members", name=_("In-service members living here"),
           description=_("Active in-service members whose home community is in the region."),
           unit=_("people"), module="orgs", compute=_count(in_service_records), records=in_service_records),
    Figure(key="orgs.resident_units", name=_("Resident units"), description=_("Active resident units located in the region."),
           unit=_("units"), module="orgs", compute=_count(units_records), records=units_records),
    Figure(key="orgs.policies", name=_("Policies in force"),
           description=_("Policies in force that apply to the region (issued for it, above it or nationwide)."),
           unit=_("documents"), module="orgs", compute=_count(policies_records), records=policies_records),
]


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    """Counts of the admin's area: organisations, members, in-service members, units."""
    if not can(actor, perms.MEMBER_LIST) or not can(actor, perms.ORG_VIEW):
        return None
    members = scoped(Member.objects.filter(is_active=True), actor, perms.MEMBER_VIEW)
    paths = [p for p in region_paths(actor, perms.MEMBER_LIST) if p]
    return {
        "key": "orgs.area",
        "title": _("Organisations and members in my area"),
        "scope": "、".join(Region.objects.filter(path__in=paths).order_by("path").values_list("name", flat=True)),
        "stats": [
            {"key": "orgs", "label": _("Party organisations"),
             "value": scoped(PartyOrg.objects.filter(is_active=True), actor, perms.ORG_VIEW).count()},
            {"key": "members", "label": _("Party members"), "value": members.count()},
            {"key": "in_service", "label": _("In-service members"), "value": members.filter(in_service=True).count()},
            {"key": "units", "label": _("Resident units"),
             "value": scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.UNIT_VIEW).count()},
        ],
        "links": [
            {"label": _("Members"), "url": reverse("orgs:member_list")},
            {"label": _("Party organisations"), "url": reverse("orgs:org_list")},
            {"label": _("Resident units"), "url": reverse("orgs:unit_list")},
        ],
    }


def member_panel(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.MEMBER_SELF):
        return None
    m = Member.objects.select_related("org").filter(user_id=actor_key(actor)).first()
    if m is None:
        return None
    return {
        "key": "orgs.me",
        "title": _("My member information"),
        "stats": [{"key": "org", "label": _("Party organisation"), "value": m.org.name}],
        "links": [{"label": _("View my information"), "url": reverse("orgs:me")}],
    }


def liaison_panel(actor: Actor) -> dict[str, Any] | None:
    if can(actor, perms.ORG_MANAGE) or not can(actor, perms.MEMBER_LIST):
        return None
    members = scoped(Member.objects.filter(is_active=True), actor, perms.MEMBER_VIEW)
    return {
        "key": "orgs.unit",
        "title": _("Members employed by my unit"),
        "stats": [{"key": "members", "label": _("Party members"), "value": members.count()}],
        "links": [{"label": _("Members"), "url": reverse("orgs:member_list")}],
    }

