"""Choices and the state machine of matters (民生事项).

``MATTER_TRANSITIONS`` is the only place that says which status may follow which (a ``core.kernel.Transitions``:
the services ``check`` it, the pages' buttons ask ``allows``); services refuse anything else with
``TransitionError``. Escalation moves the owning level up one step (community →
subdistrict → district → city); the status after an escalation is ``escalated`` (waiting for the
new owner to handle it, assign it, put it on a meeting agenda or escalate it further).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.kernel import Transitions


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", pgettext_lazy("matter urgency", "Emergency")
    UTILITIES = "utilities", pgettext_lazy("matter urgency", "Utilities outage")
    GENERAL = "general", pgettext_lazy("matter urgency", "General")
    COMPLEX = "complex", pgettext_lazy("matter urgency", "Complex")


class MatterSource(models.TextChoices):
    STAFF = "staff", _("Community staff")
    ROAD_CHIEF = "road_chief", _("Road chief report")
    RESIDENT = "resident", _("Resident")
    HOTLINE = "hotline", _("Hotline work order")
    MEETING = "meeting", _("Meeting")


class MatterStatus(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("matter status", "Reported")
    ACCEPTED = "accepted", pgettext_lazy("matter status", "Accepted")
    ESCALATED = "escalated", pgettext_lazy("matter status", "Escalated")
    ASSIGNED = "assigned", pgettext_lazy("matter status", "Assigned")
    RESOLVED = "resolved", pgettext_lazy("matter status", "Resolved")
    CLOSED = "closed", pgettext_lazy("matter status", "Closed")
    REOPENED = "reopened", pgettext_lazy("matter status", "Reopened")
    REJECTED = "rejected", pgettext_lazy("matter status", "Rejected")


# What a change to each status is called in the message that refuses it ("… cannot be escalated").
VERBS = {
    MatterStatus.ACCEPTED: pgettext_lazy("matter action", "accepted"),
    MatterStatus.REJECTED: pgettext_lazy("matter action", "rejected"),
    MatterStatus.ESCALATED: pgettext_lazy("matter action", "escalated"),
    MatterStatus.ASSIGNED: pgettext_lazy("matter action", "assigned to departments"),
    MatterStatus.RESOLVED: pgettext_lazy("matter action", "resolved"),
    MatterStatus.CLOSED: pgettext_lazy("matter action", "closed"),
    MatterStatus.REOPENED: pgettext_lazy("matter action", "reopened"),
}


class _MatterRefusal:
    """The matters' own message of a refused change: it names the action (“cannot be escalated”), not the status
    the change leads to. ``Transitions.check`` formats it with the labels of both statuses."""

    def __mod__(self, params: dict[str, Any]) -> str:
        by_label = {str(label): value for value, label in MatterStatus.choices}
        to = by_label.get(str(params["to"]), str(params["to"]))
        return _("A matter in status “%(status)s” cannot be %(action)s.") % {
            "status": params["status"], "action": VERBS.get(MatterStatus(to), to) if to in MatterStatus.values else to}


MATTER_TRANSITIONS = Transitions({
    # the first receiver (the community) accepts it, or rejects it as not a governance matter
    MatterStatus.REPORTED: frozenset({MatterStatus.ACCEPTED, MatterStatus.REJECTED}),
    # the owning level handles it itself (→ resolved), escalates it, or assigns departments
    MatterStatus.ACCEPTED: frozenset({MatterStatus.RESOLVED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED, MatterStatus.REJECTED}),
    MatterStatus.ESCALATED: frozenset({MatterStatus.RESOLVED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED, MatterStatus.REJECTED}),
    MatterStatus.REOPENED: frozenset({MatterStatus.RESOLVED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED}),
    # departments work; when the lead reports its result the owner marks it resolved; all sent back → owner decides again
    MatterStatus.ASSIGNED: frozenset({MatterStatus.RESOLVED, MatterStatus.ESCALATED, MatterStatus.ACCEPTED}),
    # the callback: satisfied / basically satisfied → closed; unsatisfied → reopened
    MatterStatus.RESOLVED: frozenset({MatterStatus.CLOSED, MatterStatus.REOPENED}),
    MatterStatus.CLOSED: frozenset(),
    MatterStatus.REJECTED: frozenset(),
}, message=_MatterRefusal())
MATTER_OPEN = frozenset({MatterStatus.REPORTED, MatterStatus.ACCEPTED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED, MatterStatus.REOPENED})


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead department")
    ASSIST = "assist", _("Assisting department")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", pgettext_lazy("assignment status", "Assigned")
    IN_PROGRESS = "in_progress", pgettext_lazy("assignment status", "In progress")
    DONE = "done", pgettext_lazy("assignment status", "Result reported")
    RETURNED = "returned", pgettext_lazy("assignment status", "Sent back")
    WITHDRAWN = "withdrawn", pgettext_lazy("assignment status", "Withdrawn")


ASSIGNMENT_TRANSITIONS = Transitions({
    AssignmentStatus.ASSIGNED: frozenset({
        AssignmentStatus.IN_PROGRESS,
        AssignmentStatus.DONE,
        AssignmentStatus.RETURNED,
        AssignmentStatus.WITHDRAWN,
    }),
    AssignmentStatus.IN_PROGRESS: frozenset({AssignmentStatus.DONE, AssignmentStatus.WITHDRAWN}),
    AssignmentStatus.DONE: frozenset(),
    AssignmentStatus.RETURNED: frozenset(),
    AssignmentStatus.WITHDRAWN: frozenset(),
}, message=_("This assignment is “%(status)s”; that is no longer possible."))
ASSIGNMENT_ACTIVE = (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS)


class EventKind(models.TextChoices):
    """One timeline entry per action on a matter (the audit log holds the same, with before/after)."""

    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    ESCALATED = "escalated", _("Escalated")
    ASSIGNED = "assigned", _("Departments assigned")
    ASSIGNMENT_ACCEPTED = "assignment_accepted", _("Department took it up")
    PROGRESS = "progress", _("Progress reported")
    RESULT = "result", _("Result reported")
    RETURNED = "returned", _("Sent back by a department")
    RESOLVED = "resolved", _("Resolved")
    CALLBACK = "callback", _("Callback recorded")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    FOLLOW_UP = "follow_up", _("Follow-up (督办)")
    REMINDER = "reminder", _("Deadline reminder")
    OVERDUE = "overdue", _("Overdue")
    AGENDA = "agenda", _("Put on a meeting agenda")
    COORDINATED = "coordinated", _("Coordinated at a meeting")
    ATTACHMENT = "attachment", _("Attachment added")
    NOTE = "note", _("Note")
