"""Writes of service posts, service brands, activities and shifts, sign-ups and the waiting list, check-in and
check-out, hours and points.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds records inside the actor's scope
(outside = NotFound), validates every field before writing (nothing is written on error), runs in one transaction,
writes an audit event and bumps the volunteering figures on commit.

Concurrency (decision 0010):

* **Capacity** — a place on a shift is taken by ONE conditional statement
  ``UPDATE … SET taken = taken + 1 WHERE id = %s AND taken < capacity AND NOT is_cancelled``; the row lock it takes
  serialises sign-ups for that shift, and the check constraint ``vol_shift_taken_within_capacity`` is the backstop.
  The waiting list and cancellations lock the shift's row (``select_for_update``) so positions and promotions follow
  the order of arrival.
* **Posts** — approving an application locks the post's row and counts its holders: never more than ``needed``.
* **Hours** — one record per sign-up (a one-to-one column): a second check-out is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Model, Value, When
from django.db.models.functions import Cast, Round
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.permissions import can, require
from gongjian.core.scope import ScopeFields, actor_scopes, scoped
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal
from gongjian.orgs.models import Member, ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from ..choices import (
    ACTIVITY_TRANSITIONS,
    HOLDING_TRANSITIONS,
    SIGNUP_ACTIVE,
    ActivityStatus,
    CodeKind,
    HoldingStatus,
    HourKind,
    HourStatus,
    PostKind,
    ReportInStatus,
    SignupStatus,
)
from ..common import MODULE, acting_community, active_report_in, actor_member, point_rule, points_for_hours, text_field
from ..common import pk_of as _pk
from ..common import user_or_none as _user
from ..models import Activity, CodeUse, HourRecord, MemberReportIn, PointRule, PostHolding, ServiceBrand, ServicePost, Shift, Signup
from . import codes

MAX_CAPACITY = 10_000
MAX_NEEDED = 500
HOURS_STEP = Decimal("0.1")  # hours are credited in tenths of an hour
# shifts and sign-ups reached by the manager of their activity (a unit liaison through the activity's unit)
SHIFT_MANAGE_SCOPE = ScopeFields(region=("region_path",), unit=("activity__unit_id",))
SIGNUP_MANAGE_SCOPE = ScopeFields(region=("region_path",), unit=("shift__activity__unit_id",))


def _now() -> dt.datetime:
    return timezone.now()




def _text(value: Any, **kw: Any) -> str:
    return text_field(value, **{"max_length": 200, **kw})


def _int(value: Any, *, field: str, errors: Errors, low: int, high: int, required: Any) -> int | None:
    if value in (None, ""):
        errors.add(field, required)
        return None
    if isinstance(value, bool | float | list | dict):
        errors.add(field, _("Enter a whole number."))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.add(field, _("Enter a whole number."))
        return None
    if not low <= number <= high:
        errors.add(field, _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high})
        return None
    return number


def _when(value: Any, *, field: str, errors: Errors, required: Any) -> dt.datetime | None:
    """An aware date and time from a datetime or an ISO text (``2026-05-01T09:00`` or with a space)."""
    if value in (None, ""):
        errors.add(field, required)
        return None
    parsed: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 40 and "\x00" not in value:
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        errors.add(field, _("Enter a date and time, e.g. 2026-05-01 09:00."))
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if not dt.datetime(2000, 1, 1, tzinfo=dt.UTC) <= parsed <= dt.datetime(2100, 1, 1, tzinfo=dt.UTC):
        errors.add(field, _("Enter a date between 2000 and 2100."))
        return None
    return parsed


def _reason(value: Any) -> str:
    errors = Errors()
    text = _text(value, field="reason", errors=errors, required=_("Give a reason."), max_length=300, multiline=True)
    errors.raise_if_any()
    return text


def _transition(table: dict[str, frozenset[str]], obj: Any, to: str, label: Any) -> str:
    before = str(obj.status)
    if to not in table.get(before, frozenset()):
        labels = dict(type(obj)._meta.get_field("status").choices)
        raise TransitionError(_("A %(what)s in status “%(from)s” cannot be changed to “%(to)s”.")
                              % {"what": label, "from": obj.get_status_display(), "to": labels.get(to, to)})
    obj.status = to
    return before


def _in_scope(model: type[Model], value: Any, actor: Any, action: str, *, lock: bool = False, qs: Any = None) -> Any:
    pk = _pk(value)
    base = qs if qs is not None else model._default_manager.all()  # type: ignore[attr-defined]
    found = scoped(base, actor, action).filter(pk=pk).values_list("pk", flat=True).first() if pk else None
    if found is None:
        raise NotFound()
    if lock:
        return model._default_manager.select_for_update().get(pk=found)  # type: ignore[attr-defined]
    return base.get(pk=found)


def member_community(actor: Any) -> tuple[Member, MemberReportIn]:
    """The acting member and his confirmed report-in; a member without one is told to report in first."""
    member = actor_member(actor)
    assert member is not None
    report_in = active_report_in(member, confirmed_only=True)
    if report_in is None:
        raise PermissionDenied(_("Report in to the community where you live first (双报到); once the community confirms it you can "
                                 "volunteer there."), code="no_report_in")
    return member, report_in


# --- service posts ---------------------------------------------------------------------------------


def post_snapshot(p: ServicePost) -> dict[str, Any]:
    return {"community": p.community_id, "kind": p.kind, "name": p.name, "description": p.description, "needed": p.needed,
            "skills": p.skills, "is_active": p.is_active}


def _clean_post(data: dict[str, Any], *, min_needed: int = 1) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {
        "kind": clean_choice(data.get("kind"), PostKind, field="kind", errors=errors),
        "name": _text(data.get("name"), field="name", errors=errors, required=_("Enter the post's name."), max_length=64),
        "description": _text(data.get("description"), field="description", errors=errors, max_length=2000, multiline=True),
        "needed": _int(data.get("needed"), field="needed", errors=errors, low=1, high=MAX_NEEDED, required=_("How many people does it need?")),
        "skills": _text(data.get("skills"), field="skills", errors=errors, max_length=200),
    }
    if out["needed"] is not None and out["needed"] < min_needed:
        errors.add("needed", _("%(n)s people hold this post now; end holdings before lowering the number.") % {"n": min_needed})
    errors.raise_if_any()
    return out


def _post_name_taken() -> Conflict:
    msg = _("The community already has a post of this name.")
    return Conflict(msg, code="duplicate", details={"name": [msg]})


@transaction.atomic
def post_create(*, actor: Any, community: Any, kind: Any, name: Any, needed: Any = 1, description: Any = "", skills: Any = "") -> ServicePost:
    """A community offers a standing role (楼栋长, 路长, 调解员 …) for ``needed`` people."""
    require(actor, perms.POST_MANAGE)
    region = acting_community(actor, perms.POST_MANAGE, community)
    clean = _clean_post({"kind": kind, "name": name, "needed": needed, "description": description, "skills": skills})
    post = ServicePost(community=region, region_path=region.path, created_by=_user(actor), **clean)
    try:
        with transaction.atomic():
            post.save()
    except IntegrityError:
        raise _post_name_taken() from None
    audit.record(actor=actor, verb="volunteering.post.create", target=post, changes=audit.diff({}, post_snapshot(post)))
    registry.bump(MODULE)
    return post


def _approved_count(post: ServicePost) -> int:
    return PostHolding.objects.filter(post=post, status=HoldingStatus.APPROVED).count()


@transaction.atomic
def post_update(*, actor: Any, post: Any, kind: Any, name: Any, needed: Any, description: Any = "", skills: Any = "") -> ServicePost:
    require(actor, perms.POST_MANAGE)
    p = _in_scope(ServicePost, post, actor, perms.POST_MANAGE, lock=True)
    before = post_snapshot(p)
    clean = _clean_post({"kind": kind, "name": name, "needed": needed, "description": description, "skills": skills},
                        min_needed=max(1, _approved_count(p)))
    for k, v in clean.items():
        setattr(p, k, v)
    try:
        with transaction.atomic():
            p.save()
    except IntegrityError:
        raise _post_name_taken() from None
    audit.record(actor=actor, verb="volunteering.post.update", target=p, changes=audit.diff(before, post_snapshot(p)))
    registry.bump(MODULE)
    return p


@transaction.atomic
def post_close(*, actor: Any, post: Any, reopen: bool = False) -> ServicePost:
    """Stop (or resume) taking applications; present holders keep their post."""
    require(actor, perms.POST_MANAGE)
    p = _in_scope(ServicePost, post, actor, perms.POST_MANAGE, lock=True)
    before = p.is_active
    p.is_active = bool(reopen)
    p.save(update_fields=["is_active", "updated_at"])
    audit.record(actor=actor, verb="volunteering.post.reopen" if reopen else "volunteering.post.close", target=p,
                 changes={"is_active": {"before": before, "after": p.is_active}})
    registry.bump(MODULE)
    return p


def _holding_notify(h: PostHolding, title: Any) -> None:
    if h.member.user_id:
        notify.send([h.member.user], verb="volunteering.post", title=str(title), url=reverse("volunteering:my_posts"), target=h)


@transaction.atomic
def holding_apply(*, actor: Any, post: Any, note: Any = "") -> PostHolding:
    """A member applies for a post of the community he reported in to."""
    require(actor, perms.POST_APPLY)
    member, report_in = member_community(actor)
    p = ServicePost.objects.select_for_update().filter(pk=_pk(post), community_id=report_in.community_id).first()
    if p is None:
        raise NotFound()
    errors = Errors()
    text = _text(note, field="note", errors=errors, max_length=300, multiline=True)
    errors.raise_if_any()
    if not p.is_active:
        raise ValidationError(_("This post takes no applications now."), code="closed")
    dup = _("You have already applied for this post or hold it.")
    if PostHolding.objects.filter(post=p, member=member, status__in=[HoldingStatus.APPLIED, HoldingStatus.APPROVED]).exists():
        raise Conflict(dup, code="duplicate")
    h = PostHolding(post=p, member=member, region_path=p.region_path, note=text, applied_at=_now())
    try:
        with transaction.atomic():
            h.save()
    except IntegrityError:
        raise Conflict(dup, code="duplicate") from None
    audit.record(actor=actor, verb="volunteering.holding.apply", target=h, changes={"post": p.pk, "member": member.pk})
    return h


def _holding_for_manage(actor: Any, holding: Any) -> tuple[PostHolding, ServicePost]:
    require(actor, perms.POST_MANAGE)
    found = _in_scope(PostHolding, holding, actor, perms.POST_MANAGE)
    post = ServicePost.objects.select_for_update().get(pk=found.post_id)  # the post's row decides how many may hold it
    h = PostHolding.objects.select_for_update(of=("self",)).select_related("member", "member__user").get(pk=found.pk)
    return h, post


def _decide(actor: Any, h: PostHolding, to: str, verb: str, reason: str = "") -> PostHolding:
    before = _transition(HOLDING_TRANSITIONS, h, to, _("post application"))
    now = _now()
    if to == HoldingStatus.ENDED:
        h.ended_at = now
    else:
        h.decided_at, h.decided_by = now, _user(actor)
    if reason:
        h.reason = reason
    h.save()
    audit.record(actor=actor, verb=verb, target=h, changes={"status": {"before": before, "after": to}, **({"reason": reason} if reason else {})})
    registry.bump(MODULE)
    return h


@transaction.atomic
def holding_approve(*, actor: Any, holding: Any) -> PostHolding:
    """The community approves an application; never more holders than the post needs."""
    h, post = _holding_for_manage(actor, holding)
    if h.status == HoldingStatus.APPLIED and _approved_count(post) >= post.needed:
        raise Conflict(_("The post already has the %(n)s people it needs; end a holding or raise the number first.") % {"n": post.needed},
                       code="full")
    _decide(actor, h, HoldingStatus.APPROVED, "volunteering.holding.approve")
    _holding_notify(h, _g("Your application for the post “%(post)s” was approved.") % {"post": post.name})
    return h


@transaction.atomic
def holding_reject(*, actor: Any, holding: Any, reason: Any) -> PostHolding:
    text = _reason(reason)
    h, post = _holding_for_manage(actor, holding)
    _decide(actor, h, HoldingStatus.REJECTED, "volunteering.holding.reject", text)
    _holding_notify(h, _g("Your application for the post “%(post)s” was not approved: %(reason)s") % {"post": post.name, "reason": text})
    return h


@transaction.atomic
def holding_end(*, actor: Any, holding: Any, reason: Any = "") -> PostHolding:
    """The community ends a member's holding of a post."""
    errors = Errors()
    text = _text(reason, field="reason", errors=errors, max_length=300, multiline=True)
    errors.raise_if_any()
    h, _post = _holding_for_manage(actor, holding)
    return _decide(actor, h, HoldingStatus.ENDED, "volunteering.holding.end", text)


