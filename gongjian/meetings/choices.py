"""Choices of coordination meetings and secretaries' exchanges."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.kernel import Transitions


class MeetingKind(models.TextChoices):
    COORDINATION = "coordination", _("Party-building coordination meeting")
    SECRETARY_EXCHANGE = "secretary_exchange", _("Subdistrict secretaries' exchange")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("meeting status", "Planned")
    HELD = "held", pgettext_lazy("meeting status", "Held")
    CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")


MEETING_TRANSITIONS = Transitions({
    MeetingStatus.PLANNED: {MeetingStatus.HELD, MeetingStatus.CANCELLED},
    MeetingStatus.HELD: set(),
    MeetingStatus.CANCELLED: set(),
}, message=_("A meeting that is “%(status)s” cannot be held or cancelled any more."))


class AttendeeKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    UNIT = "unit", _("Resident unit")
    SECRETARY = "secretary", _("Secretary of a lower level")
    PERSON = "person", _("Other participant")


class AgendaSource(models.TextChoices):
    ESCALATED = "escalated", _("Escalated matter (proposed automatically)")
    MANUAL = "manual", _("Added by hand")


class DecisionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("decision status", "Being carried out")
    DONE = "done", pgettext_lazy("decision status", "Done")


class TaskStatus(models.TextChoices):
    """A department's task from a decision without a matter (a matter's tasks are matters.Assignment rows)."""

    ASSIGNED = "assigned", pgettext_lazy("task status", "Assigned")
    DONE = "done", pgettext_lazy("task status", "Done")
