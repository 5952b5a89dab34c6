"""Co-building records: the category taxonomy, community needs (incl. residents' micro-wishes) and
resources offered by resident units.

Needs carry the community's region path, resources the path of the unit that owns them, so every
scope and figure is one indexed prefix comparison (see ``core.scope``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields
from gongjian.orgs.models import PartyOrg, ResidentUnit
from gongjian.regions.models import PATH_INDEX_OPCLASS, Region

from .choices import (
    REPORT_IN_ACTIVE,
    AgreementStatus,
    CapacityUnit,
    CategoryUse,
    MatchVerdict,
    NeedSource,
    NeedStatus,
    PartnershipStatus,
    ProjectStatus,
    ReportInStatus,
    ResourceKind,
    ResourceStatus,
    Urgency,
)


class Category(BaseModel):
    """One taxonomy for needs and resources (助老, 场地, 资金 …); deactivated, never deleted."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=100)
    applies_to = models.CharField(_("used for"), max_length=16, choices=CategoryUse.choices, default=CategoryUse.BOTH)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Need(BaseModel):
    """需求: what a community needs, entered by staff, decided at a meeting, or wished by a resident (微心愿)."""

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="needs", verbose_name=_("category"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cobuild_needs", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    grid = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_grid_needs", verbose_name=_("grid"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, null=True, blank=True)
    quantity_unit = models.CharField(_("unit of measure"), max_length=16, blank=True)
    wanted_from = models.DateField(_("wanted from"), null=True, blank=True)
    wanted_to = models.DateField(_("wanted until"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    source = models.CharField(_("source"), max_length=16, choices=NeedSource.choices, default=NeedSource.STAFF)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_wishes", verbose_name=_("submitted by")
    )
    status = models.CharField(_("status"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.DRAFT)
    review_note = models.CharField(_("reason"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    scope_fields = ScopeFields(region=("region_path",), user=("submitted_by_id",))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        indexes = [
            models.Index(fields=["region_path"], name="cobuild_need_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["status", "region_path"], name="cobuild_need_status_path"),
        ]
        constraints = [
            models.CheckConstraint(
                name="cobuild_need_period_order",
                condition=models.Q(wanted_from__isnull=True) | models.Q(wanted_to__isnull=True) | models.Q(wanted_to__gte=models.F("wanted_from")),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Resource(BaseModel):
    """资源: what a resident unit can give (a venue, funds, volunteers, expertise …)."""

    unit = models.ForeignKey(ResidentUnit, on_delete=models.PROTECT, related_name="cobuild_resources", verbose_name=_("unit"))
    region_path = models.CharField(_("region path"), max_length=255)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="resources", verbose_name=_("category")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    capacity = models.DecimalField(_("capacity"), max_digits=14, decimal_places=2, null=True, blank=True)
    capacity_unit = models.CharField(_("capacity unit"), max_length=16, choices=CapacityUnit.choices, blank=True)
    remaining = models.DecimalField(_("remaining capacity"), max_digits=14, decimal_places=2, null=True, blank=True)
    radius_km = models.DecimalField(_("service radius (km)"), max_digits=7, decimal_places=2, null=True, blank=True)
    service_regions = models.ManyToManyField(Region, blank=True, related_name="cobuild_served_resources", verbose_name=_("service regions"))
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_to = models.DateField(_("available until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ResourceStatus.choices, default=ResourceStatus.DRAFT)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    status_note = models.CharField(_("reason"), max_length=500, blank=True)

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        indexes = [
            models.Index(fields=["region_path"], name="cobuild_res_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["status", "kind"], name="cobuild_res_status_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                name="cobuild_res_period_order",
                condition=models.Q(available_from__isnull=True) | models.Q(available_to__isnull=True)
                | models.Q(available_to__gte=models.F("available_from")),
            ),
            models.CheckConstraint(
                name="cobuild_res_capacity_nonneg",
                condition=(models.Q(capacity__isnull=True) | models.Q(capacity__gte=0))
                & (models.Q(remaining__isnull=True) | models.Q(remaining__gte=0)),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Project(BaseModel):
    """共建项目: a community and a responsible resident unit take up needs with committed resources."""

    title = models.CharField(_("title"), max_length=120)
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cobuild_projects", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    unit = models.ForeignKey(ResidentUnit, on_delete=models.PROTECT, related_name="cobuild_projects", verbose_name=_("responsible unit"))
    plan = models.TextField(_("plan"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED)
    outcome = models.TextField(_("outcome"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_remark = models.CharField(_("rating remark"), max_length=500, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_projects", verbose_name=_("proposed by")
    )
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    needs = models.ManyToManyField(Need, through="ProjectNeed", related_name="projects", verbose_name=_("needs"))
    resources = models.ManyToManyField(Resource, through="ProjectResource", related_name="projects", verbose_name=_("resources"))

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("co-building project")
        verbose_name_plural = _("co-building projects")
        indexes = [
            models.Index(fields=["region_path"], name="cobuild_proj_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["status", "region_path"], name="cobuild_proj_status_path"),
        ]
        constraints = [
            models.CheckConstraint(
                name="cobuild_proj_rating_range",
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectNeed(BaseModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="project_needs", verbose_name=_("project"))
    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="project_links", verbose_name=_("need"))

    class Meta:
        verbose_name = _("project need")
        verbose_name_plural = _("project needs")
        constraints = [models.UniqueConstraint(fields=["project", "need"], name="cobuild_projneed_unique")]


class ProjectResource(BaseModel):
    """A resource committed to a project: ``amount`` was taken from the resource's remaining capacity."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="project_resources", verbose_name=_("project"))
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="project_links", verbose_name=_("resource"))
    amount = models.DecimalField(_("amount committed"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("committed resource")
        verbose_name_plural = _("committed resources")
        constraints = [
            models.UniqueConstraint(fields=["project", "resource"], name="cobuild_projres_unique"),
            models.CheckConstraint(name="cobuild_projres_amount_pos", condition=models.Q(amount__gt=0)),
        ]


# --- project plan, progress and photos ---------------------------------------------------------


class ProjectMilestone(BaseModel):
    """A step of a project's plan with a due date; marked done when reached."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project"))
    title = models.CharField(_("title"), max_length=120)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort_order", "due_on", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class ProjectNote(BaseModel):
    """A progress note (进展) on a project, optionally with photos and a percentage done."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="notes", verbose_name=_("project"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_project_notes", verbose_name=_("author")
    )
    text = models.TextField(_("progress note"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        constraints = [
            models.CheckConstraint(name="cobuild_note_progress_range", condition=models.Q(progress__isnull=True) | models.Q(progress__lte=100)),
        ]

    def __str__(self) -> str:
        return self.text[:40]


def project_photo_path(instance: ProjectPhoto, filename: str) -> str:
    # The stored name never comes from the uploader: a random token plus the verified format's extension.
    return f"cobuild/projects/{instance.project_id}/{filename}"


class ProjectPhoto(BaseModel):
    """A photo attached to a progress note: verified as an image by content, re-encoded without metadata.

    Served only through the project's scoped view, never as a public media URL.
    """

    note = models.ForeignKey(ProjectNote, on_delete=models.CASCADE, related_name="photos", verbose_name=_("progress note"))
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos", verbose_name=_("project"))
    file = models.FileField(_("file"), upload_to=project_photo_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=32)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


# --- matching decisions ------------------------------------------------------------------------


class MatchDecision(BaseModel):
    """Staff's verdict on a suggested need–resource pair. A rejected pair is never suggested again for
    that need; an accepted one points at the project it became."""

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="match_decisions", verbose_name=_("need"))
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="match_decisions", verbose_name=_("resource"))
    verdict = models.CharField(_("verdict"), max_length=16, choices=MatchVerdict.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_match_decisions",
        verbose_name=_("decided by"),
    )
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="match_decisions", verbose_name=_("project"))
    score = models.FloatField(_("score"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("match decision")
        verbose_name_plural = _("match decisions")
        constraints = [models.UniqueConstraint(fields=["need", "resource"], name="cobuild_matchdecision_unique")]


# --- unit report-in and partnerships -----------------------------------------------------------


class UnitReportIn(BaseModel):
    """单位双报到: a resident unit's party organisation reports in to the community where it is located.

    One active (pending or confirmed) report-in per unit and community; the community confirms.
    """

    unit = models.ForeignKey(ResidentUnit, on_delete=models.PROTECT, related_name="report_ins", verbose_name=_("unit"))
    party_org = models.ForeignKey(
        PartyOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="report_ins", verbose_name=_("party organisation")
    )
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="unit_report_ins", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=ReportInStatus.choices, default=ReportInStatus.PENDING)
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    offer = models.TextField(_("what the unit offers"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_report_ins", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    status_note = models.CharField(_("reason"), max_length=500, blank=True)

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("unit report-in")
        verbose_name_plural = _("unit report-ins")
        indexes = [
            models.Index(fields=["region_path"], name="cobuild_reportin_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["status", "region_path"], name="cobuild_reportin_status_path"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "community"], condition=models.Q(status__in=REPORT_IN_ACTIVE), name="cobuild_reportin_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.community}"


class Partnership(BaseModel):
    """联建: an organ branch paired with a community; what each does is agreed year by year."""

    branch = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("party branch"))
    unit = models.ForeignKey(ResidentUnit, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("unit"))
    community = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("community"))
    region_path = models.CharField(_("region path"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.ACTIVE)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="cobuild_partnerships", verbose_name=_("created by")
    )

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        indexes = [
            models.Index(fields=["region_path"], name="cobuild_partner_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["status", "region_path"], name="cobuild_partner_status_path"),
            # the list's order (newest first): a page of a city's partnerships reads 20 rows, not all of them
            models.Index(fields=["started_on", "id"], name="cobuild_partner_started"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "community"], condition=models.Q(status=PartnershipStatus.ACTIVE), name="cobuild_partner_one_active"
            ),
            models.CheckConstraint(
                name="cobuild_partner_period_order",
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} ↔ {self.community}"


class PartnershipAgreement(BaseModel):
    """The yearly agreement of a partnership: what the branch and the community each will do."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("partnership"))
    year = models.PositiveSmallIntegerField(_("year"))
    branch_commitments = models.TextField(_("the branch will"))
    community_commitments = models.TextField(_("the community will"))
    status = models.CharField(_("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "-id"]
        verbose_name = _("partnership agreement")
        verbose_name_plural = _("partnership agreements")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "year"], name="cobuild_agreement_unique_year"),
            models.CheckConstraint(name="cobuild_agreement_year_range", condition=models.Q(year__gte=2000, year__lte=2100)),
        ]

    def __str__(self) -> str:
        return f"{self.partnership} {self.year}"
