"""Sign-ups and the waiting list: a place taken by one conditional statement, cancellations promote the next in line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import Conflict, NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, key_of
from gongjian.core.permissions import require

from ... import permissions as perms
from ...choices import (
    SIGNUP_ACTIVE,
    ActivityStatus,
    ReportInStatus,
    SignupStatus,
)
from ...common import MODULE
from ...models import MemberReportIn, Shift, Signup
from .base import _in_scope, _now, member_community

# --- sign-ups and the waiting list ----------------------------------------------------------------

TAKE_PLACE_SQL = "UPDATE volunteering_shift SET taken = taken + 1 WHERE id = %s AND taken < capacity AND NOT is_cancelled"


assert Shift._meta.db_table == "volunteering_shift"


def take_place(shift_id: int) -> bool:
    """THE capacity rule: one conditional statement takes a place, or none is left."""
    with connection.cursor() as cur:
        cur.execute(TAKE_PLACE_SQL, [shift_id])
        return bool(cur.rowcount == 1)


def _release_place(shift_id: int) -> None:
    Shift.objects.filter(pk=shift_id, taken__gt=0).update(taken=F("taken") - 1)


JOIN_WAITING_SQL = (
    "UPDATE volunteering_signup SET status = 'waiting', position = "
    "(SELECT COALESCE(MAX(position), 0) + 1 FROM volunteering_signup WHERE shift_id = %s) WHERE id = %s RETURNING position"
)
assert Signup._meta.db_table == "volunteering_signup"


def _join_waiting_list(signup_id: int, shift_id: int) -> int:
    """The next waiting-list position, given in one statement (the caller holds the shift's row lock)."""
    with connection.cursor() as cur:
        cur.execute(JOIN_WAITING_SQL, [shift_id, signup_id])
        return int(cur.fetchone()[0])


def full_message() -> Any:
    return _("This shift is full (已满).")


def _open_for_signup(shift: Shift, now: dt.datetime) -> None:
    if shift.is_cancelled or shift.activity.status == ActivityStatus.CANCELLED:
        raise ValidationError(_("This shift was cancelled."), code="cancelled")
    if shift.activity.status != ActivityStatus.PUBLISHED:
        raise ValidationError(_("This activity is not open for sign-up."), code="not_open")
    if now >= shift.signup_cutoff:
        raise ValidationError(_("Sign-up and cancellation for this shift closed at %(when)s.")
                              % {"when": timezone.localtime(shift.signup_cutoff).strftime("%Y-%m-%d %H:%M")}, code="closed")


def _member_with_report_in(actor: Actor) -> tuple[int, int]:
    """The member's id and his confirmed report-in's community in one narrow query, on the path every sign-up takes
    (without one: ``member_community`` says why)."""
    row = (MemberReportIn.objects.filter(member__user_id=getattr(actor, "pk", None) or 0, member__is_active=True,
                                         status=ReportInStatus.CONFIRMED).values_list("member_id", "community_id").first())
    if row is None:
        member, report_in = member_community(actor)
        return member.pk, report_in.community_id
    return row


@transaction.atomic
def signup_create(*, actor: Actor, shift: Any, wait: bool = True) -> Signup:
    """The member takes a place on a shift of his community's activity; when it is full he joins the waiting list (or,
    with ``wait=False``, gets the clear “full” answer and nothing is written). Once per shift.

    The sign-up row is written first and the place taken last, so the shift's row stays locked (by the conditional
    ``UPDATE``) only until the commit; a second active sign-up is refused by ``vol_signup_one_active``."""
    require(actor, perms.SIGNUP)
    member_id, community_id = _member_with_report_in(actor)
    s = (Shift.objects.select_related("activity").only("region_path", "signup_cutoff", "is_cancelled", "activity__status")
         .filter(pk=key_of(shift), activity__community_id=community_id).first())
    if s is None:
        raise NotFound()
    now = _now()
    _open_for_signup(s, now)
    sign = Signup(shift=s, member_id=member_id, region_path=s.region_path, status=SignupStatus.CONFIRMED, signed_up_at=now)
    try:
        sign.save()  # no savepoint: a duplicate rolls the whole sign-up back
    except IntegrityError:
        raise Conflict(_("You have already signed up for this shift."), code="duplicate") from None
    if not take_place(s.pk):
        locked = Shift.objects.select_for_update().get(pk=s.pk)  # the waiting list follows the order of arrival
        if locked.is_cancelled:
            raise ValidationError(_("This shift was cancelled."), code="cancelled")
        if not (locked.taken < locked.capacity and take_place(s.pk)):  # under the lock: no place freed meanwhile
            if not wait:
                raise Conflict(full_message(), code="full")
            sign.status, sign.position = SignupStatus.WAITING, _join_waiting_list(sign.pk, s.pk)
    audit.record(actor=actor, verb="volunteering.signup.create", target=sign,
                 changes={"shift": s.pk, "status": sign.status, **({"position": sign.position} if sign.position else {})})
    registry.bump(MODULE)
    return sign


def _promote(s: Shift, now: dt.datetime) -> Signup | None:
    first = (Signup.objects.select_for_update(of=("self",)).filter(shift=s, status=SignupStatus.WAITING).order_by("position", "id")
             .select_related("member__user").first())
    if first is None:
        return None
    first.status, first.promoted_at = SignupStatus.CONFIRMED, now
    first.save(update_fields=["status", "promoted_at", "updated_at"])
    audit.record(actor=None, verb="volunteering.signup.promote", target=first, changes={"status": {"before": "waiting", "after": "confirmed"}})
    if first.member.user_id:
        notify.send([first.member.user], verb="volunteering.promoted", target=first, url=reverse("volunteering:my_signups"),
                    title=_g("A place became free: you now have a place on “%(title)s” %(when)s.")
                    % {"title": s.activity.title, "when": timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M")})
    return first


def _fill_from_waiting_list(s: Shift) -> list[int]:
    """After the capacity grew: move waiting members up while places are free (the shift's row is locked)."""
    moved: list[int] = []
    now = _now()
    while Signup.objects.filter(shift=s, status=SignupStatus.WAITING).exists() and take_place(s.pk):
        p = _promote(s, now)
        if p is None:
            _release_place(s.pk)
            break
        moved.append(p.pk)
    return moved


@transaction.atomic
def signup_cancel(*, actor: Actor, signup: Any) -> Signup:
    """The member cancels before the cut-off; his place goes to the first on the waiting list."""
    require(actor, perms.SIGNUP)
    found = _in_scope(Signup, signup, actor, perms.SIGNUP)
    s = Shift.objects.select_for_update().select_related("activity").get(pk=found.shift_id)
    sign = Signup.objects.select_for_update().get(pk=found.pk)
    if sign.status not in SIGNUP_ACTIVE:
        raise TransitionError(_("This sign-up is already cancelled."))
    now = _now()
    if now >= s.signup_cutoff:
        raise ValidationError(_("Sign-up and cancellation for this shift closed at %(when)s.")
                              % {"when": timezone.localtime(s.signup_cutoff).strftime("%Y-%m-%d %H:%M")}, code="closed")
    if sign.checked_in_at:
        raise TransitionError(_("You have already checked in; a sign-up with a check-in cannot be cancelled."))
    before = sign.status
    sign.status, sign.cancelled_at = SignupStatus.CANCELLED, now
    sign.save(update_fields=["status", "cancelled_at", "updated_at"])
    promoted = None
    if before == SignupStatus.CONFIRMED:
        promoted = _promote(s, now)  # the place passes on: taken stays the same
        if promoted is None:
            _release_place(s.pk)
    audit.record(actor=actor, verb="volunteering.signup.cancel", target=sign,
                 changes={"status": {"before": before, "after": sign.status}, **({"promoted": promoted.pk} if promoted else {})})
    registry.bump(MODULE)
    return sign
