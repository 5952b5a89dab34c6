"""Writes of the suggestions part: accept a suggestion (it becomes a project), reject it (remembered), undo a rejection.

Each is one transaction that locks the need first, so two decisions on the same need run one after the other. The
capacity itself is committed by ``cobuild.services.project_create`` under a row lock on the resource; when another
staff member took the capacity meanwhile, the answer is a 409 ``capacity_exhausted`` and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import Conflict, NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, account_of, clean_reason, key_of
from gongjian.core.permissions import require
from gongjian.core.scope import scoped
from gongjian.core.validation import Errors, clean_decimal, clean_text

from .. import permissions as cperms
from ..choices import PROJECT_NEED_STATUSES, MatchVerdict, ProjectStatus, ResourceStatus
from ..models import MatchDecision, Need, Resource
from ..projects import services as project_services
from ..selectors import resource_base
from . import index as idx
from . import permissions as perms
from .selectors import default_amount

MAX_AMOUNT = Decimal("999999999999")


class CapacityExhausted(Conflict):
    code = "capacity_exhausted"
    default_message = _("The resource's remaining capacity was taken meanwhile.")


def _locked_need(actor: Actor, need: Any) -> Need:
    pk = key_of(need, Need)
    if not scoped(Need.objects.filter(pk=pk), actor, cperms.NEED_MANAGE).exists():
        raise NotFound()
    return Need.objects.select_for_update(of=("self",)).select_related("community").get(pk=pk)


def _resource(actor: Actor, resource: Any) -> Resource:
    found = resource_base(actor, cperms.RESOURCE_VIEW).select_related("unit").filter(pk=key_of(resource, Resource)).first()
    if found is None:
        raise NotFound()
    return found


def _score(index: idx.Index, need: Need, resource: Resource) -> float | None:
    """The engine's score of the pair now (None when the resource is no longer in the index)."""
    s = index.matcher.explain(idx.engine_need(need), str(resource.pk))
    return round(s.score, 6) if s is not None and s.score >= 0 else None


def _fmt(d: Decimal) -> str:
    return format(d.normalize(), "f")


def _exhausted(resource: Resource, amount: Decimal) -> CapacityExhausted:
    unit = idx.CAPACITY_UNIT_ZH.get(resource.capacity_unit, "")
    if resource.remaining is not None and resource.remaining <= 0:
        message = _("The capacity of “%(title)s” is used up: another project took it meanwhile.") % {"title": resource.title}
    else:
        message = _("Only %(remaining)s %(unit)s of “%(title)s” remain; %(amount)s %(unit)s cannot be committed.") % {
            "remaining": _fmt(resource.remaining or Decimal(0)), "unit": unit, "title": resource.title, "amount": _fmt(amount)}
    return CapacityExhausted(message, details={"amount": [message]})


def _clean_amount(value: Any, resource: Resource) -> Decimal:
    errors = Errors()
    if value in (None, ""):
        errors.add("amount", _("Enter the amount to commit from the resource."))
        errors.raise_if_any()
    amount = clean_decimal(value, field="amount", errors=errors, high=MAX_AMOUNT,
                                     negative_message=_("The amount must be greater than zero."))
    errors.raise_if_any()
    if amount is None or amount <= 0:
        raise ValidationError.for_field("amount", _("The amount must be greater than zero."))
    return amount


def _check_need(n: Need) -> None:
    if n.status not in PROJECT_NEED_STATUSES:
        raise TransitionError(
            _("The need is “%(status)s”; only a published need can be matched with resources.") % {"status": n.get_status_display()}
        )


def _check_offered(r: Resource) -> None:
    if r.status != ResourceStatus.OFFERED:
        raise Conflict(_("The resource “%(title)s” is no longer on offer (“%(status)s”).") % {"title": r.title, "status": r.get_status_display()},
                       code="resource_not_offered")
    if r.available_to is not None and r.available_to < timezone.localdate():
        raise Conflict(_("The available period of the resource “%(title)s” has ended.") % {"title": r.title}, code="resource_not_offered")


def _active_accept(d: MatchDecision | None) -> bool:
    return d is not None and d.verdict == MatchVerdict.ACCEPTED and (d.project is None or d.project.status != ProjectStatus.CANCELLED)


