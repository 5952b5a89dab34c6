"""Check-in and check-out, hours (confirm, reject, credit) and the point rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import Conflict, PermissionDenied, ValidationError
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import can, require
from gongjian.core.scope import scoped
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal
from gongjian.orgs.models import Member

from ... import permissions as perms
from ...choices import (
    CodeKind,
    HoldingStatus,
    HourKind,
    HourStatus,
    SignupStatus,
)
from ...common import MODULE, acting_community, actor_member, point_rule, points_for_hours
from ...common import pk_of as _pk
from ...common import user_or_none as _user
from ...models import Activity, CodeUse, HourRecord, PointRule, PostHolding, ServicePost, Shift, Signup
from .. import codes
from .base import HOURS_STEP, SHIFT_MANAGE_SCOPE, SIGNUP_MANAGE_SCOPE, _in_scope, _int, _now, _reason, _text

# --- check-in, check-out and hours ----------------------------------------------------------------


def shift_hours(sign: Signup, shift: Shift) -> Decimal:
    """Hours between check-in and check-out, capped at the shift's length, in tenths (half up)."""
    assert sign.checked_in_at and sign.checked_out_at
    worked = min(sign.checked_out_at - sign.checked_in_at, shift.ends_at - shift.starts_at)
    hours = Decimal(max(worked.total_seconds(), 0)) / Decimal(3600)
    return min(hours.quantize(HOURS_STEP, rounding=ROUND_HALF_UP), Decimal(24))


def _record(actor: Actor, sign: Signup, shift: Shift, kind: str, now: dt.datetime, by_staff: bool) -> Signup:
    if kind == CodeKind.CHECK_IN:
        if sign.checked_in_at:
            raise Conflict(_("Already checked in at %(when)s.") % {"when": timezone.localtime(sign.checked_in_at).strftime("%H:%M")},
                           code="already_in")
        sign.checked_in_at = now
        fields = ["checked_in_at"]
    else:
        if sign.checked_out_at or HourRecord.objects.filter(signup=sign).exists():
            raise Conflict(_("Already checked out of this shift; its hours are credited once."), code="already_out")
        if not sign.checked_in_at:
            raise ValidationError(_("Check in first; hours count from the check-in."), code="not_in")
        sign.checked_out_at = now
        fields = ["checked_out_at"]
    if by_staff:
        sign.checked_by = _user(actor)
        fields.append("checked_by")
    sign.save(update_fields=[*fields, "updated_at"])
    if kind == CodeKind.CHECK_OUT:
        hours = shift_hours(sign, shift)
        if hours <= 0:
            raise ValidationError(_("Less than six minutes since the check-in; check out when the work is done."), code="too_short")
        try:
            with transaction.atomic():
                record = HourRecord.objects.create(
                    member_id=sign.member_id, community_id=shift.activity.community_id, region_path=shift.region_path, kind=HourKind.SHIFT,
                    signup=sign, activity_id=shift.activity_id, date=timezone.localtime(shift.starts_at).date(), hours=hours,
                    status=HourStatus.PENDING)
        except IntegrityError:
            raise Conflict(_("Already checked out of this shift; its hours are credited once."), code="already_out") from None
        audit.record(actor=actor, verb="volunteering.hours.credit", target=record, changes={"hours": str(hours), "signup": sign.pk})
        registry.bump(MODULE)
    audit.record(actor=actor, verb=f"volunteering.signup.check_{kind}", target=sign,
                 changes={"at": now.isoformat(), **({"by_staff": True} if by_staff else {})})
    return sign