@transaction.atomic
def holding_withdraw(*, actor: Any, holding: Any) -> PostHolding:
    """The member withdraws his application before the community decides."""
    require(actor, perms.POST_APPLY)
    h = _in_scope(PostHolding, holding, actor, perms.POST_APPLY, lock=True)
    before = _transition(HOLDING_TRANSITIONS, h, HoldingStatus.WITHDRAWN, _("post application"))
    h.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, verb="volunteering.holding.withdraw", target=h, changes={"status": {"before": before, "after": h.status}})
    return h


# --- service brands ------------------------------------------------------------------------------


def brand_snapshot(b: ServiceBrand) -> dict[str, Any]:
    return {"community": b.community_id, "name": b.name, "description": b.description, "target_group": b.target_group,
            "schedule": b.schedule, "is_active": b.is_active}


def _clean_brand(data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out = {
        "name": _text(data.get("name"), field="name", errors=errors, required=_("Enter the brand's name."), max_length=64),
        "description": _text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True),
        "target_group": _text(data.get("target_group"), field="target_group", errors=errors, max_length=100),
        "schedule": _text(data.get("schedule"), field="schedule", errors=errors, max_length=100),
    }
    errors.raise_if_any()
    return out


def _brand_name_taken() -> Conflict:
    msg = _("The community already has a service brand of this name.")
    return Conflict(msg, code="duplicate", details={"name": [msg]})


