"""Matters (民生事项): what residents need solved, escalated up level by level and resolved downwards.

Visibility (issue #5): a matter is visible to the regions on its escalation path — from its community
up to the highest level it has reached — and to the departments assigned to it, and to no one else.
``region_path`` is the community's path; ``top_depth`` the depth of the highest level reached
(community 3, subdistrict 2, district 1, city 0), so "on the path" is a prefix match on
``region_path`` plus ``scope depth >= top_depth`` (see ``selectors``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields
from gongjian.regions.models import PATH_INDEX_OPCLASS, Department, Region

from .choices import (
    ASSIGNMENT_ACTIVE,
    AssignmentRole,
    AssignmentStatus,
    EventKind,
    MatterSource,
    MatterStatus,
    Satisfaction,
    Urgency,
)


class MatterCategory(BaseModel):
    """The dispatch catalogue (派单目录), three levels: 住房与物业 › 老旧小区改造 › 加装电梯."""

    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent"))
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    default_urgency = models.CharField(_("default urgency"), max_length=16, choices=Urgency.choices, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "full_name"]
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="matters_category_unique_name"),
            models.UniqueConstraint(fields=["name"], condition=models.Q(parent__isnull=True), name="matters_category_unique_root"),
            models.CheckConstraint(name="matters_category_level_range", condition=models.Q(level__gte=1, level__lte=3)),
        ]

    def __str__(self) -> str:
        return self.full_name or self.name


class DeadlineRule(BaseModel):
    """Deadlines by urgency (configurable): time to accept (response) and time to resolve.

    Defaults (migration): emergency 2 hours, utilities 24 hours, general 7 days, complex 15 days;
    ``working_days`` counts days on the holiday calendar instead of calendar hours.
    """

    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, unique=True)
    accept_hours = models.PositiveIntegerField(_("hours to accept"))
    resolve_hours = models.PositiveIntegerField(_("hours to resolve"), null=True, blank=True)
    resolve_days = models.PositiveIntegerField(_("days to resolve"), null=True, blank=True)
    working_days = models.BooleanField(_("count working days"), default=False)
    remind_before_hours = models.PositiveIntegerField(_("remind hours before the deadline"), default=24)

    class Meta:
        ordering = ["urgency"]
        verbose_name = _("deadline rule")
        verbose_name_plural = _("deadline rules")
        constraints = [
            models.CheckConstraint(
                name="matters_rule_one_resolve_span",
                condition=(models.Q(resolve_hours__isnull=False) & models.Q(resolve_days__isnull=True))
                | (models.Q(resolve_hours__isnull=True) & models.Q(resolve_days__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.get_urgency_display()


class Holiday(BaseModel):
    """The holiday calendar: a public holiday (not a working day) or a make-up working day (调休, ``is_workday``)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=64)
    is_workday = models.BooleanField(_("make-up working day"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Matter(BaseModel):
    number = models.CharField(_("matter number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(MatterCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="matters", verbose_name=_("category"))
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.GENERAL)
    source = models.CharField(_("source"), max_length=16, choices=MatterSource.choices, default=MatterSource.STAFF)
    status = models.CharField(_("status"), max_length=16, choices=MatterStatus.choices, default=MatterStatus.REPORTED)
    # where it happened (the first receiver is this community) and who owns it now
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="matters", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    owner = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="owned_matters", verbose_name=_("owning level"))
    owner_path = models.CharField(_("owner path"), max_length=255)
    top_depth = models.PositiveSmallIntegerField(_("highest level reached (depth)"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # the reporter (PII: the phone is encrypted, looked up by its keyed hash, masked on screen)
    reporter_name = models.CharField(_("reporter"), max_length=64, blank=True)
    reporter_phone_enc = models.TextField(_("reporter phone (encrypted)"), blank=True)
    reporter_phone_hash = models.CharField(_("reporter phone hash"), max_length=64, blank=True, db_index=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="reported_matters", verbose_name=_("entered by")
    )
    external_ref = models.CharField(_("work-order number"), max_length=64, null=True, blank=True, unique=True)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)  # e.g. a road-chief report id
    reported_at = models.DateTimeField(_("reported at"))
    accept_due = models.DateTimeField(_("accept by"))
    resolve_due = models.DateTimeField(_("resolve by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    escalation_count = models.PositiveSmallIntegerField(_("times escalated"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    callback_note = models.CharField(_("callback note"), max_length=500, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    coordinated_at = models.DateTimeField(_("coordinated at a meeting"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)

    scope_fields = ScopeFields(region=("region_path",), user=("reported_by_id",))

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        indexes = [
            models.Index(fields=["region_path"], name="matters_path_like", opclasses=PATH_INDEX_OPCLASS),
            # who sees a matter: region_path under the scope AND top_depth <= the scope's depth (bench/bench_matters.py:
            # a district's list over 1,000,000 matters 565 ms → 78 ms median)
            models.Index(fields=["top_depth", "region_path"], name="matters_depth_path", opclasses=["int2_ops", *PATH_INDEX_OPCLASS]),
            models.Index(fields=["owner_path", "status"], name="matters_owner_status"),
            models.Index(fields=["status", "resolve_due"], name="matters_status_due"),
            models.Index(fields=["status", "accept_due"], name="matters_status_accept_due"),
            # no index holds is_overdue: the overdue sweep then updates rows in place (HOT, migration 0004)
            models.Index(fields=["reported_at"], name="matters_reported_at"),
        ]
        constraints = [
            models.CheckConstraint(name="matters_top_depth_range", condition=models.Q(top_depth__lte=3)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class MatterEvent(BaseModel):
    """The matter's timeline: one entry per action, with the actor and the level or department acting.

    Only two indexes (the key and ``(matter, at)``): the timeline is read per matter, and the overdue sweep writes tens of
    thousands of entries at once (each index more costs every entry — bench/bench_matters.py). Users, regions and
    departments are never deleted (deactivated), so their foreign keys need no index of their own here."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events", verbose_name=_("matter"), db_index=False)
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor"),
                              db_index=False)
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    from_status = models.CharField(_("from status"), max_length=16, blank=True)
    to_status = models.CharField(_("to status"), max_length=16, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("level"), db_index=False)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"),
                                   db_index=False)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["matter", "at"], name="matters_event_matter_at")]


def matter_attachment_path(instance: MatterAttachment, filename: str) -> str:
    return f"matters/{instance.matter_id}/{filename}"


class MatterAttachment(BaseModel):
    """A photo (cleaned by ``core.images``) or a PDF; served only through the matter's scoped view."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("matter"))
    file = models.FileField(_("file"), upload_to=matter_attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class Assignment(BaseModel):
    """承办: one department's task on a matter, with a deadline; one lead and any assisting departments."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("matter"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=16, choices=AssignmentRole.choices)
    status = models.CharField(_("status"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    deadline = models.DateTimeField(_("deadline"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    by_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by level"))
    accepted_at = models.DateTimeField(_("taken up at"), null=True, blank=True)
    done_at = models.DateTimeField(_("result reported at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    returned_at = models.DateTimeField(_("sent back at"), null=True, blank=True)
    return_reason = models.CharField(_("reason"), max_length=500, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    follow_up_count = models.PositiveSmallIntegerField(_("follow-ups"), default=0)

    scope_fields = ScopeFields(department=("department_id",))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["department", "status"], name="matters_asg_dept_status"),
            models.Index(fields=["status", "deadline"], name="matters_asg_status_deadline"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["matter", "department"], condition=models.Q(status__in=ASSIGNMENT_ACTIVE), name="matters_asg_one_active"),
            models.UniqueConstraint(
                fields=["matter"], condition=models.Q(status__in=ASSIGNMENT_ACTIVE, role=AssignmentRole.LEAD), name="matters_asg_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter.number} → {self.department}"


class FollowUp(BaseModel):
    """督办: a superior level presses on an overdue or slow assignment; the department sees it in its queue."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("assignment"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    by_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("by level"))
    note = models.CharField(_("note"), max_length=500)
    new_deadline = models.DateTimeField(_("new deadline"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
