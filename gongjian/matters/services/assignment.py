"""Assigning departments: which a level may assign, the deadline, and a meeting decision's assignments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import Conflict, ValidationError
from gongjian.core.kernel import Actor, account_of
from gongjian.core.params import int_param
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.models import Department

from .. import deadlines
from .. import permissions as perms
from ..choices import AssignmentRole, EventKind, MatterStatus
from ..models import Assignment, Matter
from ..selectors import assignable_departments
from . import common
from .common import CONFLICT_MESSAGE, MODULE, _event, _handlers, _notify, _now, _save, _sync

MAX_DEADLINE_DAYS = 366


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
    """The meeting decision a caller passes in (the meetings app, which sits above matters: matters does not read its
    tables): an object with ``pk``, ``matter_id``, ``meeting`` (with ``title``, ``region_id``) and ``text``; None when
    blank. It must be a decision on this matter (or on no matter)."""
    if value in (None, ""):
        return None
    matter_id = getattr(value, "matter_id", False)
    if matter_id is False or (matter_id and matter_id != m.pk):
        raise ValidationError.for_field("decision", _("This decision does not belong to this matter."))
    return value


@transaction.atomic
def matter_assign(*, actor: Actor, matter: Matter | int, lead: Any, assist: Any = (), deadline: Any = None, note: Any = "",
                  decision: Any = None, version: Any = None) -> list[Assignment]:
    """The owning level assigns one lead department and optional assisting ones, each with the deadline.

    With a meeting ``decision`` (the object, see ``_decision``) the matter counts as coordinated; linking the returned
    assignments to the decision is the caller's write (the meetings app owns that table)."""
    require(actor, perms.ASSIGN)
    m, region = common._lock_to(actor, matter, version=version, to=MatterStatus.ASSIGNED, action=perms.ASSIGN)
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
                created.append(Assignment.objects.create(matter=m, department=dept, role=role, deadline=due, assigned_by=account_of(actor),
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
