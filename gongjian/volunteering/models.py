"""Members' report-in (双报到), service posts, activities and shifts, service hours and points, pledges, road chiefs
(路长制) and service brands (issue #4).

Every record that belongs to a community stores the community's path in ``region_path`` (administrators see their
subtree); records of a member are also reached by the member's account (``member__user_id``) and, for report-ins and
receipts, by the member's employer unit (``unit_id``: the unit sees which of its members reported in, and where).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields
from gongjian.orgs.models import Member, ResidentUnit
from gongjian.regions.models import PATH_INDEX_OPCLASS, Region

from .choices import (
    HOLDING_ACTIVE,
    REPORT_IN_ACTIVE,
    SIGNUP_ACTIVE,
    ActivityStatus,
    CodeKind,
    HoldingStatus,
    HourKind,
    HourStatus,
    PatrolReportStatus,
    PledgeStatus,
    PostKind,
    ReportInStatus,
    SignupStatus,
)

USER = settings.AUTH_USER_MODEL


def _path_index(name: str) -> models.Index:
    return models.Index(fields=["region_path"], name=name, opclasses=PATH_INDEX_OPCLASS)


def _list_index(name: str, *fields: str, also: tuple[str, ...] = ()) -> models.Index:
    """The index of a list's order (``fields``, ending with the key) carrying the region path (and ``also``): a page's
    keys come from an index-only scan in that order, the scope and filters checked on the index alone — the first
    rows for a city, a scan of a few thousand index entries for a subdistrict, never a sort of the whole area."""
    return models.Index(fields=list(fields), name=name, include=["region_path", *also])


class MemberReportIn(BaseModel):
    """双报到 of an in-service member to the community where he lives: one active (pending or confirmed) at a time."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="report_ins", verbose_name=_("member"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="member_report_ins", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    unit = models.ForeignKey(ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="member_report_ins",
                             verbose_name=_("employer unit"))
    status = models.CharField(_("status"), max_length=16, choices=ReportInStatus.choices, default=ReportInStatus.PENDING)
    skills = models.CharField(_("skills and availability"), max_length=200, blank=True)
    reported_at = models.DateTimeField(_("reported in at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by"))
    rejected_reason = models.CharField(_("reason"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",), user=("member__user_id",))

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("member report-in")
        verbose_name_plural = _("member report-ins")
        indexes = [
            _path_index("vol_reportin_path"),
            models.Index(fields=["unit", "status"], name="vol_reportin_unit_status"),
            models.Index(fields=["community", "status"], name="vol_reportin_comm_status"),
            _list_index("vol_reportin_list", "reported_at", "id", also=("status",)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=models.Q(status__in=REPORT_IN_ACTIVE), name="vol_reportin_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.community}"


class FeedbackReceipt(BaseModel):
    """回执: every half-year the community tells the member's unit what he did (a snapshot, downloadable as PDF)."""

    report_in = models.ForeignKey(MemberReportIn, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("report-in"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("member"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    unit = models.ForeignKey(ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="member_receipts",
                             verbose_name=_("employer unit"))
    period = models.CharField(_("half-year"), max_length=8)  # "2026H1"
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    hours = models.DecimalField(_("hours served"), max_digits=7, decimal_places=1, default=0)
    activities = models.PositiveIntegerField(_("activities"), default=0)
    posts = models.CharField(_("service posts"), max_length=300, blank=True)
    pledges_fulfilled = models.PositiveIntegerField(_("pledges fulfilled"), default=0)
    pledges_total = models.PositiveIntegerField(_("pledges made"), default=0)
    points = models.PositiveIntegerField(_("points"), default=0)
    remark = models.TextField(_("the community's remark"), blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by"))

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",), user=("member__user_id",))

    class Meta:
        ordering = ["-period", "member_id"]
        verbose_name = _("feedback receipt")
        verbose_name_plural = _("feedback receipts")
        indexes = [_path_index("vol_receipt_path"), models.Index(fields=["unit", "period"], name="vol_receipt_unit_period")]
        constraints = [models.UniqueConstraint(fields=["report_in", "period"], name="vol_receipt_one_per_period")]

    def __str__(self) -> str:
        return f"{self.member} {self.period}"


class ServicePost(BaseModel):
    """A standing role a community offers (楼栋长, 路长, 调解员 …) and how many people it needs."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="service_posts", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices)
    name = models.CharField(_("name"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    needed = models.PositiveSmallIntegerField(_("people needed"), default=1)
    skills = models.CharField(_("skills wanted"), max_length=200, blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("service post")
        verbose_name_plural = _("service posts")
        indexes = [_path_index("vol_post_path"), models.Index(fields=["region_path", "kind", "name", "id"], name="vol_post_list")]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="vol_post_unique_name")]

    def __str__(self) -> str:
        return self.name


class PostHolding(BaseModel):
    """A member's application for a post and, once approved, his holding of it."""

    post = models.ForeignKey(ServicePost, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("service post"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="post_holdings", verbose_name=_("member"))
    region_path = models.CharField(_("region path"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=HoldingStatus.choices, default=HoldingStatus.APPLIED)
    note = models.CharField(_("note"), max_length=300, blank=True)
    applied_at = models.DateTimeField(_("applied at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("post holding")
        verbose_name_plural = _("post holdings")
        indexes = [_path_index("vol_holding_path"), models.Index(fields=["post", "status"], name="vol_holding_post_status"),
                   _list_index("vol_holding_list", "status", "applied_at", "id")]
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], condition=models.Q(status__in=HOLDING_ACTIVE), name="vol_holding_one_active"),
        ]


class ServiceBrand(BaseModel):
    """特色品牌: a community's named service (老年日间照料, 四点钟课堂, 五送服务 …) with its activities and reach."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="service_brands", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    name = models.CharField(_("name"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    target_group = models.CharField(_("who it serves"), max_length=100, blank=True)
    schedule = models.CharField(_("schedule"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("service brand")
        verbose_name_plural = _("service brands")
        indexes = [_path_index("vol_brand_path")]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="vol_brand_unique_name")]

    def __str__(self) -> str:
        return self.name


class Activity(BaseModel):
    """A volunteer activity published by a community (or for a unit, or under a service brand), with shifts."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="activities", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    unit = models.ForeignKey(ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="activities",
                             verbose_name=_("organising unit"))
    brand = models.ForeignKey(ServiceBrand, null=True, blank=True, on_delete=models.PROTECT, related_name="activities",
                              verbose_name=_("service brand"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT)
    people_served = models.PositiveIntegerField(_("people served"), default=0)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [_path_index("vol_activity_path"), models.Index(fields=["community", "status"], name="vol_activity_comm_status"),
                   _list_index("vol_activity_list", "created_at", "id", also=("status",))]

    def __str__(self) -> str:
        return self.title


class Shift(BaseModel):
    """One dated slot of an activity with a capacity. ``taken`` counts the places given; the database refuses more than
    ``capacity`` (a check constraint), and a sign-up takes a place with one conditional ``UPDATE``."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("activity"))
    region_path = models.CharField(_("region path"), max_length=255)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    skills = models.CharField(_("skills wanted"), max_length=200, blank=True)
    signup_cutoff = models.DateTimeField(_("sign-up and cancellation close at"))
    taken = models.PositiveIntegerField(_("places taken"), default=0)
    code_key = models.CharField(_("check-in key"), max_length=32)  # part of every check-in code; a new key voids the old codes
    is_cancelled = models.BooleanField(_("cancelled"), default=False)

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        indexes = [_path_index("vol_shift_path"), models.Index(fields=["starts_at"], name="vol_shift_starts")]
        constraints = [
            models.CheckConstraint(name="vol_shift_taken_within_capacity", condition=models.Q(taken__lte=models.F("capacity"))),
            models.CheckConstraint(name="vol_shift_ends_after_start", condition=models.Q(ends_at__gt=models.F("starts_at"))),
        ]

    def __str__(self) -> str:
        return f"{self.activity} {self.starts_at:%Y-%m-%d %H:%M}"


class Signup(BaseModel):
    """A member's place on a shift, or his place on its waiting list (``position``: first come, first served)."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups", verbose_name=_("shift"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="signups", verbose_name=_("member"))
    region_path = models.CharField(_("region path"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=SignupStatus.choices)
    position = models.PositiveIntegerField(_("waiting-list position"), null=True, blank=True)
    signed_up_at = models.DateTimeField(_("signed up at"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    promoted_at = models.DateTimeField(_("moved up from the waiting list at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    checked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("checked in by staff"))

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["signed_up_at", "id"]
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        indexes = [_path_index("vol_signup_path"), models.Index(fields=["shift", "status"], name="vol_signup_shift_status"),
                   models.Index(fields=["member", "status"], name="vol_signup_member_status")]
        constraints = [
            models.UniqueConstraint(fields=["shift", "member"], condition=models.Q(status__in=SIGNUP_ACTIVE), name="vol_signup_one_active"),
        ]


class CodeUse(BaseModel):
    """A check-in or check-out code a member used: a code works once per member and kind."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="code_uses", verbose_name=_("shift"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    kind = models.CharField(_("kind"), max_length=4, choices=CodeKind.choices)
    nonce = models.CharField(_("code"), max_length=32)
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("check-in code use")
        verbose_name_plural = _("check-in code uses")
        constraints = [models.UniqueConstraint(fields=["nonce", "member", "kind"], name="vol_code_once_per_member")]


class HourRecord(BaseModel):
    """Service hours credited to a member (on check-out, for a post or a task), confirmed by the community; points follow
    from confirmed hours by the point rule. One record per sign-up at most: hours are never credited twice for a shift."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="hour_records", verbose_name=_("member"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    kind = models.CharField(_("kind"), max_length=8, choices=HourKind.choices)
    signup = models.OneToOneField(Signup, null=True, blank=True, on_delete=models.PROTECT, related_name="hour_record",
                                  verbose_name=_("sign-up"))
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="hour_records",
                                 verbose_name=_("activity"))
    post = models.ForeignKey(ServicePost, null=True, blank=True, on_delete=models.PROTECT, related_name="hour_records",
                             verbose_name=_("service post"))
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    points = models.PositiveIntegerField(_("points"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=HourStatus.choices, default=HourStatus.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by"))

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("hour record")
        verbose_name_plural = _("hour records")
        indexes = [
            _path_index("vol_hours_path"),
            # the community's leaderboard: confirmed hours per member in a period, read from the index alone
            models.Index(fields=["community", "status", "date"], name="vol_hours_board", include=["member", "hours", "points"]),
            models.Index(fields=["member", "date"], name="vol_hours_member_date"),
            _list_index("vol_hours_list", "status", "date", "id"),
        ]
        constraints = [models.CheckConstraint(name="vol_hours_positive", condition=models.Q(hours__gt=0) & models.Q(hours__lte=24))]


class PointRule(BaseModel):
    """How points follow from confirmed work (one row; city administrators change it)."""

    per_hour = models.PositiveSmallIntegerField(_("points per confirmed hour"), default=10)
    per_task = models.PositiveSmallIntegerField(_("points per confirmed task"), default=5)
    per_pledge = models.PositiveSmallIntegerField(_("points per fulfilled pledge"), default=20)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")


class Pledge(BaseModel):
    """亮身份、作承诺、当先锋: a member's yearly public pledge; the community marks it fulfilled or not."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("member"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    year = models.PositiveSmallIntegerField(_("year"))
    content = models.TextField(_("what I pledge"))
    due_date = models.DateField(_("by"))
    status = models.CharField(_("status"), max_length=16, choices=PledgeStatus.choices, default=PledgeStatus.MADE)
    remark = models.CharField(_("the community's remark"), max_length=500, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    assessed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessed by"))

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        indexes = [_path_index("vol_pledge_path"), _list_index("vol_pledge_list", "year", "id", also=("status",))]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="vol_pledge_one_per_year")]


class RoadSegment(BaseModel):
    """A stretch of road a community looks after with its road chiefs (路长制)."""

    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="road_segments", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    name = models.CharField(_("name"), max_length=100)
    start_name = models.CharField(_("from"), max_length=100, blank=True)
    end_name = models.CharField(_("to"), max_length=100, blank=True)
    line = models.JSONField(_("line (latitude, longitude points)"), null=True, blank=True)
    length_m = models.PositiveIntegerField(_("length (m)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("road segment")
        verbose_name_plural = _("road segments")
        indexes = [_path_index("vol_road_path"), models.Index(fields=["region_path", "name", "id"], name="vol_road_list", include=["is_active"])]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="vol_road_unique_name")]

    def __str__(self) -> str:
        return self.name


class RoadChief(BaseModel):
    """A member assigned to a road segment as its road chief."""

    segment = models.ForeignKey(RoadSegment, on_delete=models.PROTECT, related_name="chiefs", verbose_name=_("road segment"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="road_chiefs", verbose_name=_("member"))
    region_path = models.CharField(_("region path"), max_length=255)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by"))

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["segment_id", "-since"]
        verbose_name = _("road chief")
        verbose_name_plural = _("road chiefs")
        indexes = [_path_index("vol_chief_path")]
        constraints = [
            models.UniqueConstraint(fields=["segment", "member"], condition=models.Q(is_active=True), name="vol_chief_one_active"),
        ]


def patrol_photo_path(instance: PatrolLog | PatrolReport, filename: str) -> str:
    return f"volunteering/patrols/{instance.segment_id}/{filename}"


class PatrolLog(BaseModel):
    """One patrol of a road chief on his segment (from a phone): when, notes, a photo (cleaned), where."""

    segment = models.ForeignKey(RoadSegment, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("road segment"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="patrols", verbose_name=_("road chief"))
    region_path = models.CharField(_("region path"), max_length=255)
    at = models.DateTimeField(_("patrolled at"))
    notes = models.TextField(_("notes"), blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to=patrol_photo_path, max_length=255, blank=True)

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        indexes = [_path_index("vol_patrol_path"), models.Index(fields=["segment", "at"], name="vol_patrol_segment_at"),
                   _list_index("vol_patrol_list", "at", "id")]


class PatrolReport(BaseModel):
    """A problem a road chief found: the community solves it itself or turns it into a matter (escalation workflow)."""

    segment = models.ForeignKey(RoadSegment, on_delete=models.PROTECT, related_name="reports", verbose_name=_("road segment"))
    patrol = models.ForeignKey(PatrolLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports", verbose_name=_("patrol"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="patrol_reports", verbose_name=_("road chief"))
    region_path = models.CharField(_("region path"), max_length=255)
    category = models.ForeignKey("matters.MatterCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to=patrol_photo_path, max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PatrolReportStatus.choices, default=PatrolReportStatus.REPORTED)
    reported_at = models.DateTimeField(_("reported at"))
    matter = models.ForeignKey("matters.Matter", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("matter"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("handled by"))
    resolution = models.TextField(_("what was done"), blank=True)

    scope_fields = ScopeFields(region=("region_path",), user=("member__user_id",))

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("patrol report")
        verbose_name_plural = _("patrol reports")
        indexes = [_path_index("vol_preport_path"), models.Index(fields=["status", "reported_at"], name="vol_preport_status"),
                   _list_index("vol_preport_list", "reported_at", "id", also=("status",))]

    def __str__(self) -> str:
        return self.title
