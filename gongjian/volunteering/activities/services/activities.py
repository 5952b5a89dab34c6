"""Activities and their shifts: create, edit, publish, finish, cancel; shifts, their check-in keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, audited_save
from gongjian.core.permissions import require
from gongjian.core.scope import actor_scopes, scoped
from gongjian.core.validation import Errors
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from ... import permissions as perms
from ...choices import (
    ACTIVITY_TRANSITIONS,
    SIGNUP_ACTIVE,
    ActivityStatus,
    SignupStatus,
)
from ...common import MODULE, acting_community
from ...common import pk_of as _pk
from ...common import user_or_none as _user
from ...models import Activity, ServiceBrand, Shift, Signup
from .. import codes
from .base import MAX_CAPACITY, SHIFT_MANAGE_SCOPE, _in_scope, _int, _now, _reason, _text, _when
from .signups import _fill_from_waiting_list

# --- activities ----------------------------------------------------------------------------------


def activity_snapshot(a: Activity) -> dict[str, Any]:
    return {"community": a.community_id, "unit": a.unit_id, "brand": a.brand_id, "title": a.title, "description": a.description,
            "place": a.place, "status": a.status, "people_served": a.people_served}


def liaison_units(actor: Actor) -> set[int]:
    return {s.unit_id for s in actor_scopes(actor) if s.kind == "unit" and s.unit_id and s.role == "unit_liaison"}


def _activity_owner(actor: Actor, community: Any, unit: Any, brand: Any, errors: Errors) -> tuple[Region | None, ResidentUnit | None,
                                                                                               ServiceBrand | None]:
    """Who publishes: an administrator for a community of his area (optionally for a unit or under one of its brands); a
    unit liaison for his own unit, in any community."""
    unit_obj = ResidentUnit.objects.filter(pk=_pk(unit), is_active=True).first() if unit not in (None, "") else None
    if unit not in (None, "") and unit_obj is None:
        errors.add("unit", _("Choose an active unit."))
    region: Region | None
    try:
        region = acting_community(actor, perms.ACTIVITY_MANAGE, community)
    except NotFound:
        # not an administrator of this community: a liaison may still publish for his own unit
        region = Region.objects.filter(pk=_pk(community), level=Level.COMMUNITY, is_active=True).first()
        if region is None or unit_obj is None or unit_obj.pk not in liaison_units(actor):
            raise
    except ValidationError as exc:
        errors.catch(exc)
        region = None
    brand_obj = None
    if brand not in (None, ""):
        brand_obj = ServiceBrand.objects.filter(pk=_pk(brand), is_active=True).first()
        if brand_obj is None or (region is not None and brand_obj.community_id != region.pk):
            errors.add("brand", _("Choose an active service brand of this community."))
            brand_obj = None
    return region, unit_obj, brand_obj


def _clean_activity(data: dict[str, Any], errors: Errors) -> dict[str, Any]:
    return {
        "title": _text(data.get("title"), field="title", errors=errors, required=_("Enter the activity's title."), max_length=120),
        "description": _text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True),
        "place": _text(data.get("place"), field="place", errors=errors, max_length=200),
    }


@transaction.atomic
def activity_create(*, actor: Actor, community: Any, title: Any, description: Any = "", place: Any = "", unit: Any = None,
                    brand: Any = None) -> Activity:
    """A draft activity; it opens for sign-up when published (with at least one shift)."""
    require(actor, perms.ACTIVITY_MANAGE)
    errors = Errors()
    region, unit_obj, brand_obj = _activity_owner(actor, community, unit, brand, errors)
    clean = _clean_activity({"title": title, "description": description, "place": place}, errors)
    errors.raise_if_any()
    assert region is not None
    a = Activity(community=region, region_path=region.path, unit=unit_obj, brand=brand_obj, created_by=_user(actor), **clean)
    audited_save(a, actor=actor, verb="volunteering.activity.create", snap=activity_snapshot)
    return a


def _activity_locked(actor: Actor, activity: Any) -> Activity:
    require(actor, perms.ACTIVITY_MANAGE)
    return _in_scope(Activity, activity, actor, perms.ACTIVITY_MANAGE, lock=True)


@transaction.atomic
def activity_update(*, actor: Actor, activity: Any, title: Any, description: Any = "", place: Any = "", brand: Any = None) -> Activity:
    a = _activity_locked(actor, activity)
    if a.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise TransitionError(_("A finished or cancelled activity cannot be changed."))
    errors = Errors()
    clean = _clean_activity({"title": title, "description": description, "place": place}, errors)
    brand_obj = None
    if brand not in (None, ""):
        brand_obj = ServiceBrand.objects.filter(pk=_pk(brand), community_id=a.community_id, is_active=True).first()
        if brand_obj is None:
            errors.add("brand", _("Choose an active service brand of this community."))
    errors.raise_if_any()
    audited_save(a, actor=actor, verb="volunteering.activity.update", changes={**clean, "brand": brand_obj}, snap=activity_snapshot,
                 always=True)
    return a


@transaction.atomic
def activity_publish(*, actor: Actor, activity: Any) -> Activity:
    a = _activity_locked(actor, activity)
    if a.status == ActivityStatus.DRAFT and not a.shifts.filter(is_cancelled=False).exists():
        raise ValidationError(_("Add at least one shift before publishing."), code="no_shifts")
    before = ACTIVITY_TRANSITIONS.move(a, ActivityStatus.PUBLISHED, message=_("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”."))
    a.published_at = _now()
    a.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(actor=actor, verb="volunteering.activity.publish", target=a, changes={"status": {"before": before, "after": a.status}})
    registry.bump(MODULE)
    return a


@transaction.atomic
def activity_finish(*, actor: Actor, activity: Any, people_served: Any = 0) -> Activity:
    """The activity took place; ``people_served`` counts towards its brand's monthly reach."""
    a = _activity_locked(actor, activity)
    errors = Errors()
    served = _int(people_served if people_served not in (None, "") else 0, field="people_served", errors=errors, low=0, high=1_000_000,
                  required=_("How many people were served?"))
    errors.raise_if_any()
    before = ACTIVITY_TRANSITIONS.move(a, ActivityStatus.FINISHED, message=_("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”."))
    a.people_served = served or 0
    a.save(update_fields=["status", "people_served", "updated_at"])
    audit.record(actor=actor, verb="volunteering.activity.finish", target=a,
                 changes={"status": {"before": before, "after": a.status}, "people_served": a.people_served})
    registry.bump(MODULE)
    return a


