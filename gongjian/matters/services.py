"""Writes of matters (民生事项): the workflow as explicit services.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds the matter inside
the actor's sight (outside = NotFound), locks its row (``select_for_update``) and then checks, on
the locked row, that the actor's level owns it and that the transition is allowed
(``choices.MATTER_TRANSITIONS``). It writes the change, one timeline ``MatterEvent``, one audit
event, bumps the module's figures and notifies the next actor on commit. Errors are Chinese and
nothing is written when one is raised.

**Concurrency.** Two people acting on one matter at once: the second waits for the row lock and
then sees the first one's result. Each state-changing service increments ``Matter.version``; the
caller's expected version is ``version=`` when given, otherwise the ``version`` of the ``Matter``
instance it passed (a bare id checks nothing). A different version on the locked row raises
``Conflict`` ("该事项已被他人处理，请刷新后再试", HTTP 409) — so the loser of a race gets that answer,
never a fork. Services on assignments lock the matter first, then the assignment (one lock order
for everyone), and compare the assignment status the caller saw with the locked one. On success
the ``Matter``/``Assignment`` instance the caller passed is updated in place. A department's result or
return also increments the matter's version (the owner's open form is stale then); taking an
assignment up, progress notes, follow-ups, attachments and meeting entries do not.

**Decisions.**

* *Who acts*: only the owning level (``owner_path`` is one of the actor's administrator scopes); the
  community accepts (first receiver); departments act on their own assignments only.
* *Escalation* moves the owner one level up (community → subdistrict → district → city), never above
  the city, and withdraws any active assignment (the new owner decides again). The resolve deadline
  keeps running from the report (a matter does not get more time by being escalated).
* *Which departments* a level may assign: departments of a region on the matter's path (the
  matter's district for communities, subdistricts and districts); only the city assigns city
  departments. One active lead, any number of assisting departments (not the lead again).
* *Assignment deadline*: by default the matter's resolve deadline, or a new span from the rule when
  that has passed; it must lie in the future and within a year.
* *Sent back*: an assisting department's return only ends its assignment; when the lead returns the
  matter, the remaining assisting assignments are withdrawn and the matter goes back to its owner
  (status accepted) to decide again.
* *Resolve*: the owner resolves a matter it handled itself; a matter with departments only once the
  lead has reported its result (the assisting ones still open are then withdrawn).
* *Callback*: satisfied / basically satisfied closes the matter; unsatisfied reopens it at the
  owning level with a new resolve deadline from the rule (``reopen_count`` + 1).
* *Overdue* (``sweep_overdue``) is sticky: a matter resolved late stays marked overdue (figures
  count it); a reopened matter starts clean.
* Timeline entries for meetings (agenda, coordinated) and attachments do not change ``version``:
  they never invalidate someone's open form.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.accounts.choices import Role
from gongjian.core import audit, notify, pii, registry
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.images import ImageRejected, clean_image, read_limited
from gongjian.core.params import int_param
from gongjian.core.permissions import can, require
from gongjian.core.scope import region_paths
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.choices import Level
from gongjian.regions.models import Department, Region

from . import deadlines
from . import permissions as perms
from .choices import (
    ASSIGNMENT_ACTIVE,
    ASSIGNMENT_TRANSITIONS,
    MATTER_OPEN,
    MATTER_TRANSITIONS,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    MatterSource,
    MatterStatus,
    Satisfaction,
    Urgency,
)
from .models import Assignment, DeadlineRule, FollowUp, Holiday, Matter, MatterAttachment, MatterCategory, MatterEvent
from .selectors import acting_paths, actor_departments, path_depth, visible_matters

MODULE = "matters"
NUMBER_PREFIX = "SX"
MAX_ATTACHMENTS = 20
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_DEADLINE_DAYS = 366
CONFLICT_MESSAGE = _("This matter has just been handled by someone else; reload it and try again.")


def _coordinate(value: Any, *, field: str, limit: int, errors: Errors) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors.add(field, _("Enter a number."))
        return None
    if not d.is_finite() or not -limit <= d <= limit:
        errors.add(field, _("Enter a value between %(low)s and %(high)s.") % {"low": -limit, "high": limit})
        return None
    return d


def _now() -> dt.datetime:
    return timezone.now()


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    return (getattr(actor, "display_name", "") or getattr(actor, "username", "") or "")[:150]


def matter_url(matter_id: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("matters:matter_detail", args=[matter_id])
    except NoReverseMatch:
        return f"/matters/{matter_id}/"


def make_number(pk: int, reported_at: dt.datetime) -> str:
    """``SX`` + the local report date + the id (at least six digits): unique because the id is."""
    return f"{NUMBER_PREFIX}{timezone.localtime(reported_at):%Y%m%d}{pk:06d}"


# --- locking and the rules of who acts ---------------------------------------------------------


def _pk(obj: Any, model: Any) -> int:
    pk = int_param(obj.pk if isinstance(obj, model) else obj)
    if pk is None:
        raise NotFound()
    return pk


def _expected_version(matter: Any, version: Any) -> int | None:
    if version not in (None, ""):
        v = int_param(version)
        if v is None:
            raise ValidationError.for_field("version", _("The version is not valid; reload the page."))
        return v
    return matter.version if isinstance(matter, Matter) else None


def _lock(actor: Any, matter: Matter | int, *, version: Any = None) -> Matter:
    """The matter, visible to the actor (NotFound otherwise), locked, at the version the caller saw."""
    pk = _pk(matter, Matter)
    expected = _expected_version(matter, version)
    if not visible_matters(actor).filter(pk=pk).exists():
        raise NotFound()
    m = Matter.objects.select_for_update().get(pk=pk)
    if expected is not None and m.version != expected:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    return m


def _sync(target: Any, source: Any) -> None:
    """Copy the saved state back onto the instance the caller passed."""
    if isinstance(target, type(source)) and target is not source:
        for f in source._meta.concrete_fields:
            setattr(target, f.attname, getattr(source, f.attname))


def _owner_region(actor: Any, action: str, m: Matter) -> Region:
    """The actor must act for the level that owns the matter now."""
    paths = acting_paths(actor, action)
    if not paths:
        raise PermissionDenied()
    if "" not in paths and m.owner_path not in paths:
        raise PermissionDenied(
            _("Only the level that owns this matter now (%(owner)s) can do this.") % {"owner": m.owner.full_name or m.owner.name},
            code="not_owner",
        )
    return m.owner


VERBS = {
    MatterStatus.ACCEPTED: pgettext_lazy("matter action", "accepted"),
    MatterStatus.REJECTED: pgettext_lazy("matter action", "rejected"),
    MatterStatus.ESCALATED: pgettext_lazy("matter action", "escalated"),
    MatterStatus.ASSIGNED: pgettext_lazy("matter action", "assigned to departments"),
    MatterStatus.RESOLVED: pgettext_lazy("matter action", "resolved"),
    MatterStatus.CLOSED: pgettext_lazy("matter action", "closed"),
    MatterStatus.REOPENED: pgettext_lazy("matter action", "reopened"),
}


def _check_transition(m: Matter, to: str) -> None:
    if to not in MATTER_TRANSITIONS.get(m.status, frozenset()):
        raise TransitionError(
            _("A matter in status “%(status)s” cannot be %(action)s.") % {"status": m.get_status_display(), "action": VERBS.get(MatterStatus(to), to)}
        )


def _event(m: Matter, kind: str, *, actor: Any, at: dt.datetime, from_status: str = "", to_status: str = "",
           region: Region | None = None, department: Department | None = None, note: str = "") -> MatterEvent:
    return MatterEvent.objects.create(
        matter=m, kind=kind, at=at, actor=actor if getattr(actor, "pk", None) else None, actor_label=_label(actor),
        from_status=from_status, to_status=to_status, region=region, department=department, note=note,
    )


def _save(m: Matter, fields: Iterable[str], *, bump_version: bool = True) -> None:
    names = set(fields) | {"updated_at"}
    if bump_version:
        m.version += 1
        names.add("version")
    m.save(update_fields=sorted(names))


def _admins(region: Region | None) -> list[Any]:
    if region is None:
        return []
    levels: dict[str, str] = {Level.CITY: Role.CITY_ADMIN, Level.DISTRICT: Role.DISTRICT_ADMIN, Level.SUBDISTRICT: Role.SUBDISTRICT_ADMIN,
                              Level.COMMUNITY: Role.COMMUNITY_ADMIN}
    role = levels.get(region.level)
    return notify.recipients(roles=[role], region=region) if role else []


def _handlers(department: Department) -> list[Any]:
    return notify.recipients(roles=[Role.DEPARTMENT_HANDLER], department=department)


def _notify(users: list[Any], actor: Any, m: Matter, *, verb: str, title: Any, body: Any = "") -> None:
    others = [u for u in users if getattr(u, "pk", None) != getattr(actor, "pk", None)]
    notify.send(others, verb=verb, title=f"{title}：{m.number} {m.title}"[:200], body=str(body), url=matter_url(m.pk), target=m)


def _reason(value: Any, *, field: str = "reason", required: Any = None, max_length: int = 500) -> str:
    errors = Errors()
    text = clean_text(value, field=field, errors=errors, required=required or _("Give a reason."), max_length=max_length, multiline=True)
    errors.raise_if_any()
    return text


# --- report ----------------------------------------------------------------------------------


def _clean_report(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=200)
    out["description"] = clean_text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True)
    category = data.get("category")
    cat = None
    if category not in (None, ""):
        pk = int_param(category.pk if isinstance(category, MatterCategory) else category)
        cat = MatterCategory.objects.filter(pk=pk, is_active=True).first() if pk else None
        if cat is None:
            errors.add("category", _("Unknown or deactivated category."))
    out["category"] = cat
    urgency = str(data.get("urgency") or "").strip() or (cat.default_urgency if cat and cat.default_urgency else Urgency.GENERAL)
    if urgency not in Urgency.values:
        errors.add("urgency", _("Choose one of the listed options."))
    out["urgency"] = urgency
    community = data.get("community")
    region = None
    if community in (None, ""):
        errors.add("community", _("Choose the community."))
    else:
        pk = int_param(community.pk if isinstance(community, Region) else community)
        region = Region.objects.filter(pk=pk, is_active=True).first() if pk else None
        if region is None or region.level != Level.COMMUNITY:
            errors.add("community", _("Choose a community (a region of the community level)."))
            region = None
        else:
            paths = region_paths(actor, perms.REPORT)
            if "" not in paths and not any(region.path.startswith(p) for p in paths):
                errors.add("community", _("Choose a community within your area."))
                region = None
    out["community"] = region
    out["address"] = clean_text(data.get("address"), field="address", errors=errors, max_length=255)
    lat = _coordinate(data.get("lat"), field="lat", limit=90, errors=errors)
    lng = _coordinate(data.get("lng"), field="lng", limit=180, errors=errors)
    if (data.get("lat") in (None, "")) != (data.get("lng") in (None, "")):
        errors.add("lat" if data.get("lat") in (None, "") else "lng", _("Enter the latitude and the longitude together."))
    out["lat"], out["lng"] = lat, lng
    is_staff = bool(acting_paths(actor, perms.REPORT))
    source = str(data.get("source") or "").strip()
    if not is_staff:
        # a resident or a road chief reporting from a phone: the source is who he is
        roles = {str(r) for r in getattr(actor, "roles", set())}
        if Role.MEMBER in roles and (source == MatterSource.ROAD_CHIEF or Role.RESIDENT not in roles):
            source = MatterSource.ROAD_CHIEF
        else:
            source = MatterSource.RESIDENT
    elif not source:
        source = MatterSource.STAFF
    if source not in MatterSource.values:
        errors.add("source", _("Choose one of the listed options."))
    elif source == MatterSource.HOTLINE and not can(actor, perms.IMPORT):
        errors.add("source", _("Hotline work orders are entered by the hotline import."))
    out["source"] = source
    name = data.get("reporter_name")
    if not name and not is_staff:
        name = getattr(actor, "display_name", "") or ""
    out["reporter_name"] = clean_text(name, field="reporter_name", errors=errors, max_length=64)
    phone = ""
    try:
        phone = pii.normalize_phone(data.get("reporter_phone"), field="reporter_phone")
    except ValidationError as exc:
        errors.catch(exc)
    out["reporter_phone"] = phone
    ref = clean_text(data.get("external_ref"), field="external_ref", errors=errors, max_length=64)
    if ref and Matter.objects.filter(external_ref=ref).exists():
        errors.add("external_ref", _("A matter with this work-order number already exists."))
    out["external_ref"] = ref or None
    out["source_ref"] = clean_text(data.get("source_ref"), field="source_ref", errors=errors, max_length=64)
    now = _now()
    reported_at = data.get("reported_at") or now
    if not isinstance(reported_at, dt.datetime):
        errors.add("reported_at", _("Enter a date and time."))
        reported_at = now
    else:
        if timezone.is_naive(reported_at):
            reported_at = timezone.make_aware(reported_at)
        if reported_at > now + dt.timedelta(minutes=5):
            errors.add("reported_at", _("The time of the report cannot be in the future."))
        elif reported_at.year < 2000:
            errors.add("reported_at", _("Enter a date between 2000 and 2100."))
    out["reported_at"] = reported_at
    errors.raise_if_any()
    return out


@transaction.atomic
def matter_report(*, actor: Any, title: Any, description: Any = "", category: Any = None, urgency: Any = None, community: Any,
                  address: Any = "", lat: Any = None, lng: Any = None, source: Any = MatterSource.STAFF, reporter_name: Any = "",
                  reporter_phone: Any = "", external_ref: Any = None, source_ref: Any = "", reported_at: Any = None) -> Matter:
    """Raise a matter in a community: status reported, owned by the community (the first receiver), deadlines from the rule."""
    require(actor, perms.REPORT)
    clean = _clean_report(actor, {
        "title": title, "description": description, "category": category, "urgency": urgency, "community": community,
        "address": address, "lat": lat, "lng": lng, "source": source, "reporter_name": reporter_name, "reporter_phone": reporter_phone,
        "external_ref": external_ref, "source_ref": source_ref, "reported_at": reported_at,
    })
    region: Region = clean["community"]
    accept_due, resolve_due = deadlines.deadline_for(clean["urgency"], clean["reported_at"])
    phone = clean.pop("reporter_phone")
    m = Matter(
        number=f"~{uuid.uuid4().hex[:30]}", status=MatterStatus.REPORTED, region_path=region.path, owner=region, owner_path=region.path,
        top_depth=region.depth, reporter_phone_enc=pii.encrypt(phone), reporter_phone_hash=pii.lookup_hash(phone),
        reported_by=actor if getattr(actor, "pk", None) else None, accept_due=accept_due, resolve_due=resolve_due, **clean,
    )
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError:
        raise ValidationError.for_field("external_ref", _("A matter with this work-order number already exists.")) from None
    m.number = make_number(m.pk, m.reported_at)
    m.save(update_fields=["number"])
    _event(m, EventKind.REPORTED, actor=actor, at=m.reported_at, to_status=m.status, region=region,
           note=str(MatterSource(m.source).label))
    audit.record(actor=actor, verb="matters.matter.report", target=m, changes={
        "number": m.number, "title": m.title, "category": m.category_id, "urgency": m.urgency, "source": m.source,
        "community": region.pk, "reporter_name": m.reporter_name, "reporter_phone": "***" if phone else "",
        "external_ref": m.external_ref, "accept_due": m.accept_due, "resolve_due": m.resolve_due,
    })
    registry.bump(MODULE)
    _notify(_admins(region), actor, m, verb="matters.reported", title=_("New matter to accept"))
    return m


# --- the owning level's transitions -------------------------------------------------------------


@transaction.atomic
def matter_accept(*, actor: Any, matter: Matter | int, version: Any = None) -> Matter:
    """The first receiver (the community) takes the matter up."""
    require(actor, perms.ACCEPT)
    m = _lock(actor, matter, version=version)
    _check_transition(m, MatterStatus.ACCEPTED)
    region = _owner_region(actor, perms.ACCEPT, m)
    now = _now()
    before = m.status
    m.status = MatterStatus.ACCEPTED
    m.accepted_at = now
    _save(m, ["status", "accepted_at"])
    _event(m, EventKind.ACCEPTED, actor=actor, at=now, from_status=before, to_status=m.status, region=region)
    audit.record(actor=actor, verb="matters.matter.accept", target=m, changes={"status": {"before": before, "after": m.status},
                                                                               "in_time": now <= m.accept_due})
    registry.bump(MODULE)
    _sync(matter, m)
    return m


@transaction.atomic
def matter_reject(*, actor: Any, matter: Matter | int, reason: Any, version: Any = None) -> Matter:
    """Not a governance matter (不属于治理事项): closed with a reason, from reported, accepted or escalated."""
    require(actor, perms.REJECT)
    text = _reason(reason)
    m = _lock(actor, matter, version=version)
    _check_transition(m, MatterStatus.REJECTED)
    region = _owner_region(actor, perms.REJECT, m)
    now = _now()
    before = m.status
    m.status = MatterStatus.REJECTED
    m.rejected_at = now
    m.reject_reason = text
    _save(m, ["status", "rejected_at", "reject_reason"])
    _event(m, EventKind.REJECTED, actor=actor, at=now, from_status=before, to_status=m.status, region=region, note=text)
    audit.record(actor=actor, verb="matters.matter.reject", target=m, changes={"status": {"before": before, "after": m.status}, "reason": text})
    registry.bump(MODULE)
    if m.reported_by_id:
        notify.send([m.reported_by], verb="matters.rejected", title=f"{_('Your matter was not taken up')}：{m.title}"[:200], body=text,
                    url=matter_url(m.pk), target=m)
    _sync(matter, m)
    return m


def _withdraw_active(m: Matter, *, actor: Any, now: dt.datetime, reason: Any, exclude: Assignment | None = None) -> list[Assignment]:
    qs = Assignment.objects.select_for_update().select_related("department").filter(matter=m, status__in=ASSIGNMENT_ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    rows = list(qs.order_by("id"))
    for a in rows:
        a.status = AssignmentStatus.WITHDRAWN
        a.save(update_fields=["status", "updated_at"])
        _notify(_handlers(a.department), actor, m, verb="matters.assignment_withdrawn", title=_("Assignment withdrawn"), body=reason)
    return rows


@transaction.atomic
def matter_escalate(*, actor: Any, matter: Matter | int, reason: Any, version: Any = None) -> Matter:
    """The owning level passes the matter to its parent level (one level up; never above the city)."""
    require(actor, perms.ESCALATE)
    text = _reason(reason)
    m = _lock(actor, matter, version=version)
    owner = m.owner
    if owner.level == Level.CITY or owner.parent_id is None:
        raise TransitionError(_("This matter is already with the city; it cannot be escalated any higher."), code="top_level")
    _check_transition(m, MatterStatus.ESCALATED)
    region = _owner_region(actor, perms.ESCALATE, m)
    parent = Region.objects.get(pk=owner.parent_id)
    now = _now()
    before: dict[str, Any] = {"status": m.status, "owner": owner.pk, "top_depth": m.top_depth}
    withdrawn = _withdraw_active(m, actor=actor, now=now, reason=text)
    m.status = MatterStatus.ESCALATED
    m.owner = parent
    m.owner_path = parent.path
    m.top_depth = min(m.top_depth, parent.depth)
    m.escalated_at = now
    m.escalation_count += 1
    _save(m, ["status", "owner", "owner_path", "top_depth", "escalated_at", "escalation_count"])
    _event(m, EventKind.ESCALATED, actor=actor, at=now, from_status=before["status"], to_status=m.status, region=region,
           note=f"{owner.name} → {parent.name}：{text}")
    audit.record(actor=actor, verb="matters.matter.escalate", target=m, changes={
        "status": {"before": before["status"], "after": m.status}, "owner": {"before": owner.pk, "after": parent.pk},
        "top_depth": {"before": before["top_depth"], "after": m.top_depth}, "reason": text, "withdrawn": [a.pk for a in withdrawn],
    })
    registry.bump(MODULE)
    _notify(_admins(parent), actor, m, verb="matters.escalated", title=_("Matter escalated to your level"), body=text)
    _sync(matter, m)
    return m


def assignable_departments(matter: Matter) -> QuerySet[Department]:
    """Active departments of a region on the matter's path; only a city owner may assign city departments."""
    parts = [p for p in matter.region_path.strip("/").split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    qs = Department.objects.filter(is_active=True, region_path__in=prefixes).select_related("region")
    if path_depth(matter.owner_path) > 0:
        qs = qs.exclude(region__depth=0)
    return qs.order_by("region__depth", "name")


def _departments(values: Any, field: str, errors: Errors, allowed: QuerySet[Department]) -> list[Department]:
    if values in (None, "", ()):
        return []
    items = values if isinstance(values, list | tuple | set | frozenset) else [values]
    out: list[Department] = []
    allowed_map = {d.pk: d for d in allowed}
    for v in items:
        pk = int_param(v.pk if isinstance(v, Department) else v)
        d = allowed_map.get(pk or 0)
        if d is None:
            errors.add(field, _("This department cannot be assigned to this matter (choose a department of its district or city)."))
            continue
        if d not in out:
            out.append(d)
    return out


def clean_deadline(value: Any, *, field: str = "deadline", errors: Errors, now: dt.datetime) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = timezone.make_aware(dt.datetime.combine(value, deadlines.END_OF_DAY), timezone.get_current_timezone())
    if not isinstance(value, dt.datetime):
        try:
            parsed = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            errors.add(field, _("Enter a date and time."))
            return None
        if len(str(value).strip()) <= 10:
            parsed = dt.datetime.combine(parsed.date(), deadlines.END_OF_DAY)
        value = parsed
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    if value <= now:
        errors.add(field, _("The deadline must be in the future."))
        return None
    if value > now + dt.timedelta(days=MAX_DEADLINE_DAYS):
        errors.add(field, _("The deadline must lie within a year."))
        return None
    return value


def default_deadline(m: Matter, now: dt.datetime | None = None) -> dt.datetime:
    """The matter's resolve deadline if still ahead, otherwise a new span of its rule from now."""
    now = now or _now()
    if m.resolve_due and m.resolve_due > now:
        return m.resolve_due
    return deadlines.resolve_due(m.urgency, now)


def _decision(value: Any, m: Matter) -> Any:
    if value in (None, ""):
        return None
    from django.apps import apps

    Decision = apps.get_model("meetings", "Decision")
    pk = int_param(value.pk if isinstance(value, Decision) else value)
    d = Decision.objects.select_related("meeting").filter(pk=pk).first() if pk else None
    if d is None or (d.matter_id and d.matter_id != m.pk):
        raise ValidationError.for_field("decision", _("This decision does not belong to this matter."))
    return d


@transaction.atomic
def matter_assign(*, actor: Any, matter: Matter | int, lead: Any, assist: Any = (), deadline: Any = None, note: Any = "",
                  decision: Any = None, version: Any = None) -> list[Assignment]:
    """The owning level assigns one lead department and optional assisting ones, each with the deadline.

    With a meeting ``decision`` the assignments are linked to it and the matter counts as coordinated."""
    require(actor, perms.ASSIGN)
    m = _lock(actor, matter, version=version)
    _check_transition(m, MatterStatus.ASSIGNED)
    region = _owner_region(actor, perms.ASSIGN, m)
    now = _now()
    errors = Errors()
    allowed = assignable_departments(m)
    leads = _departments(lead, "lead", errors, allowed)
    if not leads and "lead" not in errors.details:
        errors.add("lead", _("Choose the lead department."))
    elif len(leads) > 1:
        errors.add("lead", _("Choose exactly one lead department."))
    helpers = _departments(assist, "assist", errors, allowed)
    if leads and leads[0] in helpers:
        errors.add("assist", _("The lead department cannot also assist."))
    if len(helpers) > 10:
        errors.add("assist", _("At most %(n)s assisting departments.") % {"n": 10})
    due = clean_deadline(deadline, errors=errors, now=now) or default_deadline(m, now)
    text = clean_text(note, field="note", errors=errors, max_length=500, multiline=True)
    errors.raise_if_any()
    dec = _decision(decision, m)
    before = m.status
    created: list[Assignment] = []
    try:
        with transaction.atomic():
            for dept, role in [(leads[0], AssignmentRole.LEAD), *[(d, AssignmentRole.ASSIST) for d in helpers]]:
                created.append(Assignment.objects.create(matter=m, department=dept, role=role, deadline=due, assigned_by=actor,
                                                         assigned_at=now, by_region=region))
    except IntegrityError:
        raise Conflict(CONFLICT_MESSAGE, code="stale") from None
    m.status = MatterStatus.ASSIGNED
    fields = ["status"]
    if dec is not None and m.coordinated_at is None:
        m.coordinated_at = now
        fields.append("coordinated_at")
    _save(m, fields)
    names = "、".join(str(a.department) for a in created)
    _event(m, EventKind.ASSIGNED, actor=actor, at=now, from_status=before, to_status=m.status, region=region,
           department=leads[0], note=(f"{names}；{text}" if text else names))
    if dec is not None:
        dec.assignments.add(*created)
        _event(m, EventKind.COORDINATED, actor=actor, at=now, region=region, note=str(dec.meeting.title)[:200])
    audit.record(actor=actor, verb="matters.matter.assign", target=m, changes={
        "status": {"before": before, "after": m.status}, "lead": leads[0].pk, "assist": [d.pk for d in helpers],
        "deadline": due, "note": text, "decision": dec.pk if dec is not None else None,
    })
    registry.bump(MODULE)
    for a in created:
        title = _("New assignment (lead)") if a.role == AssignmentRole.LEAD else _("New assignment (assisting)")
        _notify(_handlers(a.department), actor, m, verb="matters.assigned", title=title, body=text)
    _sync(matter, m)
    return created


@transaction.atomic
def matter_resolve(*, actor: Any, matter: Matter | int, resolution: Any, version: Any = None) -> Matter:
    """The owning level marks the matter resolved (with departments: only after the lead reported its result)."""
    require(actor, perms.RESOLVE)
    errors = Errors()
    text = clean_text(resolution, field="resolution", errors=errors, required=_("Describe how the matter was resolved."),
                      max_length=4000, multiline=True)
    errors.raise_if_any()
    m = _lock(actor, matter, version=version)
    _check_transition(m, MatterStatus.RESOLVED)
    region = _owner_region(actor, perms.RESOLVE, m)
    if m.status == MatterStatus.ASSIGNED and not Assignment.objects.filter(
        matter=m, role=AssignmentRole.LEAD, status=AssignmentStatus.DONE
    ).exists():
        raise TransitionError(_("The lead department has not reported its result yet."), code="lead_pending")
    now = _now()
    before = m.status
    withdrawn = _withdraw_active(m, actor=actor, now=now, reason=_("The matter was resolved."))
    m.status = MatterStatus.RESOLVED
    m.resolved_at = now
    m.resolution = text
    _save(m, ["status", "resolved_at", "resolution"])
    _event(m, EventKind.RESOLVED, actor=actor, at=now, from_status=before, to_status=m.status, region=region, note=text)
    audit.record(actor=actor, verb="matters.matter.resolve", target=m, changes={
        "status": {"before": before, "after": m.status}, "resolution": text, "in_time": bool(m.resolve_due and now <= m.resolve_due),
        "withdrawn": [a.pk for a in withdrawn],
    })
    registry.bump(MODULE)
    community = m.community if m.community_id != m.owner_id else None
    _notify(_admins(community), actor, m, verb="matters.resolved", title=_("Matter resolved; callback due"))
    if m.reported_by_id:
        notify.send([m.reported_by], verb="matters.resolved", title=f"{_('Your matter was resolved')}：{m.title}"[:200], body=text,
                    url=matter_url(m.pk), target=m)
    _sync(matter, m)
    return m


def _apply_callback(m: Matter, sat: str, text: str, *, actor: Any, region: Region | None, note: str) -> tuple[str, str]:
    """Record the callback on the locked matter: satisfied → closed, unsatisfied → reopened with a new resolve deadline;
    two timeline entries (the callback, then closed or reopened). Returns (status before, status after)."""
    now = _now()
    before = m.status
    to = MatterStatus.REOPENED if sat == Satisfaction.UNSATISFIED else MatterStatus.CLOSED
    _check_transition(m, to)
    m.satisfaction, m.callback_at, m.callback_note, m.status = sat, now, text, to
    fields = ["satisfaction", "callback_at", "callback_note", "status"]
    if to == MatterStatus.CLOSED:
        m.closed_at = now
        fields.append("closed_at")
    else:
        m.reopen_count += 1
        m.resolve_due = deadlines.resolve_due(m.urgency, now)
        m.is_overdue = False
        fields += ["reopen_count", "resolve_due", "is_overdue"]
    _save(m, fields)
    _event(m, EventKind.CALLBACK, actor=actor, at=now, from_status=before, to_status=to, region=region, note=note)
    _event(m, EventKind.CLOSED if to == MatterStatus.CLOSED else EventKind.REOPENED, actor=actor, at=now, from_status=before,
           to_status=to, region=region)
    return before, to


@transaction.atomic
def matter_callback(*, actor: Any, matter: Matter | int, satisfaction: Any, note: Any = "", version: Any = None) -> Matter:
    """The callback to the reporter: satisfied / basically satisfied → closed; unsatisfied → reopened at the owning level."""
    require(actor, perms.CALLBACK)
    errors = Errors()
    sat = str(satisfaction or "").strip()
    if sat not in Satisfaction.values:
        errors.add("satisfaction", _("Choose one of the listed options."))
    text = clean_text(note, field="note", errors=errors, max_length=500, multiline=True)
    errors.raise_if_any()
    m = _lock(actor, matter, version=version)
    if m.status != MatterStatus.RESOLVED:
        raise TransitionError(_("A callback is recorded only for a resolved matter; this one is “%(status)s”.")
                              % {"status": m.get_status_display()})
    paths = acting_paths(actor, perms.CALLBACK)
    if "" not in paths and m.owner_path not in paths and m.region_path not in paths:
        raise PermissionDenied(_("The callback is recorded by the owning level or by the community the matter comes from."),
                               code="not_owner")
    acting = m.owner if ("" in paths or m.owner_path in paths) else m.community
    label = Satisfaction(sat).label
    before, to = _apply_callback(m, sat, text, actor=actor, region=acting, note=f"{label}；{text}" if text else str(label))
    audit.record(actor=actor, verb="matters.matter.callback", target=m, changes={
        "status": {"before": before, "after": to}, "satisfaction": sat, "note": text,
    })
    registry.bump(MODULE)
    if to == MatterStatus.REOPENED:
        _notify(_admins(m.owner), actor, m, verb="matters.reopened", title=_("Matter reopened after an unsatisfied callback"), body=text)
    _sync(matter, m)
    return m


HOTLINE_LABEL = "12345热线"


@transaction.atomic
def matter_hotline_outcome(*, actor: Any, matter: Matter | int, resolution: Any, satisfaction: Any = "") -> Matter:
    """Record what the 12345 hotline reports about one of its work orders: handled (办理结果) and, when given, the
    hotline's own callback (是否满意).

    The hotline, not a level of the city, did the work: the timeline says “12345热线” with the importing administrator as
    the one who entered it, so a finished work order imported by a district or the city closes without anyone acting in the
    community's name. Only for hotline work orders not yet taken further by the city's own workflow: a reported or
    accepted one becomes resolved; a resolved one gets the callback (satisfied → closed, unsatisfied → reopened at the
    owning level, which then handles it like any other). Anything else is refused and nothing changes."""
    require(actor, perms.IMPORT)
    errors = Errors()
    text = clean_text(resolution, field="resolution", errors=errors, max_length=4000, multiline=True)
    sat = str(satisfaction or "").strip()
    if sat and sat not in Satisfaction.values:
        errors.add("satisfaction", _("Choose one of the listed options."))
    errors.raise_if_any()
    # the importer's area, not the escalation path: a district imports its communities' work orders without seeing them
    # in its own queue (they have not reached the district)
    paths = region_paths(actor, perms.IMPORT)
    m = Matter.objects.select_for_update().filter(pk=_pk(matter, Matter)).first()
    if m is None or not any(m.region_path.startswith(p) for p in paths):
        raise NotFound()
    if m.source != MatterSource.HOTLINE:
        raise TransitionError(_("Only a hotline work order takes the hotline's outcome."), code="not_hotline")
    now = _now()
    changes: dict[str, Any] = {}
    if m.status in (MatterStatus.REPORTED, MatterStatus.ACCEPTED):
        if not text:
            raise ValidationError.for_field("resolution", _("Describe how the matter was resolved."))
        before = m.status
        m.status, m.resolved_at, m.resolution = MatterStatus.RESOLVED, now, text
        _save(m, ["status", "resolved_at", "resolution"])
        _event(m, EventKind.RESOLVED, actor=actor, at=now, from_status=before, to_status=m.status,
               note=f"{HOTLINE_LABEL}：{text}")
        changes["status"] = {"before": before, "after": m.status}
        changes["resolution"] = text
    elif not (m.status == MatterStatus.RESOLVED and sat):
        raise TransitionError(_("This work order is already being handled here (%(status)s); its outcome is recorded by the level that "
                                "owns it.") % {"status": m.get_status_display()}, code="in_workflow")
    if sat:
        before, to = _apply_callback(m, sat, HOTLINE_LABEL, actor=actor, region=None, note=f"{HOTLINE_LABEL}：{Satisfaction(sat).label}")
        changes["status"] = {"before": changes.get("status", {}).get("before", before), "after": to}
        changes["satisfaction"] = sat
    audit.record(actor=actor, verb="matters.matter.hotline_outcome", target=m, changes=changes)
    registry.bump(MODULE)
    if m.status == MatterStatus.REOPENED:
        _notify(_admins(m.owner), actor, m, verb="matters.reopened", title=_("Matter reopened after an unsatisfied callback"))
    _sync(matter, m)
    return m


# --- timeline entries for meetings ------------------------------------------------------------


def _meeting_region(meeting: Any) -> Region | None:
    return Region.objects.filter(pk=getattr(meeting, "region_id", None) or 0).first()


@transaction.atomic
def matter_record_agenda(*, actor: Any, matter: Matter | int, meeting: Any) -> MatterEvent:
    """Timeline: the matter was put on a meeting's agenda (the meetings app writes the agenda item)."""
    m = _lock(actor, _pk(matter, Matter))
    if m.status not in MATTER_OPEN:
        raise TransitionError(_("Only an open matter can be put on a meeting agenda; this one is “%(status)s”.")
                              % {"status": m.get_status_display()})
    now = _now()
    when = getattr(meeting, "starts_at", None)
    note = f"{meeting.title}（{timezone.localtime(when):%Y-%m-%d}）" if when else str(meeting.title)
    ev = _event(m, EventKind.AGENDA, actor=actor, at=now, region=_meeting_region(meeting), note=note[:500])
    audit.record(actor=actor, verb="matters.matter.agenda", target=m, changes={"meeting": meeting.pk})
    _sync(matter, m)
    return ev


@transaction.atomic
def matter_mark_coordinated(*, actor: Any, matter: Matter | int, decision: Any) -> Matter:
    """Timeline: a meeting decided on the matter; it counts as coordinated (first time only sets the date)."""
    m = _lock(actor, _pk(matter, Matter))
    dec = _decision(decision, m)
    if dec is None:
        raise ValidationError.for_field("decision", _("Choose the decision."))
    if m.status in (MatterStatus.REJECTED,):
        raise TransitionError(_("A rejected matter cannot be coordinated."))
    now = _now()
    if m.coordinated_at is None:
        m.coordinated_at = now
        _save(m, ["coordinated_at"], bump_version=False)
    _event(m, EventKind.COORDINATED, actor=actor, at=now, region=_meeting_region(dec.meeting), note=str(dec.text)[:500])
    audit.record(actor=actor, verb="matters.matter.coordinated", target=m, changes={"decision": dec.pk})
    registry.bump(MODULE)
    _sync(matter, m)
    return m


# --- attachments -----------------------------------------------------------------------------


def _clean_pdf(data: bytes, field: str) -> bytes:
    if not data.startswith(b"%PDF-"):
        raise ValidationError.for_field(field, _("Upload a photo (JPEG, PNG, WebP) or a PDF document."))
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError.for_field(field, _("The PDF is damaged or incomplete."))
    return data


@transaction.atomic
def matter_attach(*, actor: Any, matter: Matter | int, upload: Any, filename: Any) -> MatterAttachment:
    """A photo (checked and cleaned by ``core.images``) or a PDF (checked by its bytes) on an open or resolved matter.

    Who: the owning level, a lower level on its path, an assigned department (active assignment) and the reporter."""
    require(actor, perms.ATTACH)
    m = _lock(actor, _pk(matter, Matter))
    if m.status in (MatterStatus.CLOSED, MatterStatus.REJECTED):
        raise TransitionError(_("Attachments cannot be added to a closed or rejected matter."))
    on_path = any(m.region_path.startswith(p) for p in acting_paths(actor, perms.ATTACH))
    depts = actor_departments(actor, perms.ATTACH)
    active_dept = bool(depts) and Assignment.objects.filter(matter=m, department_id__in=depts, status__in=ASSIGNMENT_ACTIVE).exists()
    own = m.reported_by_id is not None and m.reported_by_id == getattr(actor, "pk", None)
    if not (on_path or active_dept or own):
        raise PermissionDenied()
    if m.attachments.count() >= MAX_ATTACHMENTS:
        raise ValidationError.for_field("file", _("A matter has at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS})
    errors = Errors()
    name = clean_text(filename, field="file", errors=errors, required=_("Choose a file."), max_length=120)
    errors.raise_if_any()
    head = read_limited(upload, MAX_PDF_BYTES, field="file") if upload is not None else b""
    if not head:
        raise ValidationError.for_field("file", _("The file is empty."))
    if head.startswith(b"%PDF-"):
        content = _clean_pdf(head, "file")
        content_type, ext = "application/pdf", "pdf"
    else:
        try:
            image = clean_image(head, field="file", max_bytes=MAX_PHOTO_BYTES)
        except ImageRejected as exc:
            raise ValidationError(exc.message, details={"file": [exc.message]}) from None
        content, content_type, ext = image.content, image.content_type, image.extension
    stem = name.rsplit(".", 1)[0] if "." in name else name
    a = MatterAttachment(matter=m, name=f"{stem}.{ext}"[:255], content_type=content_type, size=len(content), uploaded_by=actor)
    a.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(content), save=False)
    try:
        a.save()
    except Exception:
        a.file.delete(save=False)
        raise
    now = _now()
    dept = Department.objects.filter(pk__in=depts).first() if active_dept and not on_path else None
    _event(m, EventKind.ATTACHMENT, actor=actor, at=now, department=dept, note=a.name)
    audit.record(actor=actor, verb="matters.matter.attach", target=m, changes={"attachment": a.pk, "name": a.name,
                                                                               "content_type": content_type, "size": a.size})
    _sync(matter, m)
    return a


def attachment_read(*, actor: Any, id: Any, matter: Any = None) -> tuple[MatterAttachment, Any]:
    """The attachment and its opened file, for a view to stream (NotFound outside the actor's sight)."""
    from .selectors import attachment_get

    a = attachment_get(actor=actor, id=id, matter=matter)
    return a, a.file.open("rb")


def reporter_phone(*, actor: Any, matter: Matter | int) -> str:
    """The reporter's full phone number for the callback (administrators who see the matter; audited)."""
    require(actor, perms.READ_PHONE)
    from .selectors import matter_get

    m = matter_get(actor=actor, id=matter.pk if isinstance(matter, Matter) else matter)
    if not m.reporter_phone_enc:
        return ""
    audit.record_pii_read(actor=actor, target=m, fields=["reporter_phone"])
    return pii.decrypt(m.reporter_phone_enc)


def reporter_phone_masked(matter: Matter) -> str:
    try:
        return pii.mask_phone(pii.decrypt(matter.reporter_phone_enc))
    except pii.DecryptionError:
        return "***"


# --- departments' assignments ----------------------------------------------------------------


def _lock_assignment(actor: Any, assignment: Assignment | int) -> tuple[Matter, Assignment]:
    """The assignment of one of the actor's departments (NotFound otherwise): matter locked first, then the assignment."""
    require(actor, perms.HANDLE)
    pk = _pk(assignment, Assignment)
    depts = actor_departments(actor)
    is_super = bool(getattr(actor, "is_superuser", False))
    row = Assignment.objects.filter(pk=pk).values("matter_id", "department_id").first()
    if row is None or (not is_super and row["department_id"] not in depts):
        raise NotFound()
    m = Matter.objects.select_for_update().get(pk=row["matter_id"])
    a = Assignment.objects.select_for_update().select_related("department", "by_region").get(pk=pk)
    if isinstance(assignment, Assignment) and assignment.status != a.status:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    return m, a


def _assignment_transition(a: Assignment, to: str) -> None:
    if to not in ASSIGNMENT_TRANSITIONS.get(a.status, frozenset()):
        raise TransitionError(
            _("This assignment is “%(status)s”; that is no longer possible.") % {"status": a.get_status_display()}
        )


@transaction.atomic
def assignment_accept(*, actor: Any, assignment: Assignment | int) -> Assignment:
    """The department takes the assignment up (in progress)."""
    m, a = _lock_assignment(actor, assignment)
    _assignment_transition(a, AssignmentStatus.IN_PROGRESS)
    now = _now()
    a.status = AssignmentStatus.IN_PROGRESS
    a.accepted_at = now
    a.save(update_fields=["status", "accepted_at", "updated_at"])
    _event(m, EventKind.ASSIGNMENT_ACCEPTED, actor=actor, at=now, department=a.department)
    audit.record(actor=actor, verb="matters.assignment.accept", target=m, changes={"assignment": a.pk, "department": a.department_id})
    _sync(assignment, a)
    return a


@transaction.atomic
def assignment_progress(*, actor: Any, assignment: Assignment | int, note: Any) -> MatterEvent:
    """A progress note on the timeline (takes an untouched assignment up)."""
    errors = Errors()
    text = clean_text(note, field="note", errors=errors, required=_("Describe the progress."), max_length=2000, multiline=True)
    errors.raise_if_any()
    m, a = _lock_assignment(actor, assignment)
    if a.status not in ASSIGNMENT_ACTIVE:
        raise TransitionError(_("This assignment is “%(status)s”; that is no longer possible.") % {"status": a.get_status_display()})
    now = _now()
    if a.status == AssignmentStatus.ASSIGNED:
        a.status = AssignmentStatus.IN_PROGRESS
        a.accepted_at = now
        a.save(update_fields=["status", "accepted_at", "updated_at"])
    ev = _event(m, EventKind.PROGRESS, actor=actor, at=now, department=a.department, note=text)
    audit.record(actor=actor, verb="matters.assignment.progress", target=m, changes={"assignment": a.pk, "note": text})
    _notify(_admins(a.by_region), actor, m, verb="matters.progress", title=_("Progress reported"), body=text)
    _sync(assignment, a)
    return ev


@transaction.atomic
def assignment_result(*, actor: Any, assignment: Assignment | int, result: Any) -> Assignment:
    """The department reports its result (done). The lead's result lets the owning level resolve the matter."""
    errors = Errors()
    text = clean_text(result, field="result", errors=errors, required=_("Describe the result."), max_length=4000, multiline=True)
    errors.raise_if_any()
    m, a = _lock_assignment(actor, assignment)
    _assignment_transition(a, AssignmentStatus.DONE)
    now = _now()
    a.status = AssignmentStatus.DONE
    a.done_at = now
    a.result = text
    if a.accepted_at is None:
        a.accepted_at = now
    a.save(update_fields=["status", "done_at", "result", "accepted_at", "updated_at"])
    _save(m, [])  # the owner's next decision depends on it: a form opened before is stale
    _event(m, EventKind.RESULT, actor=actor, at=now, department=a.department, note=text)
    audit.record(actor=actor, verb="matters.assignment.result", target=m, changes={"assignment": a.pk, "role": a.role, "result": text,
                                                                                   "in_time": now <= a.deadline})
    registry.bump(MODULE)
    title = _("The lead department reported its result; resolve the matter") if a.role == AssignmentRole.LEAD else _("Result reported")
    _notify(_admins(m.owner), actor, m, verb="matters.result", title=title, body=text)
    _sync(assignment, a)
    return a


@transaction.atomic
def assignment_return(*, actor: Any, assignment: Assignment | int, reason: Any) -> Assignment:
    """A mis-assigned matter sent back with a reason. The lead's return sends the matter back to its owner to decide again."""
    text = _reason(reason)
    m, a = _lock_assignment(actor, assignment)
    _assignment_transition(a, AssignmentStatus.RETURNED)
    now = _now()
    a.status = AssignmentStatus.RETURNED
    a.returned_at = now
    a.return_reason = text
    a.save(update_fields=["status", "returned_at", "return_reason", "updated_at"])
    before = m.status
    withdrawn: list[Assignment] = []
    if a.role == AssignmentRole.LEAD and m.status == MatterStatus.ASSIGNED:
        withdrawn = _withdraw_active(m, actor=actor, now=now, reason=text, exclude=a)
        _check_transition(m, MatterStatus.ACCEPTED)
        m.status = MatterStatus.ACCEPTED
        _save(m, ["status"])
    else:
        _save(m, [])  # the owner's next decision depends on it: a form opened before is stale
    _event(m, EventKind.RETURNED, actor=actor, at=now, from_status=before if m.status != before else "",
           to_status=m.status if m.status != before else "", department=a.department, note=text)
    audit.record(actor=actor, verb="matters.assignment.return", target=m, changes={
        "assignment": a.pk, "role": a.role, "reason": text, "status": {"before": before, "after": m.status},
        "withdrawn": [w.pk for w in withdrawn],
    })
    registry.bump(MODULE)
    _notify(_admins(m.owner), actor, m, verb="matters.returned", title=_("A department sent the matter back"), body=text)
    _sync(assignment, a)
    return a


@transaction.atomic
def assignment_follow_up(*, actor: Any, assignment: Assignment | int, note: Any, new_deadline: Any = None) -> FollowUp:
    """督办: the owning level presses a department on its active assignment, optionally with a new deadline."""
    require(actor, perms.FOLLOW_UP)
    errors = Errors()
    text = clean_text(note, field="note", errors=errors, required=_("Write what you expect of the department."), max_length=500,
                      multiline=True)
    now = _now()
    due = clean_deadline(new_deadline, field="new_deadline", errors=errors, now=now)
    errors.raise_if_any()
    pk = _pk(assignment, Assignment)
    row = Assignment.objects.filter(pk=pk).values("matter_id").first()
    if row is None:
        raise NotFound()
    m = _lock(actor, row["matter_id"])
    a = Assignment.objects.select_for_update().select_related("department").get(pk=pk)
    if isinstance(assignment, Assignment) and assignment.status != a.status:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    region = _owner_region(actor, perms.FOLLOW_UP, m)
    if a.status not in ASSIGNMENT_ACTIVE:
        raise TransitionError(_("Only an assignment still being handled can be followed up; this one is “%(status)s”.")
                              % {"status": a.get_status_display()})
    fu = FollowUp.objects.create(assignment=a, by=actor if getattr(actor, "pk", None) else None, by_region=region, note=text,
                                 new_deadline=due)
    a.follow_up_count += 1
    fields = ["follow_up_count", "updated_at"]
    if due is not None:
        a.deadline = due
        a.is_overdue = False
        a.reminded_at = None
        fields += ["deadline", "is_overdue", "reminded_at"]
    a.save(update_fields=fields)
    _event(m, EventKind.FOLLOW_UP, actor=actor, at=now, region=region, department=a.department, note=text)
    audit.record(actor=actor, verb="matters.assignment.follow_up", target=m, changes={"assignment": a.pk, "note": text, "new_deadline": due})
    registry.bump(MODULE)
    _notify(_handlers(a.department), actor, m, verb="matters.follow_up", title=_("Follow-up (督办)"), body=text)
    _sync(assignment, a)
    return fu


# --- the system: overdue sweep and reminders ----------------------------------------------------


def _update_returning(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """One ``UPDATE … RETURNING`` (PostgreSQL, SQLite ≥ 3.35): the rows this statement changed and no other."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    vals = list(values)
    return ", ".join(["%s"] * len(vals)), vals


def _bulk_events(rows: list[MatterEvent]) -> None:
    MatterEvent.objects.bulk_create(rows, batch_size=2000)


def _notify_grouped(by_region: dict[int, list[str]], by_dept: dict[int, list[str]], *, verb: str, title: Any) -> None:
    """One notification per level / department with the count and the first numbers (never one per matter)."""
    from gongjian.accounts.models import Scope

    def body(numbers: list[str]) -> str:
        head = "、".join(numbers[:10])
        return f"{len(numbers)}：{head}{'…' if len(numbers) > 10 else ''}"

    if by_region:
        admins = Scope.objects.filter(is_active=True, user__is_active=True, region_id__in=list(by_region),
                                      role__in=[Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN]
                                      ).select_related("user")
        per: dict[int, list[Any]] = defaultdict(list)
        for s in admins:
            per[s.region_id or 0].append(s.user)
        for region_id, users in per.items():
            notify.send(users, verb=verb, title=f"{title}（{len(by_region[region_id])}）", body=body(by_region[region_id]))
    if by_dept:
        handlers = Scope.objects.filter(is_active=True, user__is_active=True, department_id__in=list(by_dept),
                                        role=Role.DEPARTMENT_HANDLER).select_related("user")
        perd: dict[int, list[Any]] = defaultdict(list)
        for s in handlers:
            perd[s.department_id or 0].append(s.user)
        for dept_id, users in perd.items():
            notify.send(users, verb=verb, title=f"{title}（{len(by_dept[dept_id])}）", body=body(by_dept[dept_id]))


def _numbers(ids: set[int]) -> dict[int, str]:
    """Matter numbers by id for many ids (PostgreSQL: one array parameter instead of one placeholder per id)."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, number FROM {Matter._meta.db_table} WHERE id = ANY(%s)", [list(ids)])  # noqa: S608 - our table
            return dict(cur.fetchall())
    out: dict[int, str] = {}
    chunk = list(ids)
    for start in range(0, len(chunk), 900):
        out.update(Matter.objects.filter(pk__in=chunk[start:start + 900]).values_list("pk", "number"))
    return out


SWEEP_BATCH = 10_000  # rows flagged per statement and transaction (a first sweep over old data never holds locks for long)


def _mark_overdue(table: str, where: str, params: list[Any], returning: str, event_cols: str, *, at: Any, now: dt.datetime,
                  note: Any, batch: int) -> list[tuple[Any, ...]]:
    """Flag the rows of ``table`` matching ``where`` and not yet flagged, and write one OVERDUE timeline entry per row.

    The candidates are read once (their ids); they are flagged in batches of ``batch`` ids, each batch one
    ``UPDATE … SET is_overdue = true WHERE id IN (batch) AND <where> AND NOT is_overdue RETURNING …`` in its own
    short transaction. The update re-checks the condition on the locked row, so a row resolved meanwhile or flagged
    by a concurrent sweep is left alone and returned by neither. ``event_cols`` picks (matter id, region id,
    department id) from the returned columns. PostgreSQL inserts the entries in the same statement (a data-modifying
    CTE: they never leave the server); elsewhere the returned rows are inserted in batches. ``is_overdue`` is in no
    index and the tables keep free space on each page (fillfactor, migration 0004), so PostgreSQL updates the rows
    in place (HOT) without touching any index."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM {table} WHERE {where} AND is_overdue = %s", [*params, False])  # noqa: S608 - names only
        ids = [r[0] for r in cur.fetchall()]
    text = str(note)
    out: list[tuple[Any, ...]] = []
    pg = connection.vendor == "postgresql"
    step = batch if pg else min(batch, 900)
    cols = [c.strip() for c in returning.split(",")]
    picks = [c.strip() for c in event_cols.split(",")]
    for start in range(0, len(ids), step):
        chunk = ids[start:start + step]
        if pg:
            id_sql, id_vals = "id = ANY(%s)", [chunk]
        else:
            marks, id_vals = _in(chunk)
            id_sql = f"id IN ({marks})"
        update = (f"UPDATE {table} SET is_overdue = %s, updated_at = %s WHERE {id_sql} AND {where} AND is_overdue = %s "  # noqa: S608
                  f"RETURNING {returning}")
        with transaction.atomic():
            if pg:
                # Flags and entries are recomputed by the next sweep if a crash loses this commit: no need to wait for the
                # WAL to reach the disk (on this machine that wait was a fifth of the mass sweep).
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL synchronous_commit TO OFF")
                ev = MatterEvent._meta.db_table
                sql = (f"WITH upd AS ({update}), ev AS (INSERT INTO {ev} (matter_id, region_id, department_id, kind, at, "  # noqa: S608
                       f"actor_label, from_status, to_status, note, created_at, updated_at) SELECT {event_cols}, %s, %s, %s, '', '', "
                       f"%s, %s, %s FROM upd) SELECT {', '.join(cols)} FROM upd")
                out += _update_returning(sql, [True, at, *id_vals, *params, False, EventKind.OVERDUE, at, "system", text, at, at])
                continue
            rows = _update_returning(update, [True, at, *id_vals, *params, False])

            def value(row: tuple[Any, ...], pick: str) -> Any:
                return None if pick == "NULL" else row[cols.index(pick)]

            _bulk_events([MatterEvent(matter_id=value(r, picks[0]), region_id=value(r, picks[1]), department_id=value(r, picks[2]),
                                      kind=EventKind.OVERDUE, at=now, actor_label="system", note=text) for r in rows])
            out += rows
    return out


def sweep_overdue(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Mark matters past their accept or resolve deadline and assignments past theirs as overdue.

    Set-based: per kind, one query for the candidates on the (status, due) indexes and one ``UPDATE … RETURNING`` per
    batch of ``batch`` rows (``_mark_overdue``); a row already marked is not touched again, so each matter gets one
    OVERDUE timeline entry and its owners (and each department its handlers) one notification per sweep that found
    something — and two sweeps at once never mark a row twice (the second waits for the row and re-checks
    ``is_overdue``). Each batch commits on its own; the notifications and the audit event follow the last one."""
    now = now or _now()
    at = connection.ops.adapt_datetimefield_value(now)
    open_in, open_vals = _in(MATTER_OPEN)
    active_in, active_vals = _in(ASSIGNMENT_ACTIVE)
    accept_rows = _mark_overdue(Matter._meta.db_table, "status = %s AND accept_due < %s", [MatterStatus.REPORTED, at],
                                "id, owner_id, number", "id, owner_id, NULL", at=at, now=now, note=_("Not accepted within the deadline."),
                                batch=batch)
    resolve_rows = _mark_overdue(Matter._meta.db_table, f"status IN ({open_in}) AND resolve_due < %s", [*open_vals, at],
                                 "id, owner_id, number", "id, owner_id, NULL", at=at, now=now, note=_("Not resolved within the deadline."),
                                 batch=batch)
    asg_rows = _mark_overdue(Assignment._meta.db_table, f"status IN ({active_in}) AND deadline < %s", [*active_vals, at],
                             "matter_id, department_id, by_region_id", "matter_id, NULL, department_id", at=at, now=now,
                             note=_("The department did not report its result within the deadline."), batch=batch)
    numbers = _numbers({r[0] for r in asg_rows})
    by_region: dict[int, list[str]] = defaultdict(list)
    for _mid, owner, number in (*accept_rows, *resolve_rows):
        by_region[owner].append(number)
    by_dept: dict[int, list[str]] = defaultdict(list)
    by_assigner: dict[int, list[str]] = defaultdict(list)
    for mid, dept, by in asg_rows:
        by_dept[dept].append(numbers.get(mid, ""))
        by_assigner[by].append(numbers.get(mid, ""))
    counts = {"accept": len(accept_rows), "resolve": len(resolve_rows), "assignments": len(asg_rows)}
    if any(counts.values()):
        with transaction.atomic():
            _notify_grouped(by_region, by_dept, verb="matters.overdue", title=_("Matters overdue"))
            _notify_grouped(by_assigner, {}, verb="matters.assignment_overdue", title=_("Assignments overdue"))
            audit.record(actor=None, verb="matters.sweep_overdue", target="matters.matter", changes=counts)
        registry.bump(MODULE)
    return counts


@transaction.atomic
def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind departments of active assignments whose deadline is within the rule's ``remind_before_hours``, once each."""
    now = now or _now()
    rules = deadlines.rules()
    ids: list[int] = []
    for urgency, rule in rules.items():
        window = now + dt.timedelta(hours=rule.remind_before_hours)
        ids += list(Assignment.objects.filter(status__in=ASSIGNMENT_ACTIVE, reminded_at__isnull=True, deadline__gt=now,
                                              deadline__lte=window, matter__urgency=urgency).values_list("pk", flat=True))
    if not ids:
        return 0
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 900):
        chunk_in, chunk = _in(ids[start:start + 900])
        rows += _update_returning(
            f"UPDATE {Assignment._meta.db_table} SET reminded_at = %s "  # noqa: S608
            f"WHERE id IN ({chunk_in}) AND reminded_at IS NULL RETURNING id, matter_id, department_id, deadline",
            [connection.ops.adapt_datetimefield_value(now), *chunk],
        )
    numbers = dict(Matter.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "number"))
    note = str(_("Deadline approaching"))
    _bulk_events([MatterEvent(matter_id=mid, kind=EventKind.REMINDER, at=now, actor_label="system", department_id=dept, note=note)
                  for _a, mid, dept, _d in rows])
    by_dept: dict[int, list[str]] = defaultdict(list)
    for _a, mid, dept, _d in rows:
        by_dept[dept].append(numbers.get(mid, ""))
    _notify_grouped({}, by_dept, verb="matters.reminder", title=_("Assignments due soon"))
    return len(rows)