@transaction.atomic
def brand_create(*, actor: Any, community: Any, name: Any, description: Any = "", target_group: Any = "", schedule: Any = "") -> ServiceBrand:
    require(actor, perms.BRAND_MANAGE)
    region = acting_community(actor, perms.BRAND_MANAGE, community)
    clean = _clean_brand({"name": name, "description": description, "target_group": target_group, "schedule": schedule})
    b = ServiceBrand(community=region, region_path=region.path, created_by=_user(actor), **clean)
    try:
        with transaction.atomic():
            b.save()
    except IntegrityError:
        raise _brand_name_taken() from None
    audit.record(actor=actor, verb="volunteering.brand.create", target=b, changes=audit.diff({}, brand_snapshot(b)))
    return b


@transaction.atomic
def brand_update(*, actor: Any, brand: Any, name: Any, description: Any = "", target_group: Any = "", schedule: Any = "",
                 is_active: Any = True) -> ServiceBrand:
    require(actor, perms.BRAND_MANAGE)
    b = _in_scope(ServiceBrand, brand, actor, perms.BRAND_MANAGE, lock=True)
    before = brand_snapshot(b)
    for k, v in _clean_brand({"name": name, "description": description, "target_group": target_group, "schedule": schedule}).items():
        setattr(b, k, v)
    b.is_active = bool(is_active)
    try:
        with transaction.atomic():
            b.save()
    except IntegrityError:
        raise _brand_name_taken() from None
    audit.record(actor=actor, verb="volunteering.brand.update", target=b, changes=audit.diff(before, brand_snapshot(b)))
    return b