@transaction.atomic
def activity_cancel(*, actor: Actor, activity: Any, reason: Any) -> Activity:
    """Cancel the activity, its shifts and every sign-up (the members are told)."""
    text = _reason(reason)
    a = _activity_locked(actor, activity)
    before = ACTIVITY_TRANSITIONS.move(a, ActivityStatus.CANCELLED, message=_("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”."))
    a.save(update_fields=["status", "updated_at"])
    since = _now()
    shifts = list(Shift.objects.select_for_update().filter(activity=a, is_cancelled=False))
    for s in shifts:
        _cancel_shift_rows(s)
    audit.record(actor=actor, verb="volunteering.activity.cancel", target=a, changes={"status": {"before": before, "after": a.status},
                                                                                      "reason": text})
    _tell_signed_up([s.pk for s in shifts], since, _g("The activity “%(title)s” was cancelled: %(reason)s") % {"title": a.title, "reason": text})
    registry.bump(MODULE)
    return a


# --- shifts --------------------------------------------------------------------------------------


def shift_snapshot(s: Shift) -> dict[str, Any]:
    return {"starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat(), "place": s.place, "capacity": s.capacity,
            "skills": s.skills, "signup_cutoff": s.signup_cutoff.isoformat(), "is_cancelled": s.is_cancelled}


def _clean_shift(data: dict[str, Any], *, min_capacity: int = 1) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {
        "starts_at": _when(data.get("starts_at"), field="starts_at", errors=errors, required=_("When does the shift start?")),
        "ends_at": _when(data.get("ends_at"), field="ends_at", errors=errors, required=_("When does the shift end?")),
        "place": _text(data.get("place"), field="place", errors=errors, max_length=200),
        "capacity": _int(data.get("capacity"), field="capacity", errors=errors, low=1, high=MAX_CAPACITY,
                         required=_("How many places does the shift have?")),
        "skills": _text(data.get("skills"), field="skills", errors=errors, max_length=200),
    }
    cutoff = data.get("signup_cutoff")
    out["signup_cutoff"] = (_when(cutoff, field="signup_cutoff", errors=errors, required="") if cutoff not in (None, "")
                            else out["starts_at"])
    if out["starts_at"] and out["ends_at"]:
        if out["ends_at"] <= out["starts_at"]:
            errors.add("ends_at", _("The shift must end after it starts."))
        elif out["ends_at"] - out["starts_at"] > dt.timedelta(hours=24):
            errors.add("ends_at", _("A shift lasts at most 24 hours; split longer work into several shifts."))
    if out["signup_cutoff"] and out["starts_at"] and out["signup_cutoff"] > out["starts_at"]:
        errors.add("signup_cutoff", _("Sign-up must close at the latest when the shift starts."))
    if out["capacity"] is not None and out["capacity"] < min_capacity:
        errors.add("capacity", _("%(n)s places are taken; the shift cannot have fewer places.") % {"n": min_capacity})
    errors.raise_if_any()
    return out


