from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields

from .choices import DepartmentKind, Level, OfficeKind, RegionKind

PATH_INDEX_OPCLASS = ["varchar_pattern_ops"]  # PostgreSQL: LIKE 'prefix%' uses the index; ignored elsewhere


class Region(BaseModel):
    """A node of the four-level tree (city, district, subdistrict, community, optional grid).

    ``path`` is the materialised path of statistical codes, e.g.
    ``/410100/410103/410103001000/410103001001/``: everything inside a region is
    ``path LIKE '<its path>%'`` on one indexed column.
    """

    code = models.CharField(_("statistical code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent"))
    path = models.CharField(_("path"), max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("path",))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            models.Index(fields=["path"], name="regions_region_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["level", "name"], name="regions_region_level_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_codes(self) -> list[str]:
        return [c for c in self.path.strip("/").split("/") if c]

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)


class Department(BaseModel):
    """A functional department (民政、财政、城建、人社、房管 …) of a city or district."""

    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, default=DepartmentKind.OTHER)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments", verbose_name=_("region"))
    region_path = models.CharField(_("region path"), max_length=255)
    phone = models.CharField(_("office phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path",), department=("id",))

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="regions_department_unique_name")]
        indexes = [models.Index(fields=["region_path"], name="regions_dept_path_like", opclasses=PATH_INDEX_OPCLASS)]

    def __str__(self) -> str:
        # Departments are usually named with their region already ("二七区民政局"): no "二七区二七区民政局".
        if not self.region_id or self.name.startswith(self.region.name):
            return self.name
        return f"{self.region.name}{self.name}"


class GovernanceCommittee(BaseModel):
    """城乡社区发展治理委员会 (社工委) of a city or district: unifies the member departments' resources."""

    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="governance_committee", verbose_name=_("region"))
    region_path = models.CharField(_("region path"), max_length=255)
    name = models.CharField(_("name"), max_length=128)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    director = models.CharField(_("director"), max_length=64, blank=True)
    departments = models.ManyToManyField(Department, blank=True, related_name="committees", verbose_name=_("member departments"))
    remit = models.TextField(_("remit"), blank=True)

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        verbose_name = _("governance committee")
        verbose_name_plural = _("governance committees")

    def __str__(self) -> str:
        return self.name


class OfficeTemplate(BaseModel):
    """The configurable standard structure of a subdistrict (by default 6 offices, 3 centres, 1 station)."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OfficeKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("standard office")
        verbose_name_plural = _("standard offices")

    def __str__(self) -> str:
        return self.name


class Office(BaseModel):
    """An office, centre or station of one subdistrict."""

    subdistrict = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="offices", verbose_name=_("subdistrict"))
    region_path = models.CharField(_("region path"), max_length=255)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=OfficeKind.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    head = models.CharField(_("head"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["subdistrict__code", "order", "id"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [models.UniqueConstraint(fields=["subdistrict", "name"], name="regions_office_unique_name")]

    def __str__(self) -> str:
        return self.name


class StaffQuota(BaseModel):
    """Staff positions (编制) allocated to a subdistrict, optionally to one of its offices."""

    subdistrict = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="staff_quotas", verbose_name=_("subdistrict"))
    region_path = models.CharField(_("region path"), max_length=255)
    office = models.ForeignKey(Office, null=True, blank=True, on_delete=models.PROTECT, related_name="staff_quotas", verbose_name=_("office"))
    count = models.PositiveIntegerField(_("positions"))
    year = models.PositiveSmallIntegerField(_("year"))
    moved_down = models.BooleanField(_("moved down from higher levels"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["subdistrict__code", "-year"]
        verbose_name = _("staff quota")
        verbose_name_plural = _("staff quotas")
        constraints = [models.CheckConstraint(name="regions_quota_positive", condition=models.Q(count__gt=0))]

    def __str__(self) -> str:
        return f"{self.subdistrict} {self.year}: {self.count}"


class DelegatedPower(BaseModel):
    """A power delegated by a city or district to its subdistricts (e.g. 综合执法指挥调度权)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="delegated_powers", verbose_name=_("granting region"))
    region_path = models.CharField(_("region path"), max_length=255)
    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path",))

    class Meta:
        ordering = ["region__code", "id"]
        verbose_name = _("delegated power")
        verbose_name_plural = _("delegated powers")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="regions_power_unique_name")]

    def __str__(self) -> str:
        return self.name