# --- activities ----------------------------------------------------------------------------------


def activity_snapshot(a: Activity) -> dict[str, Any]:
    return {"community": a.community_id, "unit": a.unit_id, "brand": a.brand_id, "title": a.title, "description": a.description,
            "place": a.place, "status": a.status, "people_served": a.people_served}


def liaison_units(actor: Any) -> set[int]:
    return {s.unit_id for s in actor_scopes(actor) if s.kind == "unit" and s.unit_id and s.role == "unit_liaison"}


def _activity_owner(actor: Any, community: Any, unit: Any, brand: Any, errors: Errors) -> tuple[Region | None, ResidentUnit | None,
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
def activity_create(*, actor: Any, community: Any, title: Any, description: Any = "", place: Any = "", unit: Any = None,
                    brand: Any = None) -> Activity:
    """A draft activity; it opens for sign-up when published (with at least one shift)."""
    require(actor, perms.ACTIVITY_MANAGE)
    errors = Errors()
    region, unit_obj, brand_obj = _activity_owner(actor, community, unit, brand, errors)
    clean = _clean_activity({"title": title, "description": description, "place": place}, errors)
    errors.raise_if_any()
    assert region is not None
    a = Activity.objects.create(community=region, region_path=region.path, unit=unit_obj, brand=brand_obj, created_by=_user(actor), **clean)
    audit.record(actor=actor, verb="volunteering.activity.create", target=a, changes=audit.diff({}, activity_snapshot(a)))
    return a


def _activity_locked(actor: Any, activity: Any) -> Activity:
    require(actor, perms.ACTIVITY_MANAGE)
    return _in_scope(Activity, activity, actor, perms.ACTIVITY_MANAGE, lock=True)  # type: ignore[no-any-return]


@transaction.atomic
def activity_update(*, actor: Any, activity: Any, title: Any, description: Any = "", place: Any = "", brand: Any = None) -> Activity:
    a = _activity_locked(actor, activity)
    if a.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise TransitionError(_("A finished or cancelled activity cannot be changed."))
    before = activity_snapshot(a)
    errors = Errors()
    clean = _clean_activity({"title": title, "description": description, "place": place}, errors)
    brand_obj = None
    if brand not in (None, ""):
        brand_obj = ServiceBrand.objects.filter(pk=_pk(brand), community_id=a.community_id, is_active=True).first()
        if brand_obj is None:
            errors.add("brand", _("Choose an active service brand of this community."))
    errors.raise_if_any()
    for k, v in clean.items():
        setattr(a, k, v)
    a.brand = brand_obj
    a.save()
    audit.record(actor=actor, verb="volunteering.activity.update", target=a, changes=audit.diff(before, activity_snapshot(a)))
    return a


@transaction.atomic
def activity_publish(*, actor: Any, activity: Any) -> Activity:
    a = _activity_locked(actor, activity)
    if a.status == ActivityStatus.DRAFT and not a.shifts.filter(is_cancelled=False).exists():
        raise ValidationError(_("Add at least one shift before publishing."), code="no_shifts")
    before = _transition(ACTIVITY_TRANSITIONS, a, ActivityStatus.PUBLISHED, _("activity"))
    a.published_at = _now()
    a.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(actor=actor, verb="volunteering.activity.publish", target=a, changes={"status": {"before": before, "after": a.status}})
    registry.bump(MODULE)
    return a


@transaction.atomic
def activity_finish(*, actor: Any, activity: Any, people_served: Any = 0) -> Activity:
    """The activity took place; ``people_served`` counts towards its brand's monthly reach."""
    a = _activity_locked(actor, activity)
    errors = Errors()
    served = _int(people_served if people_served not in (None, "") else 0, field="people_served", errors=errors, low=0, high=1_000_000,
                  required=_("How many people were served?"))
    errors.raise_if_any()
    before = _transition(ACTIVITY_TRANSITIONS, a, ActivityStatus.FINISHED, _("activity"))
    a.people_served = served or 0
    a.save(update_fields=["status", "people_served", "updated_at"])
    audit.record(actor=actor, verb="volunteering.activity.finish", target=a,
                 changes={"status": {"before": before, "after": a.status}, "people_served": a.people_served})
    registry.bump(MODULE)
    return a


@transaction.atomic
def activity_cancel(*, actor: Any, activity: Any, reason: Any) -> Activity:
    """Cancel the activity, its shifts and every sign-up (the members are told)."""
    text = _reason(reason)
    a = _activity_locked(actor, activity)
    before = _transition(ACTIVITY_TRANSITIONS, a, ActivityStatus.CANCELLED, _("activity"))
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
def shift_create(*, actor: Any, activity: Any, starts_at: Any, ends_at: Any, capacity: Any, place: Any = "", skills: Any = "",
                 signup_cutoff: Any = None) -> Shift:
    """A dated slot of the activity (sign-up closes at ``signup_cutoff``, by default when the shift starts)."""
    a = _activity_locked(actor, activity)
    if a.status in (ActivityStatus.FINISHED, ActivityStatus.CANCELLED):
        raise TransitionError(_("A finished or cancelled activity cannot be changed."))
    clean = _clean_shift({"starts_at": starts_at, "ends_at": ends_at, "capacity": capacity, "place": place, "skills": skills,
                          "signup_cutoff": signup_cutoff})
    if not clean["place"]:
        clean["place"] = a.place
    s = Shift.objects.create(activity=a, region_path=a.region_path, code_key=codes.new_key(), **clean)
    audit.record(actor=actor, verb="volunteering.shift.create", target=s, changes=audit.diff({}, shift_snapshot(s)))
    return s


def _shift_locked(actor: Any, shift: Any) -> Shift:
    require(actor, perms.ACTIVITY_MANAGE)
    found = _in_scope(Shift, shift, actor, perms.ACTIVITY_MANAGE, qs=scoped(Shift.objects.all(), actor, perms.ACTIVITY_MANAGE,
                                                                            SHIFT_MANAGE_SCOPE))
    return Shift.objects.select_for_update().select_related("activity").get(pk=found.pk)


@transaction.atomic
def shift_update(*, actor: Any, shift: Any, starts_at: Any, ends_at: Any, capacity: Any, place: Any = "", skills: Any = "",
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
def shift_cancel(*, actor: Any, shift: Any, reason: Any) -> Shift:
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
def shift_rotate_key(*, actor: Any, shift: Any) -> Shift:
    """A new check-in key: every code shown before stops working."""
    s = _shift_locked(actor, shift)
    s.code_key = codes.new_key()
    s.save(update_fields=["code_key", "updated_at"])
    audit.record(actor=actor, verb="volunteering.shift.rotate_key", target=s, changes={"code_key": "renewed"})
    return s


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


def _member_with_report_in(actor: Any) -> tuple[int, int]:
    """The member's id and his confirmed report-in's community in one narrow query, on the path every sign-up takes
    (without one: ``member_community`` says why)."""
    row = (MemberReportIn.objects.filter(member__user_id=getattr(actor, "pk", None) or 0, member__is_active=True,
                                         status=ReportInStatus.CONFIRMED).values_list("member_id", "community_id").first())
    if row is None:
        member, report_in = member_community(actor)
        return member.pk, report_in.community_id
    return row


@transaction.atomic
def signup_create(*, actor: Any, shift: Any, wait: bool = True) -> Signup:
    """The member takes a place on a shift of his community's activity; when it is full he joins the waiting list (or,
    with ``wait=False``, gets the clear “full” answer and nothing is written). Once per shift.

    The sign-up row is written first and the place taken last, so the shift's row stays locked (by the conditional
    ``UPDATE``) only until the commit; a second active sign-up is refused by ``vol_signup_one_active``."""
    require(actor, perms.SIGNUP)
    member_id, community_id = _member_with_report_in(actor)
    s = (Shift.objects.select_related("activity").only("region_path", "signup_cutoff", "is_cancelled", "activity__status")
         .filter(pk=_pk(shift), activity__community_id=community_id).first())
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
def signup_cancel(*, actor: Any, signup: Any) -> Signup:
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


# --- check-in, check-out and hours ----------------------------------------------------------------


def shift_hours(sign: Signup, shift: Shift) -> Decimal:
    """Hours between check-in and check-out, capped at the shift's length, in tenths (half up)."""
    assert sign.checked_in_at and sign.checked_out_at
    worked = min(sign.checked_out_at - sign.checked_in_at, shift.ends_at - shift.starts_at)
    hours = Decimal(max(worked.total_seconds(), 0)) / Decimal(3600)
    return min(hours.quantize(HOURS_STEP, rounding=ROUND_HALF_UP), Decimal(24))


def _record(actor: Any, sign: Signup, shift: Shift, kind: str, now: dt.datetime, by_staff: bool) -> Signup:
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
def check_by_code(*, actor: Any, token: Any, shift: Any = None) -> Signup:
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
def check_by_staff(*, actor: Any, signup: Any, kind: Any) -> Signup:
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


def _pending_for(actor: Any, records: Iterable[Any]) -> Any:
    require(actor, perms.HOURS_CONFIRM)
    ids = [i for i in (_pk(r) for r in records) if i][:1000]
    if not ids:
        raise ValidationError.for_field("records", _("Choose the hours to decide on."))
    qs = scoped(HourRecord.objects.filter(pk__in=ids), actor, perms.HOURS_CONFIRM)
    if qs.filter(member__user_id=getattr(actor, "pk", 0) or 0).exists():
        raise PermissionDenied(_("You cannot confirm or reject your own hours."), code="own_hours")
    return qs.filter(status=HourStatus.PENDING)


@transaction.atomic
def hours_confirm(*, actor: Any, records: Iterable[Any]) -> int:
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
def hours_reject(*, actor: Any, records: Iterable[Any], reason: Any) -> int:
    text = _reason(reason)
    qs = _pending_for(actor, records)
    ids = list(qs.select_for_update().values_list("pk", flat=True))
    n = HourRecord.objects.filter(pk__in=ids, status=HourStatus.PENDING).update(
        status=HourStatus.REJECTED, points=0, note=text, confirmed_at=_now(), confirmed_by=_user(actor), updated_at=_now())
    audit.record(actor=actor, verb="volunteering.hours.reject", target=None, changes={"records": ids, "reason": text})
    registry.bump(MODULE)
    return n


@transaction.atomic
def hours_credit(*, actor: Any, member: Any, community: Any, kind: Any, hours: Any, date: Any, post: Any = None, note: Any = "") -> HourRecord:
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
def point_rule_update(*, actor: Any, per_hour: Any, per_task: Any, per_pledge: Any) -> PointRule:
    """The city changes how many points confirmed work earns (records confirmed earlier keep theirs)."""
    require(actor, perms.POINT_RULE_MANAGE)
    errors = Errors()
    values = {k: _int(v, field=k, errors=errors, low=0, high=1000, required=_("Enter a number."))
              for k, v in {"per_hour": per_hour, "per_task": per_task, "per_pledge": per_pledge}.items()}
    errors.raise_if_any()
    rule = PointRule.objects.select_for_update().get(pk=point_rule().pk)
    before = {"per_hour": rule.per_hour, "per_task": rule.per_task, "per_pledge": rule.per_pledge}
    for k, v in values.items():
        setattr(rule, k, v)
    rule.updated_by = _user(actor)
    rule.save()
    audit.record(actor=actor, verb="volunteering.point_rule.update", target=rule, changes=audit.diff(before, values))
    return rule


def may_manage(actor: Any, obj: Any) -> bool:
    """Does the actor manage this activity (or the shift's activity)?"""
    if not can(actor, perms.ACTIVITY_MANAGE):
        return False
    if isinstance(obj, Shift):
        return scoped(Shift.objects.filter(pk=obj.pk), actor, perms.ACTIVITY_MANAGE, SHIFT_MANAGE_SCOPE).exists()
    return scoped(Activity.objects.filter(pk=obj.pk), actor, perms.ACTIVITY_MANAGE).exists()
