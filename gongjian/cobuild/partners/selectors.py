"""Reads of unit report-ins and partnerships. Every read takes ``actor=`` and starts from the actor's scope.

Community administrators see their community's records, higher administrators their area's, a unit
liaison his unit's. A record outside the scope is "not found".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from gongjian.core.errors import NotFound
from gongjian.core.filtering import apply_filters, by_choice, by_flag, by_key, by_text
from gongjian.core.kernel import Actor, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import actor_scopes, get_in_scope, scoped
from gongjian.orgs.models import PartyOrg, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from ..choices import REPORT_IN_ACTIVE, AgreementStatus, PartnershipStatus, ReportInStatus
from ..models import Partnership, PartnershipAgreement, UnitReportIn
from ..selectors import regions_in_area
from . import permissions as perms
from .services import AGREEMENT_SCOPE, located_communities, organ_branches, report_in_units

PICKER_LIMIT = 50


def this_year() -> int:
    return timezone.localdate().year


# --- report-ins ---------------------------------------------------------------------------------


REPORT_IN_FILTERS = {
    "q": by_text("unit__name", "community__name", "party_org__name", "contact_name"),
    "status": by_choice(ReportInStatus, groups={"active": REPORT_IN_ACTIVE}),
    "community": by_key("community_id"),
    "unit": by_key("unit_id"),
}


def report_in_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.REPORT_IN_VIEW) -> QuerySet[UnitReportIn]:
    """Report-ins in the actor's scope. Filters: q (unit, community, organisation, contact), status (or "active"), community, unit."""
    qs = scoped(UnitReportIn.objects.all(), actor, action).select_related("unit", "community", "party_org")
    qs = apply_filters(qs, filters, REPORT_IN_FILTERS)
    return qs.order_by("-created_at", "-id")


def report_in_get(*, actor: Actor, id: Any, action: str = perms.REPORT_IN_VIEW) -> UnitReportIn:
    qs = UnitReportIn.objects.select_related("unit", "community", "party_org", "reported_by", "confirmed_by")
    return get_in_scope(qs, actor, action, pk=int_param(id) or 0)


def report_in_pending(*, actor: Actor) -> QuerySet[UnitReportIn]:
    """Report-ins awaiting the actor's confirmation."""
    return report_in_list(actor=actor, filters={"status": ReportInStatus.PENDING}, action=perms.REPORT_IN_CONFIRM)


def unit_choices(*, actor: Actor, q: str = "") -> QuerySet[ResidentUnit]:
    """Units the actor may report in (a liaison: his own), searched by name; at most PICKER_LIMIT when searching a large area."""
    qs = report_in_units(actor).select_related("region").order_by("name", "id")
    if q:
        qs = qs.filter(text_q(q, "name", "uscc"))
    return qs


def community_choices_for_unit(unit: ResidentUnit, q: str = "") -> QuerySet[Region]:
    """The communities where the unit is located, searched by name or code."""
    qs = located_communities(unit).order_by("path")
    if q:
        qs = qs.filter(text_q(q, "name", "full_name", "code"))
    return qs


def party_org_choices(unit: ResidentUnit) -> QuerySet[PartyOrg]:
    return PartyOrg.objects.filter(unit=unit, is_active=True).order_by("org_path", "name")


# --- partnerships -------------------------------------------------------------------------------


def _signed_this_year(year: int) -> Exists:
    return Exists(PartnershipAgreement.objects.filter(partnership=OuterRef("pk"), year=year, status=AgreementStatus.SIGNED))


PARTNERSHIP_FILTERS = {
    "q": by_text("branch__name", "unit__name", "community__name"),
    "status": by_choice(PartnershipStatus),
    "community": by_key("community_id"),
    "unit": by_key("unit_id"),
    "missing": by_flag(Q(status=PartnershipStatus.ACTIVE, signed_this_year=False)),
}


