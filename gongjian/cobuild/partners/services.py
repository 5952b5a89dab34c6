"""Writes of unit report-in (单位双报到) and partnerships (联建) with their yearly agreements.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds records inside the
actor's scope (outside = NotFound), validates every field before writing (nothing is written on
error), runs in one transaction, locks the row that decides (the unit for a report-in, the branch
for a partnership, the record itself for a status change), writes one audit event and bumps the
co-building figures on commit.

Where a unit is located (decision): a unit registered at a community (or a grid inside one) reports
in to that community only; a unit registered at subdistrict or district level (or a functional
zone) to any community inside that region; a unit registered at city level must first be placed in
its district, subdistrict or community. Communities elsewhere are refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import Conflict, NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, account_of, audited_save, clean_reason, text_field
from gongjian.core.permissions import require
from gongjian.core.scope import ScopeFields, scoped
from gongjian.core.validation import Errors, clean_date
from gongjian.orgs.choices import OrgRank, Sector
from gongjian.orgs.models import PartyOrg, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import lookup
from ..choices import REPORT_IN_ACTIVE, REPORT_IN_TRANSITIONS, AgreementStatus, PartnershipStatus, ReportInStatus
from ..models import Partnership, PartnershipAgreement, UnitReportIn
from . import permissions as perms

MODULE = "cobuild"
EARLIEST = dt.date(2000, 1, 1)
YEAR_MIN, YEAR_MAX = 2000, 2100
# Ranks of a party organisation that count as a branch for a partnership (党支部, 党总支).
BRANCH_RANKS = (OrgRank.BRANCH, OrgRank.GENERAL_BRANCH)
# Agreements are reached through their partnership's scope.
AGREEMENT_SCOPE = ScopeFields(region=("partnership__region_path",), unit=("partnership__unit_id",))


def _today() -> dt.date:
    return timezone.localdate()


# --- where a unit is located -------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def located_communities(unit: ResidentUnit) -> QuerySet[Region]:
    """The active communities a unit may report in to (see the module docstring)."""
    level = unit.region.level
    qs = Region.objects.filter(is_active=True, level=Level.COMMUNITY)
    if level in (Level.COMMUNITY, Level.GRID):
        return qs.filter(path__in=_ancestor_paths(unit.region_path))
    if level in (Level.DISTRICT, Level.SUBDISTRICT):
        return qs.filter(path__startswith=unit.region_path)
    return qs.none()


def community_located_for(unit: ResidentUnit, community: Region) -> bool:
    return located_communities(unit).filter(pk=community.pk).exists()


# --- unit report-in -------------------------------------------------------------------------------


def report_in_units(actor: Actor) -> QuerySet[ResidentUnit]:
    """Active units the actor may report in: a liaison his own unit, an administrator the units located in his area."""
    return scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.REPORT_IN_CREATE, ResidentUnit.scope_fields)


def report_in_snapshot(r: UnitReportIn) -> dict[str, Any]:
    return {
        "unit": r.unit_id, "community": r.community_id, "party_org": r.party_org_id, "contact_name": r.contact_name, "offer": r.offer,
        "status": r.status,
    }


def _duplicate_report_in() -> Conflict:
    msg = _("This unit has already reported in to this community (awaiting confirmation or confirmed); it cannot report in twice.")
    return Conflict(msg, code="duplicate", details={"community": [msg]})


def _active_report_in_exists(unit_id: int, community_id: int) -> bool:
    return UnitReportIn.objects.filter(unit_id=unit_id, community_id=community_id, status__in=REPORT_IN_ACTIVE).exists()


def clean_report_in(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    unit = lookup.chosen(ResidentUnit, data.get("unit"), report_in_units(actor).select_related("region"), errors, "unit",
                         missing=_("Choose the unit that reports in."), unknown=_("Choose an active unit you are responsible for."))
    out["unit"] = unit
    community = lookup.community(data.get("community"), errors)
    if community is not None and unit is not None and not community_located_for(unit, community):
        if unit.region.level == Level.CITY:
            errors.add("community", _("The unit is registered at city level; set its district, subdistrict or community first."))
        else:
            errors.add("community", _("The unit is not located in this community; it can only report in to the community where it is located."))
        community = None
    out["community"] = community
    org = lookup.resolve(PartyOrg, data.get("party_org"), PartyOrg.objects.filter(is_active=True))
    if org is None:
        errors.add("party_org", _("Choose the unit's party organisation."))
    elif org is False or (unit is not None and org.unit_id != unit.pk):
        errors.add("party_org", _("Choose a party organisation of this unit."))
        org = None
    out["party_org"] = org
    out["contact_name"] = text_field(data.get("contact_name"), field="contact_name", errors=errors, required=_("Enter the contact person."),
                                max_length=64)
    out["offer"] = text_field(data.get("offer"), field="offer", errors=errors, max_length=4000, multiline=True)
    errors.raise_if_any()
    return out


@transaction.atomic
def report_in_create(*, actor: Actor, unit: Any, community: Any, party_org: Any, contact_name: Any = "", offer: Any = "") -> UnitReportIn:
    """The unit's party organisation reports in to the community where the unit is located (awaiting confirmation).

    One active (awaiting confirmation or confirmed) report-in per unit and community: checked under a
    lock on the unit's row, and kept by the database's partial unique constraint if two requests race.
    """
    require(actor, perms.REPORT_IN_CREATE)
    clean = clean_report_in(actor, {"unit": unit, "community": community, "party_org": party_org, "contact_name": contact_name,
                                    "offer": offer})
    u = ResidentUnit.objects.select_for_update().get(pk=clean["unit"].pk)
    if _active_report_in_exists(u.pk, clean["community"].pk):
        raise _duplicate_report_in()
    r = UnitReportIn(unit=u, community=clean["community"], region_path=clean["community"].path, party_org=clean["party_org"],
                     contact_name=clean["contact_name"], offer=clean["offer"], status=ReportInStatus.PENDING,
                     reported_by=account_of(actor), reported_at=lookup.now())
    audited_save(r, conflict=_duplicate_report_in, actor=actor, verb="cobuild.report_in.create", snap=report_in_snapshot, module=MODULE)
    return r


def _report_in_transition(actor: Actor, report_in: Any, to: str, *, action: str, verb: str, reason: str = "") -> UnitReportIn:
    require(actor, action)
    r = lookup.get(UnitReportIn, actor, action, report_in, lock=True)
    before = REPORT_IN_TRANSITIONS.move(r, to, message=_("A report-in in status “%(from)s” cannot be changed to “%(to)s”."))
    fields = ["status", "updated_at"]
    if to == ReportInStatus.CONFIRMED:
        r.confirmed_at = lookup.now()
        r.confirmed_by = account_of(actor)
        fields += ["confirmed_at", "confirmed_by"]
    if to == ReportInStatus.ENDED:
        r.ended_at = lookup.now()
        fields.append("ended_at")
    lookup.save_status(r, fields, actor=actor, verb=verb, before=before, to=to, reason=reason)
    return r


@transaction.atomic
def report_in_confirm(*, actor: Actor, report_in: Any) -> UnitReportIn:
    """The community (or an administrator above it) confirms a report-in awaiting confirmation."""
    return _report_in_transition(actor, report_in, ReportInStatus.CONFIRMED, action=perms.REPORT_IN_CONFIRM,
                                 verb="cobuild.report_in.confirm")


@transaction.atomic
def report_in_reject(*, actor: Actor, report_in: Any, reason: Any) -> UnitReportIn:
    """The community declines a report-in awaiting confirmation; the reason is shown to the unit."""
    text = clean_reason(reason)
    return _report_in_transition(actor, report_in, ReportInStatus.REJECTED, action=perms.REPORT_IN_CONFIRM,
                                 verb="cobuild.report_in.reject", reason=text)


@transaction.atomic
def report_in_end(*, actor: Actor, report_in: Any, reason: Any) -> UnitReportIn:
    """The unit or the community ends a report-in (awaiting confirmation or confirmed); the unit may then report in again."""
    text = clean_reason(reason)
    return _report_in_transition(actor, report_in, ReportInStatus.ENDED, action=perms.REPORT_IN_END, verb="cobuild.report_in.end",
                                 reason=text)


REPORT_IN_ACTIONS: dict[str, Callable[..., UnitReportIn]] = {"confirm": report_in_confirm, "reject": report_in_reject, "end": report_in_end}


# --- partnerships ----------------------------------------------------------------------------------


def partnership_snapshot(p: Partnership) -> dict[str, Any]:
    return {
        "branch": p.branch_id, "unit": p.unit_id, "community": p.community_id, "status": p.status, "started_on": p.started_on,
        "ended_on": p.ended_on, "end_reason": p.end_reason,
    }


def organ_branches() -> QuerySet[PartyOrg]:
    """Party branches of organs that may enter a partnership: active, of an active unit."""
    return PartyOrg.objects.filter(is_active=True, sector=Sector.ORGAN, rank__in=BRANCH_RANKS, unit__isnull=False, unit__is_active=True)


def _duplicate_partnership() -> Conflict:
    msg = _("This branch already has an active partnership with this community.")
    return Conflict(msg, code="duplicate", details={"community": [msg]})


def _active_partnership_exists(branch_id: int, community_id: int) -> bool:
    return Partnership.objects.filter(branch_id=branch_id, community_id=community_id, status=PartnershipStatus.ACTIVE).exists()


def _clean_start(value: Any, errors: Errors) -> dt.date:
    day = clean_date(value, field="started_on", errors=errors)
    if day is None:
        return _today()
    if day < EARLIEST or day > _today() + dt.timedelta(days=366):
        errors.add("started_on", _("Enter a start date from 2000 to one year ahead."))
    return day


def clean_partnership(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    org = lookup.chosen(PartyOrg, data.get("branch"), PartyOrg.objects.filter(is_active=True).select_related("unit"), errors, "branch",
                        missing=_("Choose the party branch."), unknown=_("Unknown or deactivated party organisation."))
    if org is None:
        pass
    elif org.sector != Sector.ORGAN:
        errors.add("branch", _("Choose a party branch of an organ (机关); “%(name)s” is not in the organ sector.") % {"name": org.name})
        org = None
    elif org.rank not in BRANCH_RANKS:
        errors.add("branch", _("Choose a party branch or general branch, not a committee."))
        org = None
    elif org.unit is None or not org.unit.is_active:
        errors.add("branch", _("This branch is not attached to an active resident unit; attach it to its organ first."))
        org = None
    out["branch"] = org
    community = lookup.community(data.get("community"), errors, actor=actor, action=perms.PARTNERSHIP_MANAGE)
    out["community"] = community
    out["started_on"] = _clean_start(data.get("started_on"), errors)
    errors.raise_if_any()
    return out


@transaction.atomic
def partnership_create(*, actor: Actor, branch: Any, community: Any, started_on: Any = None) -> Partnership:
    """Pair an organ's party branch with a community (联建); one active partnership per branch and community."""
    require(actor, perms.PARTNERSHIP_MANAGE)
    clean = clean_partnership(actor, {"branch": branch, "community": community, "started_on": started_on})
    org = PartyOrg.objects.select_for_update().get(pk=clean["branch"].pk)
    if _active_partnership_exists(org.pk, clean["community"].pk):
        raise _duplicate_partnership()
    assert org.unit_id is not None  # clean_partnership refused a branch without a unit
    p = Partnership(branch=org, unit_id=org.unit_id, community=clean["community"], region_path=clean["community"].path,
                    status=PartnershipStatus.ACTIVE, started_on=clean["started_on"],
                    created_by=account_of(actor))
    audited_save(p, conflict=_duplicate_partnership, actor=actor, verb="cobuild.partnership.create", snap=partnership_snapshot, module=MODULE)
    return p