@transaction.atomic
def check_by_code(*, actor: Actor, token: Any, shift: Any = None) -> Signup:
    """The member scanned the code shown at the place: check in or out if the code is genuine, current, for a shift he has
    a place on (``shift``: the shift the page expects, when known), within its time window, and not used by him before."""
    require(actor, perms.SIGNUP)
    member = actor_member(actor)
    assert member is not None
    code = codes.read_token(token)
    if shift not in (None, "") and _pk(shift) != code.shift_id:
        raise ValidationError(_("This code belongs to another shift."), code="wrong_shift")
    s = Shift.objects.select_related("activity").filter(pk=code.shift_id).first()
    if s is None:
        raise ValidationError(_("This is not a check-in code of this system."), code="bad_code")
    if s.code_key != code.key:
        raise ValidationError(_("This code is no longer valid (the shift's code was renewed); scan the code shown now."), code="code_renewed")
    if s.is_cancelled:
        raise ValidationError(_("This shift was cancelled."), code="cancelled")
    now = _now()
    opens, closes = codes.window(s)
    if not opens <= now <= closes:
        raise ValidationError(_("Check-in and check-out for this shift are open from %(start)s to %(end)s.")
                              % {"start": timezone.localtime(opens).strftime("%m-%d %H:%M"),
                                 "end": timezone.localtime(closes).strftime("%m-%d %H:%M")}, code="outside_window")
    sign = Signup.objects.select_for_update().filter(shift=s, member=member, status=SignupStatus.CONFIRMED).first()
    if sign is None:
        raise ValidationError(_("This code belongs to a shift you have no place on."), code="wrong_shift")
    try:
        with transaction.atomic():
            CodeUse.objects.create(shift=s, member=member, kind=code.kind, nonce=code.nonce, used_at=now)
    except IntegrityError:
        raise ValidationError(_("You have already used this code; scan the code shown at the place now."), code="code_used") from None
    return _record(actor, sign, s, code.kind, now, by_staff=False)


@transaction.atomic
def check_by_staff(*, actor: Actor, signup: Any, kind: Any) -> Signup:
    """Staff check a member in or out by hand from the roster (``checked_by``)."""
    require(actor, perms.ACTIVITY_MANAGE)
    if kind not in CodeKind.values:
        raise ValidationError.for_field("kind", _("Choose one of the listed options."))
    found = _in_scope(Signup, signup, actor, perms.ACTIVITY_MANAGE, qs=scoped(Signup.objects.all(), actor, perms.ACTIVITY_MANAGE,
                                                                              SIGNUP_MANAGE_SCOPE))
    s = Shift.objects.select_related("activity").get(pk=found.shift_id)
    sign = Signup.objects.select_for_update().get(pk=found.pk)
    if sign.status != SignupStatus.CONFIRMED:
        raise ValidationError(_("Only members with a place on the shift can be checked in."), code="no_place")
    return _record(actor, sign, s, str(kind), _now(), by_staff=True)


def _points_expr(rule: PointRule) -> Any:
    hours_points = Cast(Round(F("hours") * Value(rule.per_hour)), IntegerField())
    return Case(When(kind=HourKind.TASK, then=hours_points + Value(rule.per_task)), default=hours_points, output_field=IntegerField())


def _pending_for(actor: Actor, records: Iterable[Any]) -> Any:
    require(actor, perms.HOURS_CONFIRM)
    ids = [i for i in (_pk(r) for r in records) if i][:1000]
    if not ids:
        raise ValidationError.for_field("records", _("Choose the hours to decide on."))
    qs = scoped(HourRecord.objects.filter(pk__in=ids), actor, perms.HOURS_CONFIRM)
    if qs.filter(member__user_id=getattr(actor, "pk", 0) or 0).exists():
        raise PermissionDenied(_("You cannot confirm or reject your own hours."), code="own_hours")
    return qs.filter(status=HourStatus.PENDING)


@transaction.atomic
def hours_confirm(*, actor: Actor, records: Iterable[Any]) -> int:
    """Confirm pending hours (one or many, in one statement); points follow from the point rule at this moment."""
    qs = _pending_for(actor, records)
    rule = point_rule()
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    n = HourRecord.objects.filter(pk__in=ids, status=HourStatus.PENDING).update(
        status=HourStatus.CONFIRMED, points=_points_expr(rule), confirmed_at=_now(), confirmed_by=_user(actor), updated_at=_now())
    audit.record(actor=actor, verb="volunteering.hours.confirm", target=None, changes={"records": ids, "per_hour": rule.per_hour})
    registry.bump(MODULE)
    return n


