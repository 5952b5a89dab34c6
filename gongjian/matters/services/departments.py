"""Departments' work on their assignments (take up, progress, result, send back) and the owning level's follow-up (督办)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import Conflict, NotFound, TransitionError
from gongjian.core.kernel import Actor, account_of, clean_reason, key_of
from gongjian.core.permissions import require
from gongjian.core.validation import Errors, clean_text

from .. import permissions as perms
from ..choices import ASSIGNMENT_ACTIVE, ASSIGNMENT_TRANSITIONS, MATTER_TRANSITIONS, AssignmentRole, AssignmentStatus, EventKind, MatterStatus
from ..models import Assignment, FollowUp, MatterEvent
from . import common
from .assignment import clean_deadline
from .common import CONFLICT_MESSAGE, MODULE, _admins, _event, _handlers, _notify, _now, _owner_region, _save, _sync
from .escalation import _withdraw_active


def _take_up(a: Assignment, now: dt.datetime) -> None:
    a.status = AssignmentStatus.IN_PROGRESS
    a.accepted_at = now
    a.save(update_fields=["status", "accepted_at", "updated_at"])


@transaction.atomic
def assignment_accept(*, actor: Actor, assignment: Assignment | int) -> Assignment:
    """The department takes the assignment up (in progress)."""
    m, a = common._lock_assignment(actor, assignment)
    ASSIGNMENT_TRANSITIONS.check(a, AssignmentStatus.IN_PROGRESS)
    now = _now()
    _take_up(a, now)
    _event(m, EventKind.ASSIGNMENT_ACCEPTED, actor=actor, at=now, department=a.department)
    audit.record(actor=actor, verb="matters.assignment.accept", target=m, changes={"assignment": a.pk, "department": a.department_id})
    _sync(assignment, a)
    return a


@transaction.atomic
def assignment_progress(*, actor: Actor, assignment: Assignment | int, note: Any) -> MatterEvent:
    """A progress note on the timeline (takes an untouched assignment up)."""
    text = common._text(note, field="note", required=_("Describe the progress."), max_length=2000)
    m, a = common._lock_assignment(actor, assignment)
    if a.status not in ASSIGNMENT_ACTIVE:
        raise TransitionError(_("This assignment is “%(status)s”; that is no longer possible.") % {"status": a.get_status_display()})
    now = _now()
    if a.status == AssignmentStatus.ASSIGNED:
        _take_up(a, now)
    ev = _event(m, EventKind.PROGRESS, actor=actor, at=now, department=a.department, note=text)
    audit.record(actor=actor, verb="matters.assignment.progress", target=m, changes={"assignment": a.pk, "note": text})
    _notify(_admins(a.by_region), actor, m, verb="matters.progress", title=_("Progress reported"), body=text)
    _sync(assignment, a)
    return ev


@transaction.atomic
def assignment_result(*, actor: Actor, assignment: Assignment | int, result: Any) -> Assignment:
    """The department reports its result (done). The lead's result lets the owning level resolve the matter."""
    text = common._text(result, field="result", required=_("Describe the result."), max_length=4000)
    m, a = common._lock_assignment(actor, assignment)
    ASSIGNMENT_TRANSITIONS.check(a, AssignmentStatus.DONE)
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
def assignment_return(*, actor: Actor, assignment: Assignment | int, reason: Any) -> Assignment:
    """A mis-assigned matter sent back with a reason. The lead's return sends the matter back to its owner to decide again."""
    text = clean_reason(reason)
    m, a = common._lock_assignment(actor, assignment)
    ASSIGNMENT_TRANSITIONS.check(a, AssignmentStatus.RETURNED)
    now = _now()
    a.status = AssignmentStatus.RETURNED
    a.returned_at = now
    a.return_reason = text
    a.save(update_fields=["status", "returned_at", "return_reason", "updated_at"])
    before = m.status
    withdrawn: list[Assignment] = []
    if a.role == AssignmentRole.LEAD and m.status == MatterStatus.ASSIGNED:
        withdrawn = _withdraw_active(m, actor=actor, now=now, reason=text, exclude=a)
        MATTER_TRANSITIONS.check(m, MatterStatus.ACCEPTED)
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
def assignment_follow_up(*, actor: Actor, assignment: Assignment | int, note: Any, new_deadline: Any = None) -> FollowUp:
    """督办: the owning level presses a department on its active assignment, optionally with a new deadline."""
    require(actor, perms.FOLLOW_UP)
    errors = Errors()
    text = clean_text(note, field="note", errors=errors, required=_("Write what you expect of the department."), max_length=500,
                      multiline=True)
    now = _now()
    due = clean_deadline(new_deadline, field="new_deadline", errors=errors, now=now)
    errors.raise_if_any()
    pk = key_of(assignment, Assignment)
    row = Assignment.objects.filter(pk=pk).values("matter_id").first()
    if row is None:
        raise NotFound()
    m = common._lock(actor, row["matter_id"])
    a = Assignment.objects.select_for_update().select_related("department").get(pk=pk)
    if isinstance(assignment, Assignment) and assignment.status != a.status:
        raise Conflict(CONFLICT_MESSAGE, code="stale")
    region = _owner_region(actor, perms.FOLLOW_UP, m)
    if a.status not in ASSIGNMENT_ACTIVE:
        raise TransitionError(_("Only an assignment still being handled can be followed up; this one is “%(status)s”.")
                              % {"status": a.get_status_display()})
    fu = FollowUp.objects.create(assignment=a, by=account_of(actor), by_region=region, note=text,
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