@transaction.atomic
def partnership_end(*, actor: Actor, partnership: Any, reason: Any, ended_on: Any = None) -> Partnership:
    """End an active partnership on a date (today unless given) with a reason."""
    require(actor, perms.PARTNERSHIP_MANAGE)
    p = lookup.get(Partnership, actor, perms.PARTNERSHIP_MANAGE, partnership, lock=True)
    errors = Errors()
    text = text_field(reason, field="reason", errors=errors, required=_("Give a reason."), max_length=500, multiline=True)
    day = clean_date(ended_on, field="ended_on", errors=errors)
    if p.status != PartnershipStatus.ACTIVE:
        raise TransitionError(_("This partnership has already ended."))
    day = day or _today()
    if "ended_on" not in errors.details:
        if day < p.started_on:
            errors.add("ended_on", _("The end date must not be earlier than the start date."))
        elif day > _today():
            errors.add("ended_on", _("The end date cannot be in the future."))
    errors.raise_if_any()
    audited_save(p, actor=actor, verb="cobuild.partnership.end", changes={"status": PartnershipStatus.ENDED, "ended_on": day, "end_reason": text},
                 snap=partnership_snapshot, update_fields=["status", "ended_on", "end_reason", "updated_at"], module=MODULE)
    return p


# --- yearly agreements -----------------------------------------------------------------------------