@transaction.atomic
def hours_reject(*, actor: Actor, records: Iterable[Any], reason: Any) -> int:
    text = _reason(reason)
    qs = _pending_for(actor, records)
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    n = HourRecord.objects.filter(pk__in=ids, status=HourStatus.PENDING).update(
        status=HourStatus.REJECTED, points=0, note=text, confirmed_at=_now(), confirmed_by=_user(actor), updated_at=_now())
    audit.record(actor=actor, verb="volunteering.hours.reject", target=None, changes={"records": ids, "reason": text})
    registry.bump(MODULE)
    return n


@transaction.atomic
def hours_credit(*, actor: Actor, member: Any, community: Any, kind: Any, hours: Any, date: Any, post: Any = None, note: Any = "") -> HourRecord:
    """The community credits hours for a service post or a task (confirmed at once, points by the rule)."""
    require(actor, perms.HOURS_CONFIRM)
    region = acting_community(actor, perms.HOURS_CONFIRM, community)
    errors = Errors()
    k = clean_choice(kind, HourKind, field="kind", errors=errors)
    if k == HourKind.SHIFT:
        errors.add("kind", _("Shift hours are credited at check-out."))
    amount = clean_decimal(hours, field="hours", errors=errors, low=Decimal("0.1"), high=Decimal("24"), places="0.1")
    if amount is None and "hours" not in errors.details:
        errors.add("hours", _("Enter the hours."))
    day = clean_date(date, field="date", errors=errors)
    if day is None and "date" not in errors.details:
        errors.add("date", _("Enter the date."))
    elif day is not None and day > timezone.localdate():
        errors.add("date", _("Hours cannot be credited for a future date."))
    text = _text(note, field="note", errors=errors, max_length=300)
    m = Member.objects.filter(pk=_pk(member), is_active=True, report_ins__community=region, report_ins__status="confirmed").first()
    if m is None:
        errors.add("member", _("Choose a member whose report-in to this community is confirmed."))
    post_obj = None
    if k == HourKind.POST:
        post_obj = ServicePost.objects.filter(pk=_pk(post), community=region).first()
        if post_obj is None:
            errors.add("post", _("Choose a service post of this community."))
        elif m is not None and not PostHolding.objects.filter(post=post_obj, member=m, status=HoldingStatus.APPROVED).exists():
            errors.add("post", _("This member does not hold this post."))
    errors.raise_if_any()
    if m is not None and m.user_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("You cannot confirm or reject your own hours."), code="own_hours")
    rule = point_rule()
    assert amount is not None and day is not None and m is not None
    points = points_for_hours(amount, rule) + (rule.per_task if k == HourKind.TASK else 0)
    r = HourRecord.objects.create(member=m, community=region, region_path=region.path, kind=k, post=post_obj, date=day, hours=amount,
                                  points=points, status=HourStatus.CONFIRMED, note=text, confirmed_at=_now(), confirmed_by=_user(actor))
    audit.record(actor=actor, verb="volunteering.hours.credit", target=r, changes={"kind": k, "hours": str(amount), "member": m.pk})
    registry.bump(MODULE)
    return r


@transaction.atomic
def point_rule_update(*, actor: Actor, per_hour: Any, per_task: Any, per_pledge: Any) -> PointRule:
    """The city changes how many points confirmed work earns (records confirmed earlier keep theirs)."""
    require(actor, perms.POINT_RULE_MANAGE)
    errors = Errors()
    values = {k: _int(v, field=k, errors=errors, low=0, high=1000, required=_("Enter a number."))
              for k, v in {"per_hour": per_hour, "per_task": per_task, "per_pledge": per_pledge}.items()}
    errors.raise_if_any()
    rule = PointRule.objects.select_for_update().get(pk=point_rule().pk)
    audited_save(rule, actor=actor, verb="volunteering.point_rule.update", changes={**values, "updated_by": _user(actor)}, fields=list(values),
                 always=True)
    return rule


def may_manage(actor: Actor, obj: Any) -> bool:
    """Does the actor manage this activity (or the shift's activity)?"""
    if not can(actor, perms.ACTIVITY_MANAGE):
        return False
    if isinstance(obj, Shift):
        return scoped(Shift.objects.filter(pk=obj.pk), actor, perms.ACTIVITY_MANAGE, SHIFT_MANAGE_SCOPE).exists()
    return scoped(Activity.objects.filter(pk=obj.pk), actor, perms.ACTIVITY_MANAGE).exists()