@transaction.atomic
def match_accept(*, actor: Actor, need: Any, resource: Any, amount: Any, title: Any = "", plan: Any = "") -> MatchDecision:
    """Accept a suggested resource for a need: a project (proposed) with the resource's unit as responsible unit and
    the need's community, committing ``amount`` of the resource's capacity; the decision is remembered.

    ``amount`` None takes the default of the suggestion (the need's quantity in the resource's unit, at most what is
    left; 1 for a capacity not counted); a blank one is an error."""
    require(actor, perms.SUGGEST_DECIDE)
    require(actor, cperms.PROJECT_MANAGE)
    index = idx.current_index()  # before any row lock: a cold index takes seconds to build
    n = _locked_need(actor, need)
    _check_need(n)
    r = _resource(actor, resource)
    _check_offered(r)
    existing = MatchDecision.objects.select_for_update(of=("self",)).select_related("project").filter(need=n, resource=r).first()
    if existing is not None and existing.verdict == MatchVerdict.REJECTED:
        raise Conflict(_("This resource was rejected for this need; undo the rejection first."), code="rejected")
    if _active_accept(existing):
        raise Conflict(_("This resource was already accepted for this need."), code="already_accepted")
    errors = Errors()
    clean_title = clean_text(title, field="title", errors=errors, max_length=120)
    clean_plan = clean_text(plan, field="plan", errors=errors, max_length=8000, multiline=True)
    errors.raise_if_any()
    if amount is None:  # not given at all (the API): the sensible default, if there is one
        amount = default_amount(n, r)
    value = _clean_amount(amount, r)
    if r.remaining is not None and r.remaining < value:
        raise _exhausted(r, value)
    score = _score(index, n, r)
    try:
        project = project_services.project_create(
            actor=actor, title=clean_title or n.title[:120], community=n.community_id, unit=r.unit_id, needs=[n.pk],
            resources=[(r.pk, value)], plan=clean_plan,
        )
    except ValidationError as exc:
        if "resources" not in exc.details:
            raise
        fresh = Resource.objects.get(pk=r.pk)
        _check_offered(fresh)
        if fresh.remaining is not None and fresh.remaining < value:
            raise _exhausted(fresh, value) from None
        raise
    decision = existing or MatchDecision(need=n, resource=r)
    decision.verdict = MatchVerdict.ACCEPTED
    decision.reason = ""
    decision.project = project
    decision.decided_by = account_of(actor)
    decision.score = score
    decision.save()
    audit.record(actor=actor, verb="cobuild.match.accept", target=decision, region_path=n.region_path,
                 target_label=f"{n.title} ← {r.title}"[:255],
                 changes={"need": n.pk, "resource": r.pk, "amount": str(value), "project": project.pk, "score": score})
    return decision


@transaction.atomic
def match_reject(*, actor: Actor, need: Any, resource: Any, reason: Any) -> MatchDecision:
    """Reject a suggested resource for a need (a reason is required); it is never suggested for that need again."""
    require(actor, perms.SUGGEST_DECIDE)
    text = clean_reason(reason, multiline=False)
    index = idx.current_index()  # before any row lock
    n = _locked_need(actor, need)
    _check_need(n)
    r = _resource(actor, resource)
    existing = MatchDecision.objects.select_for_update(of=("self",)).select_related("project").filter(need=n, resource=r).first()
    if existing is not None and existing.verdict == MatchVerdict.REJECTED:
        raise Conflict(_("This resource was already rejected for this need."), code="already_rejected")
    if _active_accept(existing):
        raise Conflict(_("This resource was accepted for this need; cancel its project instead."), code="already_accepted")
    decision = existing or MatchDecision(need=n, resource=r)
    decision.verdict = MatchVerdict.REJECTED
    decision.reason = text
    decision.project = None
    decision.decided_by = account_of(actor)
    decision.score = _score(index, n, r) if r.status == ResourceStatus.OFFERED else None
    decision.save()
    audit.record(actor=actor, verb="cobuild.match.reject", target=decision, region_path=n.region_path,
                 target_label=f"{n.title} ← {r.title}"[:255],
                 changes={"need": n.pk, "resource": r.pk, "reason": text, "score": decision.score})
    return decision


@transaction.atomic
def match_unreject(*, actor: Actor, need: Any, resource: Any) -> None:
    """Undo a rejection: the resource may be suggested for the need again."""
    require(actor, perms.SUGGEST_DECIDE)
    n = _locked_need(actor, need)
    rid = key_of(resource, Resource)
    decision = MatchDecision.objects.select_for_update(of=("self",)).select_related("resource").filter(
        need=n, resource_id=rid, verdict=MatchVerdict.REJECTED).first()
    if decision is None:
        raise NotFound()
    audit.record(actor=actor, verb="cobuild.match.unreject", target=n, region_path=n.region_path,
                 target_label=f"{n.title} ← {decision.resource.title}"[:255],
                 changes={"need": n.pk, "resource": rid, "reason": {"before": decision.reason, "after": None}})
    decision.delete()