def partnership_list(*, actor: Actor, filters: dict[str, Any] | None = None, action: str = perms.PARTNERSHIP_VIEW) -> QuerySet[Partnership]:
    """Partnerships in the actor's scope. Filters: q (branch, unit, community), status, community, unit,
    missing=1 (active, without a signed agreement for this year)."""
    qs = (scoped(Partnership.objects.all(), actor, action).select_related("branch", "unit", "community")
          .annotate(signed_this_year=_signed_this_year(this_year())))
    qs = apply_filters(qs, filters, PARTNERSHIP_FILTERS)
    return qs.order_by("-started_on", "-id")


def partnerships_missing_agreement(*, actor: Actor, year: int | None = None, action: str = perms.PARTNERSHIP_VIEW) -> QuerySet[Partnership]:
    """Active partnerships in scope without a signed agreement for ``year`` (this year by default)."""
    qs = scoped(Partnership.objects.filter(status=PartnershipStatus.ACTIVE), actor, action)
    return (qs.filter(~_signed_this_year(year or this_year()))
            .select_related("branch", "unit", "community").order_by("community__path", "branch__name", "id"))


def with_agreements(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    return qs.prefetch_related(Prefetch("agreements", queryset=PartnershipAgreement.objects.order_by("-year", "-id")))


def partnership_get(*, actor: Actor, id: Any, action: str = perms.PARTNERSHIP_VIEW) -> Partnership:
    qs = Partnership.objects.select_related("branch", "unit", "community", "created_by")
    return get_in_scope(qs, actor, action, pk=int_param(id) or 0)


def agreement_get(*, actor: Actor, id: Any, action: str = perms.PARTNERSHIP_VIEW) -> PartnershipAgreement:
    qs = PartnershipAgreement.objects.select_related("partnership", "partnership__branch", "partnership__community", "partnership__unit")
    return get_in_scope(qs, actor, action, AGREEMENT_SCOPE, pk=int_param(id) or 0)


def branch_choices(q: str = "") -> QuerySet[PartyOrg]:
    """Organ branches that may enter a partnership, searched by branch or unit name."""
    qs = organ_branches().select_related("unit", "region").order_by("name", "id")
    if q:
        qs = qs.filter(text_q(q, "name", "unit__name"))
    return qs


def community_choices(*, actor: Actor, action: str = perms.PARTNERSHIP_MANAGE, q: str = "") -> QuerySet[Region]:
    qs = regions_in_area(actor, action, Level.COMMUNITY)
    if q:
        qs = qs.filter(text_q(q, "name", "full_name", "code"))
    return qs


# --- per community and per unit ------------------------------------------------------------------


def community_get(*, actor: Actor, id: Any) -> Region:
    """A community in the actor's area (administrators); NotFound for anything else."""
    pk = int_param(id)
    if pk is None or not can(actor, perms.REPORT_IN_VIEW):
        raise NotFound()
    region = community_choices(actor=actor, action=perms.REPORT_IN_VIEW).filter(pk=pk).first()
    if region is None:
        raise NotFound()
    return region


def unit_get(*, actor: Actor, id: Any) -> ResidentUnit:
    """A unit the actor may see report-ins of: a liaison his own unit, an administrator the units located in his area."""
    return get_in_scope(ResidentUnit.objects.select_related("region"), actor, perms.REPORT_IN_VIEW, ResidentUnit.scope_fields,
                        pk=int_param(id) or 0)


def my_units(*, actor: Actor) -> list[ResidentUnit]:
    """The units of the actor's liaison scopes (kind unit)."""

    ids = sorted({s.unit_id for s in actor_scopes(actor) if s.kind == "unit" and s.unit_id})
    return list(ResidentUnit.objects.filter(pk__in=ids, is_active=True).order_by("name"))


def reach_communities(*, actor: Actor) -> QuerySet[Region]:
    """The communities of an administrator's area (for the per-community picker)."""
    return community_choices(actor=actor, action=perms.REPORT_IN_CONFIRM)

