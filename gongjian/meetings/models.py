"""Coordination meetings (党建协调会议, every level, quarterly) and secretaries' exchanges (街道书记交流会,
city level, quarterly, themed, by video): attendees, agenda (escalated matters proposed
automatically), minutes, decisions that assign departments with deadlines, speakers with their
reports, and the experiences recorded as exemplars others can read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields
from gongjian.matters.models import Assignment, Matter
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.models import PATH_INDEX_OPCLASS, Department, Region

from .choices import AgendaSource, AttendeeKind, DecisionStatus, MeetingKind, MeetingStatus, TaskStatus


class Meeting(BaseModel):
    kind = models.CharField(_("kind"), max_length=24, choices=MeetingKind.choices, default=MeetingKind.COORDINATION)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("level"))
    region_path = models.CharField(_("region path"), max_length=255)
    level = models.CharField(_("level"), max_length=16)  # the region's level, copied for per-level figures
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    is_video = models.BooleanField(_("by video"), default=False)
    video_link = models.URLField(_("video link"), blank=True)
    chair = models.CharField(_("chair"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    minutes = models.TextField(_("minutes"), blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [
            models.Index(fields=["region_path"], name="meetings_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["year", "quarter", "kind", "status"], name="meetings_quarter_kind"),
            # the lists' order: a page of the newest meetings is read from the index, not sorted out of the whole scope
            models.Index(fields=["-starts_at", "-id"], name="meetings_starts"),
        ]
        constraints = [
            models.CheckConstraint(name="meetings_quarter_range", condition=models.Q(quarter__gte=1, quarter__lte=4)),
        ]

    def __str__(self) -> str:
        return self.title


class Attendee(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees", verbose_name=_("meeting"))
    kind = models.CharField(_("kind"), max_length=16, choices=AttendeeKind.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"))
    unit = models.ForeignKey(ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=64, blank=True)
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")


class AgendaItem(BaseModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("meeting"))
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items", verbose_name=_("matter"))
    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(_("source"), max_length=16, choices=AgendaSource.choices, default=AgendaSource.MANUAL)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    discussion = models.TextField(_("discussion"), blank=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "matter"], condition=models.Q(matter__isnull=False), name="meetings_agenda_one_matter"),
        ]


class Decision(BaseModel):
    """A decision of the meeting; on a matter it assigns departments (matters.Assignment, tracked there) and
    counts the matter as coordinated; otherwise its department tasks are ``DecisionTask`` rows."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting"))
    agenda_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
        verbose_name=_("agenda item"),
    )
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="meeting_decisions", verbose_name=_("matter"))
    text = models.TextField(_("decision"))
    status = models.CharField(_("status"), max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )
    # the matter's department assignments this decision made (tracked in matters like any assignment)
    assignments = models.ManyToManyField(Assignment, blank=True, related_name="meeting_decisions", verbose_name=_("assignments"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")


class DecisionTask(BaseModel):
    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("decision"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="meeting_tasks", verbose_name=_("department"))
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.ASSIGNED)
    result = models.TextField(_("result"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)

    scope_fields = ScopeFields(department=("department_id",))

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("decision task")
        verbose_name_plural = _("decision tasks")
        indexes = [models.Index(fields=["status", "deadline"], name="meetings_task_status_deadline")]


class Speaker(BaseModel):
    """A subdistrict secretary reporting at a secretaries' exchange."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers", verbose_name=_("meeting"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("subdistrict"))
    name = models.CharField(_("name"), max_length=64)
    topic = models.CharField(_("topic"), max_length=200)
    report = models.TextField(_("report"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="meetings/reports/", max_length=255, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")


class Experience(BaseModel):
    """An experience (经验做法) recorded from an exchange as an exemplar that every level can read."""

    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="experiences", verbose_name=_("meeting"))
    speaker = models.ForeignKey(Speaker, null=True, blank=True, on_delete=models.SET_NULL, related_name="experiences", verbose_name=_("speaker"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    published = models.BooleanField(_("published"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("experience")
        verbose_name_plural = _("experiences")