def agreement_snapshot(a: PartnershipAgreement) -> dict[str, Any]:
    return {
        "partnership": a.partnership_id, "year": a.year, "branch_commitments": a.branch_commitments,
        "community_commitments": a.community_commitments, "status": a.status, "signed_on": a.signed_on,
    }


def _duplicate_year(year: int) -> ValidationError:
    return ValidationError.for_field("year", _("This partnership already has an agreement for %(year)s.") % {"year": year})


def _year_taken(p: Partnership, year: int, agreement: PartnershipAgreement | None) -> bool:
    dup = PartnershipAgreement.objects.filter(partnership=p, year=year)
    if agreement is not None:
        dup = dup.exclude(pk=agreement.pk)
    return dup.exists()


def _clean_agreement(p: Partnership, data: dict[str, Any], *, agreement: PartnershipAgreement | None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    raw = data.get("year")
    year = 0
    try:
        if isinstance(raw, bool | float | list | dict):
            raise ValueError
        year = int(str(raw).strip()) if raw not in (None, "") else _today().year
    except (TypeError, ValueError):
        errors.add("year", _("Enter a year such as %(year)s.") % {"year": _today().year})
    if year and not (max(YEAR_MIN, p.started_on.year) <= year <= min(YEAR_MAX, _today().year + 1)):
        errors.add("year", _("Enter a year from %(low)s (the partnership's start) to %(high)s.")
                   % {"low": max(YEAR_MIN, p.started_on.year), "high": min(YEAR_MAX, _today().year + 1)})
    out["year"] = year
    out["branch_commitments"] = text_field(data.get("branch_commitments"), field="branch_commitments", errors=errors,
                                      required=_("Describe what the branch will do."), max_length=4000, multiline=True)
    out["community_commitments"] = text_field(data.get("community_commitments"), field="community_commitments", errors=errors,
                                         required=_("Describe what the community will do."), max_length=4000, multiline=True)
    if year and "year" not in errors.details and _year_taken(p, year, agreement):
        errors.catch(_duplicate_year(year))
    errors.raise_if_any()
    return out


def _unique_year(year: int) -> dict[str, tuple[str, Any]]:
    """Two requests racing for one year: the database's unique constraint refuses the second, reported on the year."""
    return {"cobuild_agreement_unique_year": ("year", _duplicate_year(year).message)}


@transaction.atomic
def agreement_create(*, actor: Actor, partnership: Any, year: Any = None, branch_commitments: Any = "",
                     community_commitments: Any = "") -> PartnershipAgreement:
    """A draft of the partnership's agreement for a year: what the branch and the community each will do."""
    require(actor, perms.AGREEMENT_EDIT)
    p = lookup.get(Partnership, actor, perms.AGREEMENT_EDIT, partnership, lock=True)
    if p.status != PartnershipStatus.ACTIVE:
        raise TransitionError(_("This partnership has ended; it takes no new agreements."))
    clean = _clean_agreement(p, {"year": year, "branch_commitments": branch_commitments, "community_commitments": community_commitments},
                             agreement=None)
    a = PartnershipAgreement(partnership=p, status=AgreementStatus.DRAFT)
    audited_save(a, actor=actor, verb="cobuild.agreement.create", changes=clean, snap=agreement_snapshot, unique=_unique_year(clean["year"]),
                 region_path=p.region_path, module=MODULE)
    return a


def _get_agreement(actor: Actor, action: str, agreement: Any) -> PartnershipAgreement:
    found = lookup.resolve(PartnershipAgreement, agreement, scoped(PartnershipAgreement.objects.all(), actor, action, AGREEMENT_SCOPE))
    if not found:
        raise NotFound()
    return PartnershipAgreement.objects.select_for_update().select_related("partnership").get(pk=found.pk)


@transaction.atomic
def agreement_update(*, actor: Actor, agreement: Any, **data: Any) -> PartnershipAgreement:
    """Change a draft agreement (year, what each side will do); a signed agreement is final."""
    require(actor, perms.AGREEMENT_EDIT)
    a = _get_agreement(actor, perms.AGREEMENT_EDIT, agreement)
    if a.status != AgreementStatus.DRAFT:
        raise TransitionError(_("A signed agreement can no longer be changed."))
    if a.partnership.status != PartnershipStatus.ACTIVE:
        raise TransitionError(_("This partnership has ended; its agreements can no longer be changed."))
    before = agreement_snapshot(a)
    current = {k: before[k] for k in ("year", "branch_commitments", "community_commitments")}
    allowed = {k: v for k, v in data.items() if k in current}
    clean = _clean_agreement(a.partnership, {**current, **allowed}, agreement=a)
    audited_save(a, actor=actor, verb="cobuild.agreement.update", changes=clean, snap=agreement_snapshot, before=before,
                 unique=_unique_year(clean["year"]), region_path=a.partnership.region_path, module=MODULE)
    return a


@transaction.atomic
def agreement_sign(*, actor: Actor, agreement: Any, signed_on: Any = None) -> PartnershipAgreement:
    """Record that both sides signed a draft agreement (on ``signed_on``, today unless given)."""
    require(actor, perms.AGREEMENT_SIGN)
    a = _get_agreement(actor, perms.AGREEMENT_SIGN, agreement)
    errors = Errors()
    day = clean_date(signed_on, field="signed_on", errors=errors)
    if a.status != AgreementStatus.DRAFT:
        raise TransitionError(_("This agreement has already been signed."))
    if a.partnership.status != PartnershipStatus.ACTIVE:
        raise TransitionError(_("This partnership has ended; its agreements can no longer be signed."))
    day = day or _today()
    if "signed_on" not in errors.details and (day > _today() or day < EARLIEST):
        errors.add("signed_on", _("Enter a signing date from 2000 up to today."))
    errors.raise_if_any()
    audited_save(a, actor=actor, verb="cobuild.agreement.sign", changes={"status": AgreementStatus.SIGNED, "signed_on": day},
                 snap=agreement_snapshot, update_fields=["status", "signed_on", "updated_at"], region_path=a.partnership.region_path,
                 module=MODULE)
    return a
