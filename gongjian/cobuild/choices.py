"""Choices and state machines of the co-building module.

The transition tables below (``core.kernel.Transitions``) are the only place that says which status
may follow which: services ``move``/``check`` against them and refuse anything else with
``TransitionError``; the pages show only the action buttons a table ``allows``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongjian.core.kernel import Transitions


class CategoryUse(models.TextChoices):
    BOTH = "both", _("Needs and resources")
    NEEDS = "needs", _("Needs only")
    RESOURCES = "resources", _("Resources only")


class Urgency(models.TextChoices):
    LOW = "low", pgettext_lazy("urgency", "Low")
    NORMAL = "normal", pgettext_lazy("urgency", "Normal")
    HIGH = "high", pgettext_lazy("urgency", "High")
    URGENT = "urgent", pgettext_lazy("urgency", "Urgent")


class NeedSource(models.TextChoices):
    STAFF = "staff", _("Community staff")
    WISH = "wish", _("Resident micro-wish")
    MEETING = "meeting", _("Meeting decision")


class NeedStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("cobuild status", "Draft")
    PUBLISHED = "published", pgettext_lazy("cobuild status", "Published")
    MATCHED = "matched", pgettext_lazy("cobuild status", "Matched")
    IN_PROJECT = "in_project", pgettext_lazy("cobuild status", "In a project")
    MET = "met", pgettext_lazy("cobuild status", "Met")
    WITHDRAWN = "withdrawn", pgettext_lazy("cobuild status", "Withdrawn")


NEED_TRANSITIONS = Transitions({
    NeedStatus.DRAFT: frozenset({NeedStatus.PUBLISHED, NeedStatus.WITHDRAWN}),
    NeedStatus.PUBLISHED: frozenset({NeedStatus.MATCHED, NeedStatus.WITHDRAWN}),
    NeedStatus.MATCHED: frozenset({NeedStatus.IN_PROJECT, NeedStatus.PUBLISHED, NeedStatus.WITHDRAWN}),
    NeedStatus.IN_PROJECT: frozenset({NeedStatus.MET}),
    NeedStatus.MET: frozenset(),
    NeedStatus.WITHDRAWN: frozenset(),
}, message=_("A need in status “%(from)s” cannot be changed to “%(to)s”."))
# Statuses in which a need may still be edited.
NEED_EDITABLE = frozenset({NeedStatus.DRAFT, NeedStatus.PUBLISHED})
# A need counts as published once it has left draft for the public list (and not been withdrawn).
NEED_PUBLISHED_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.MATCHED, NeedStatus.IN_PROJECT, NeedStatus.MET)


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("Venue")
    FUNDS = "funds", _("Funds")
    VOLUNTEERS = "volunteers", _("Volunteers")
    EXPERTISE = "expertise", _("Expertise")
    EQUIPMENT = "equipment", _("Equipment")
    GOODS = "goods", _("Goods")
    SERVICE = "service", pgettext_lazy("resource kind", "Service")
    OTHER = "other", pgettext_lazy("resource kind", "Other")


class CapacityUnit(models.TextChoices):
    SQUARE_METRES = "m2", _("m²")
    YUAN = "yuan", _("yuan")
    PEOPLE = "people", pgettext_lazy("capacity unit", "people")
    HOURS = "hours", pgettext_lazy("capacity unit", "hours")
    ITEMS = "items", pgettext_lazy("capacity unit", "items")


class ResourceStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("cobuild status", "Draft")
    OFFERED = "offered", pgettext_lazy("cobuild status", "Offered")
    PAUSED = "paused", pgettext_lazy("cobuild status", "Paused")
    WITHDRAWN = "withdrawn", pgettext_lazy("cobuild status", "Withdrawn")


RESOURCE_TRANSITIONS = Transitions({
    ResourceStatus.DRAFT: frozenset({ResourceStatus.OFFERED, ResourceStatus.WITHDRAWN}),
    ResourceStatus.OFFERED: frozenset({ResourceStatus.PAUSED, ResourceStatus.WITHDRAWN}),
    ResourceStatus.PAUSED: frozenset({ResourceStatus.OFFERED, ResourceStatus.WITHDRAWN}),
    ResourceStatus.WITHDRAWN: frozenset(),
}, message=_("A resource in status “%(from)s” cannot be changed to “%(to)s”."))
RESOURCE_EDITABLE = frozenset({ResourceStatus.DRAFT, ResourceStatus.OFFERED, ResourceStatus.PAUSED})

# The seeded taxonomy (data migration 0002); admins add more and deactivate.
DEFAULT_CATEGORIES = (
    "助老", "助残", "青少年", "医疗健康", "法律服务", "就业创业", "文体活动", "环境卫生",
    "设施改造", "场地", "资金", "物资", "技术支持", "安全", "心理关爱", "其他",
)


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("project status", "Proposed")
    AGREED = "agreed", pgettext_lazy("project status", "Agreed")
    IN_PROGRESS = "in_progress", pgettext_lazy("project status", "In progress")
    DONE = "done", pgettext_lazy("project status", "Done")
    RATED = "rated", pgettext_lazy("project status", "Rated")
    CANCELLED = "cancelled", pgettext_lazy("project status", "Cancelled")


PROJECT_TRANSITIONS = Transitions({
    ProjectStatus.PROPOSED: frozenset({ProjectStatus.AGREED, ProjectStatus.CANCELLED}),
    ProjectStatus.AGREED: frozenset({ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED}),
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.DONE, ProjectStatus.CANCELLED}),
    ProjectStatus.DONE: frozenset({ProjectStatus.RATED}),
    ProjectStatus.RATED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}, message=_("A project in status “%(from)s” cannot be changed to “%(to)s”."))
# Needs a new project may take up (they move to “in a project”); a cancelled project returns its
# needs from “in a project” to “published” (only the project services do that, not the need actions).
PROJECT_NEED_STATUSES = (NeedStatus.PUBLISHED, NeedStatus.MATCHED)
PROJECT_RATING_MIN, PROJECT_RATING_MAX = 1, 5


class MatchVerdict(models.TextChoices):
    """What staff decided about one suggested need–resource pair (对接); rejections are remembered."""

    ACCEPTED = "accepted", pgettext_lazy("match verdict", "Accepted")
    REJECTED = "rejected", pgettext_lazy("match verdict", "Rejected")


class ReportInStatus(models.TextChoices):
    """单位双报到: the unit reports in, the community confirms (or rejects); either may end it."""

    PENDING = "pending", pgettext_lazy("report-in status", "Awaiting confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("report-in status", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("report-in status", "Rejected")
    ENDED = "ended", pgettext_lazy("report-in status", "Ended")


REPORT_IN_TRANSITIONS = Transitions({
    ReportInStatus.PENDING: frozenset({ReportInStatus.CONFIRMED, ReportInStatus.REJECTED, ReportInStatus.ENDED}),
    ReportInStatus.CONFIRMED: frozenset({ReportInStatus.ENDED}),
    ReportInStatus.REJECTED: frozenset(),
    ReportInStatus.ENDED: frozenset(),
})  # its message is given by the partners part (partners/services.py)
# At most one report-in per unit and community in these statuses (a partial unique constraint).
REPORT_IN_ACTIVE = (ReportInStatus.PENDING, ReportInStatus.CONFIRMED)


class PartnershipStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("partnership status", "Active")
    ENDED = "ended", pgettext_lazy("partnership status", "Ended")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("agreement status", "Draft")
    SIGNED = "signed", pgettext_lazy("agreement status", "Signed")