# --- catalogue, rules and the holiday calendar (city administrators) ---------------------------


def _category_full_name(name: str, parent: MatterCategory | None) -> str:
    return f"{parent.full_name} › {name}" if parent else name


@transaction.atomic
def category_save(*, actor: Any, category: MatterCategory | int | None = None, name: Any, parent: Any = None,
                  default_urgency: Any = "", sort_order: Any = 100, is_active: bool = True) -> MatterCategory:
    """Add or rename a catalogue entry (three levels); deactivating hides it from pickers, never deletes it."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    text = clean_text(name, field="name", errors=errors, required=_("The name is required."), max_length=64)
    if "›" in text:
        errors.add("name", _("The name cannot contain “›”."))
    c = None
    if category is not None:
        c = MatterCategory.objects.select_for_update().filter(pk=_pk(category, MatterCategory)).first()
        if c is None:
            raise NotFound()
    par = None
    if parent not in (None, ""):
        par = MatterCategory.objects.filter(pk=int_param(parent.pk if isinstance(parent, MatterCategory) else parent) or 0).first()
        if par is None:
            errors.add("parent", _("Unknown category."))
        elif par.level >= 3:
            errors.add("parent", _("The catalogue has three levels; choose a first- or second-level parent."))
        elif c is not None and (par.pk == c.pk or par.full_name.startswith(c.full_name + " ›")):
            errors.add("parent", _("A category cannot be placed under itself."))
    urgency = str(default_urgency or "")
    if urgency and urgency not in Urgency.values:
        errors.add("default_urgency", _("Choose one of the listed options."))
    order = int_param(sort_order) if sort_order not in (None, "") else 100
    if order is None and str(sort_order).strip() != "0":
        errors.add("sort_order", _("Enter a whole number from 0 to 100000."))
    if text and MatterCategory.objects.filter(name=text, parent=par).exclude(pk=getattr(c, "pk", None) or 0).exists():
        errors.add("name", _("A category with this name already exists here."))
    errors.raise_if_any()
    before = {} if c is None else {"name": c.name, "parent": c.parent_id, "default_urgency": c.default_urgency, "sort_order": c.sort_order,
                                   "is_active": c.is_active}
    c = c or MatterCategory()
    old_full = c.full_name
    c.name, c.parent, c.level = text, par, (par.level + 1 if par else 1)
    c.full_name = _category_full_name(text, par)
    c.default_urgency, c.sort_order, c.is_active = urgency, order or 0, bool(is_active)
    c.save()
    if old_full and old_full != c.full_name:
        for child in MatterCategory.objects.filter(full_name__startswith=old_full + " ›"):
            child.full_name = c.full_name + child.full_name[len(old_full):]
            child.save(update_fields=["full_name", "updated_at"])
    after = {"name": c.name, "parent": c.parent_id, "default_urgency": c.default_urgency, "sort_order": c.sort_order, "is_active": c.is_active}
    audit.record(actor=actor, verb="matters.category.save", target=c, changes=audit.diff(before, after))
    return c


@transaction.atomic
def rule_update(*, actor: Any, urgency: Any, accept_hours: Any, resolve_hours: Any = None, resolve_days: Any = None,
                working_days: bool = False, remind_before_hours: Any = 24) -> DeadlineRule:
    """Change the deadlines of one urgency (hours to accept; hours or days to resolve; working days or not)."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    if str(urgency) not in Urgency.values:
        errors.add("urgency", _("Choose one of the listed options."))

    def number(value: Any, field: str, high: int) -> int | None:
        if value in (None, ""):
            return None
        n = int_param(value)
        if n is None or n > high:
            errors.add(field, _("Enter a whole number from 1 to %(n)s.") % {"n": high})
        return n

    acc = number(accept_hours, "accept_hours", 720)
    if acc is None and "accept_hours" not in errors.details:
        errors.add("accept_hours", _("Enter a whole number from 1 to %(n)s.") % {"n": 720})
    rh = number(resolve_hours, "resolve_hours", 2160)
    rd = number(resolve_days, "resolve_days", 365)
    if (rh is None) == (rd is None) and "resolve_hours" not in errors.details and "resolve_days" not in errors.details:
        errors.add("resolve_days", _("Give the time to resolve either in hours or in days."))
    remind = number(remind_before_hours, "remind_before_hours", 720) or 0
    errors.raise_if_any()
    r = DeadlineRule.objects.select_for_update().filter(urgency=urgency).first() or DeadlineRule(urgency=urgency)
    before = {} if r.pk is None else {"accept_hours": r.accept_hours, "resolve_hours": r.resolve_hours, "resolve_days": r.resolve_days,
                                      "working_days": r.working_days, "remind_before_hours": r.remind_before_hours}
    r.accept_hours, r.resolve_hours, r.resolve_days = acc or 1, rh, rd
    r.working_days = bool(working_days) and rd is not None
    r.remind_before_hours = remind
    r.save()
    after = {"accept_hours": r.accept_hours, "resolve_hours": r.resolve_hours, "resolve_days": r.resolve_days,
             "working_days": r.working_days, "remind_before_hours": r.remind_before_hours}
    audit.record(actor=actor, verb="matters.rule.update", target=r, changes=audit.diff(before, after))
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()
    return r