@transaction.atomic
def shift_create(*, actor: Actor, activity: Any, starts_at: Any, ends_at: Any, capacity: Any, place: Any = "", skills: Any = "",
                 signup_cutoff: Any = None) -> Shift:
    """A dated slot of the activity (sign-up closes at ``signup_cutoff``, by default when the shift starts)."""
    a = _activity_locked(actor, activity)
    if a.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise TransitionError(_("A finished or cancelled activity cannot be changed."))
    clean = _clean_shift({"starts_at": starts_at, "ends_at": ends_at, "capacity": capacity, "place": place, "skills": skills,
                          "signup_cutoff": signup_cutoff})
    if not clean["place"]:
        clean["place"] = a.place
    s = Shift(activity=a, region_path=a.region_path, code_key=codes.new_key(), **clean)
    audited_save(s, actor=actor, verb="volunteering.shift.create", snap=shift_snapshot)
    return s


def _shift_locked(actor: Actor, shift: Any) -> Shift:
    require(actor, perms.ACTIVITY_MANAGE)
    found = _in_scope(Shift, shift, actor, perms.ACTIVITY_MANAGE, qs=scoped(Shift.objects.all(), actor, perms.ACTIVITY_MANAGE,
                                                                            SHIFT_MANAGE_SCOPE))
    return Shift.objects.select_for_update().select_related("activity").get(pk=found.pk)


@transaction.atomic
def shift_update(*, actor: Actor, shift: Any, starts_at: Any, ends_at: Any, capacity: Any, place: Any = "", skills: Any = "",
                 signup_cutoff: Any = None) -> Shift:
    s = _shift_locked(actor, shift)
    if s.is_cancelled or s.activity.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise TransitionError(_("A cancelled shift or one of a finished activity cannot be changed."))
    before = shift_snapshot(s)
    clean = _clean_shift({"starts_at": starts_at, "ends_at": ends_at, "capacity": capacity, "place": place, "skills": skills,
                          "signup_cutoff": signup_cutoff}, min_capacity=max(1, s.taken))
    for k, v in clean.items():
        setattr(s, k, v)
    s.save()
    promoted = _fill_from_waiting_list(s)
    audit.record(actor=actor, verb="volunteering.shift.update", target=s,
                 changes={**audit.diff(before, shift_snapshot(s)), **({"promoted": promoted} if promoted else {})})
    return s


def _cancel_shift_rows(s: Shift) -> None:
    s.is_cancelled = True
    s.taken = 0
    s.save(update_fields=["is_cancelled", "taken", "updated_at"])
    Signup.objects.filter(shift=s, status__in=list(SIGNUP_ACTIVE)).update(status=SignupStatus.CANCELLED, cancelled_at=_now(),
                                                                           updated_at=_now())


def _tell_signed_up(shift_ids: list[int], since: dt.datetime, title: str) -> None:
    """Notify the members whose sign-ups were cancelled (since ``since``) with the shifts."""
    users = [x.member.user for x in Signup.objects.filter(shift_id__in=shift_ids, status=SignupStatus.CANCELLED, cancelled_at__gte=since,
                                                          member__user__isnull=False).select_related("member__user")]
    notify.send(users, verb="volunteering.shift_cancelled", title=title, url=reverse("volunteering:my_signups"))


@transaction.atomic
def shift_cancel(*, actor: Actor, shift: Any, reason: Any) -> Shift:
    text = _reason(reason)
    s = _shift_locked(actor, shift)
    if s.is_cancelled:
        raise TransitionError(_("The shift is already cancelled."))
    since = _now()
    _cancel_shift_rows(s)
    audit.record(actor=actor, verb="volunteering.shift.cancel", target=s, changes={"is_cancelled": {"before": False, "after": True},
                                                                                  "reason": text})
    _tell_signed_up([s.pk], since, _g("A shift of “%(title)s” was cancelled: %(reason)s") % {"title": s.activity.title, "reason": text})
    return s


@transaction.atomic
def shift_rotate_key(*, actor: Actor, shift: Any) -> Shift:
    """A new check-in key: every code shown before stops working."""
    s = _shift_locked(actor, shift)
    s.code_key = codes.new_key()
    s.save(update_fields=["code_key", "updated_at"])
    audit.record(actor=actor, verb="volunteering.shift.rotate_key", target=s, changes={"code_key": "renewed"})
    return s
