"""Statuses and kinds of the volunteering app (members' report-in, posts, activities, hours, pledges, road chiefs).

Each ``*_TRANSITIONS`` table is the only place that says which status may follow which; services refuse
anything else with ``TransitionError``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.kernel import Transitions


class ReportInStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("report-in status", "Waiting for the community")
    CONFIRMED = "confirmed", pgettext_lazy("report-in status", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("report-in status", "Not accepted")
    ENDED = "ended", pgettext_lazy("report-in status", "Ended")


REPORT_IN_ACTIVE = frozenset({ReportInStatus.PENDING, ReportInStatus.CONFIRMED})
REPORT_IN_TRANSITIONS = Transitions({
    ReportInStatus.PENDING: frozenset({ReportInStatus.CONFIRMED, ReportInStatus.REJECTED, ReportInStatus.ENDED}),
    ReportInStatus.CONFIRMED: frozenset({ReportInStatus.ENDED}),
    ReportInStatus.REJECTED: frozenset(),
    ReportInStatus.ENDED: frozenset(),
})


class PostKind(models.TextChoices):
    BUILDING_CHIEF = "building_chief", _("Building chief (楼栋长)")
    ROAD_CHIEF = "road_chief", _("Road chief (路长)")
    MEDIATOR = "mediator", _("Mediator (调解员)")
    CIVILITY = "civility", _("Civility adviser (文明劝导员)")
    GRID = "grid", _("Grid worker (网格员)")
    LECTURER = "lecturer", _("Lecturer (宣讲员)")
    OTHER = "other", _("Other post")


class HoldingStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("post holding status", "Applied")
    APPROVED = "approved", pgettext_lazy("post holding status", "Serving")
    REJECTED = "rejected", pgettext_lazy("post holding status", "Not approved")
    WITHDRAWN = "withdrawn", pgettext_lazy("post holding status", "Withdrawn")
    ENDED = "ended", pgettext_lazy("post holding status", "Ended")


HOLDING_ACTIVE = frozenset({HoldingStatus.APPLIED, HoldingStatus.APPROVED})
HOLDING_TRANSITIONS = Transitions({
    HoldingStatus.APPLIED: frozenset({HoldingStatus.APPROVED, HoldingStatus.REJECTED, HoldingStatus.WITHDRAWN}),
    HoldingStatus.APPROVED: frozenset({HoldingStatus.ENDED}),
    HoldingStatus.REJECTED: frozenset(),
    HoldingStatus.WITHDRAWN: frozenset(),
    HoldingStatus.ENDED: frozenset(),
})


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("activity status", "Draft")
    PUBLISHED = "published", pgettext_lazy("activity status", "Open for sign-up")
    FINISHED = "finished", pgettext_lazy("activity status", "Finished")
    CANCELLED = "cancelled", pgettext_lazy("activity status", "Cancelled")


ACTIVITY_TRANSITIONS = Transitions({
    ActivityStatus.DRAFT: frozenset({ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED}),
    ActivityStatus.PUBLISHED: frozenset({ActivityStatus.FINISHED, ActivityStatus.CANCELLED}),
    ActivityStatus.FINISHED: frozenset(),
    ActivityStatus.CANCELLED: frozenset(),
})


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", pgettext_lazy("signup status", "Has a place")
    WAITING = "waiting", pgettext_lazy("signup status", "On the waiting list")
    CANCELLED = "cancelled", pgettext_lazy("signup status", "Cancelled")


SIGNUP_ACTIVE = frozenset({SignupStatus.CONFIRMED, SignupStatus.WAITING})


class HourKind(models.TextChoices):
    SHIFT = "shift", _("Activity shift")
    POST = "post", _("Service post")
    TASK = "task", _("Task")


class HourStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("hour status", "Waiting for confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("hour status", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("hour status", "Not confirmed")


class CodeKind(models.TextChoices):
    CHECK_IN = "in", _("Check-in")
    CHECK_OUT = "out", _("Check-out")


class PledgeStatus(models.TextChoices):
    MADE = "made", pgettext_lazy("pledge status", "Made")
    FULFILLED = "fulfilled", pgettext_lazy("pledge status", "Fulfilled")
    NOT_FULFILLED = "not_fulfilled", pgettext_lazy("pledge status", "Not fulfilled")


PLEDGE_TRANSITIONS = Transitions({
    PledgeStatus.MADE: frozenset({PledgeStatus.FULFILLED, PledgeStatus.NOT_FULFILLED}),
    PledgeStatus.FULFILLED: frozenset(),
    PledgeStatus.NOT_FULFILLED: frozenset(),
})


class PatrolReportStatus(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("patrol report status", "Reported")
    HANDLING = "handling", pgettext_lazy("patrol report status", "Being handled by the community")
    SOLVED = "solved", pgettext_lazy("patrol report status", "Solved")
    MATTER = "matter", pgettext_lazy("patrol report status", "Turned into a matter")
    REJECTED = "rejected", pgettext_lazy("patrol report status", "Not a problem")


PATROL_REPORT_OPEN = frozenset({PatrolReportStatus.REPORTED, PatrolReportStatus.HANDLING})
PATROL_REPORT_TRANSITIONS = Transitions({
    PatrolReportStatus.REPORTED: frozenset({PatrolReportStatus.HANDLING, PatrolReportStatus.SOLVED, PatrolReportStatus.MATTER,
                                            PatrolReportStatus.REJECTED}),
    PatrolReportStatus.HANDLING: frozenset({PatrolReportStatus.SOLVED, PatrolReportStatus.MATTER}),
    PatrolReportStatus.SOLVED: frozenset(),
    PatrolReportStatus.MATTER: frozenset(),
    PatrolReportStatus.REJECTED: frozenset(),
})