@transaction.atomic
def holiday_save(*, actor: Any, date: Any, name: Any, is_workday: bool = False) -> Holiday:
    """Add or change a day of the calendar: a public holiday, or a make-up working day (调休, ``is_workday``)."""
    require(actor, perms.CATALOGUE_MANAGE)
    errors = Errors()
    day = date if isinstance(date, dt.date) and not isinstance(date, dt.datetime) else None
    if day is None:
        try:
            day = dt.date.fromisoformat(str(date).strip())
        except ValueError:
            errors.add("date", _("Enter a date such as 2026-10-01."))
    text = clean_text(name, field="name", errors=errors, required=_("The name is required."), max_length=64)
    errors.raise_if_any()
    assert day is not None
    h = Holiday.objects.select_for_update().filter(date=day).first() or Holiday(date=day)
    before = {} if h.pk is None else {"name": h.name, "is_workday": h.is_workday}
    h.name, h.is_workday = text, bool(is_workday)
    h.save()
    audit.record(actor=actor, verb="matters.holiday.save", target=h, changes=audit.diff(before, {"name": h.name, "is_workday": h.is_workday}))
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()
    return h


@transaction.atomic
def holiday_delete(*, actor: Any, holiday: Holiday | int) -> None:
    require(actor, perms.CATALOGUE_MANAGE)
    h = Holiday.objects.select_for_update().filter(pk=_pk(holiday, Holiday)).first()
    if h is None:
        raise NotFound()
    audit.record(actor=actor, verb="matters.holiday.delete", target=h, changes={"date": h.date, "name": h.name, "is_workday": h.is_workday})
    h.delete()
    transaction.on_commit(deadlines.invalidate)
    deadlines.invalidate()


__all__ = [
    "CONFLICT_MESSAGE", "assignable_departments", "assignment_accept", "assignment_follow_up", "assignment_progress", "assignment_result",
    "assignment_return", "attachment_read", "category_save", "default_deadline", "holiday_delete", "holiday_save", "make_number",
    "matter_accept", "matter_assign", "matter_attach", "matter_callback", "matter_escalate", "matter_mark_coordinated",
    "matter_record_agenda", "matter_reject", "matter_report", "matter_resolve", "reporter_phone", "reporter_phone_masked",
    "rule_update", "send_reminders", "sweep_overdue",
]

