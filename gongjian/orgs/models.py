from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import ScopeFields
from gongjian.regions.models import PATH_INDEX_OPCLASS, Region

from .choices import (
    Basis,
    Formation,
    Gender,
    MemberStatus,
    OrgRank,
    PolicyLevel,
    PolicyRole,
    Sector,
    UnitKind,
)


class ResidentUnit(BaseModel):
    """驻区单位: an organisation located in a region (organ, SOE, bank, school, provincial unit …)."""

    name = models.CharField(_("name"), max_length=128)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    address = models.CharField(_("address"), max_length=255, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units", verbose_name=_("region"))
    region_path = models.CharField(_("region path"), max_length=255)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="liaison_units", verbose_name=_("liaison account")
    )
    liaison_name = models.CharField(_("liaison"), max_length=64, blank=True)
    liaison_phone_enc = models.TextField(_("liaison phone (encrypted)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path",), unit=("id",))

    class Meta:
        ordering = ["region_path", "name"]
        verbose_name = _("resident unit")
        verbose_name_plural = _("resident units")
        indexes = [
            models.Index(fields=["region_path"], name="orgs_unit_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["kind"], name="orgs_unit_kind"),
            models.Index(fields=["region_path", "name", "id"], name="orgs_unit_list_order"),  # the list's order (see Member)
        ]

    def __str__(self) -> str:
        return self.name


class PartyOrg(BaseModel):
    """A party organisation: committee → working committee → general branch → branch."""

    name = models.CharField(_("name"), max_length=128)
    rank = models.CharField(_("rank"), max_length=32, choices=OrgRank.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent organisation")
    )
    org_path = models.CharField(_("organisation path"), max_length=512, db_index=True, blank=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    formation = models.CharField(_("formation"), max_length=16, choices=Formation.choices, default=Formation.STANDALONE)
    basis = models.CharField(_("basis"), max_length=16, choices=Basis.choices, default=Basis.LOCATION)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="party_orgs", verbose_name=_("region"))
    region_path = models.CharField(_("region path"), max_length=255)
    unit = models.ForeignKey(ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="party_orgs", verbose_name=_("unit"))
    secretary = models.ForeignKey(
        "Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("secretary")
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path",), unit=("unit_id",))

    class Meta:
        ordering = ["region_path", "org_path"]
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        indexes = [
            models.Index(fields=["region_path"], name="orgs_org_path_like", opclasses=PATH_INDEX_OPCLASS),
            models.Index(fields=["rank", "sector"], name="orgs_org_rank_sector"),
        ]

    def __str__(self) -> str:
        return self.name


MEMBER_LIST_COLUMNS = ["is_active", "status", "in_service", "org", "id"]


class Member(BaseModel):
    """A party member. ID number and phone are encrypted; ``*_hash`` columns allow exact lookup."""

    name = models.CharField(_("name"), max_length=64, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_enc = models.TextField(_("ID number (encrypted)"))
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, unique=True)
    phone_enc = models.TextField(_("phone (encrypted)"), blank=True)
    phone_hash = models.CharField(_("phone hash"), max_length=64, blank=True, db_index=True)
    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="members", verbose_name=_("party organisation"))
    region_path = models.CharField(_("region path"), max_length=255)
    employer_unit = models.ForeignKey(
        ResidentUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="employees", verbose_name=_("employer unit")
    )
    home_community = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="resident_members", verbose_name=_("home community")
    )
    home_path = models.CharField(_("home path"), max_length=255, blank=True)
    in_service = models.BooleanField(_("in-service member"), default=False)
    join_date = models.DateField(_("join date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member", verbose_name=_("account")
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_fields = ScopeFields(region=("region_path", "home_path"), unit=("employer_unit_id",), user=("user_id",))

    class Meta:
        ordering = ["region_path", "name", "id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            # Covering indexes for the member list: each branch of a scope (by organisation region, by
            # home) is an index-only range scan on PostgreSQL (see selectors.member_page_ids).
            models.Index(fields=["region_path", "name"], name="orgs_member_path_cover", opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                         include=MEMBER_LIST_COLUMNS),
            models.Index(fields=["home_path", "name"], name="orgs_member_home_cover", opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
                         include=[*MEMBER_LIST_COLUMNS, "region_path"]),
            # The default order of the member list, in the database's own collation (the path indexes above compare
            # bytes, for LIKE, and cannot give ORDER BY): a city's first page is read from here, not sorted.
            models.Index(fields=["region_path", "name", "id"], name="orgs_member_list_order",
                         include=["is_active", "home_path"]),
            models.Index(fields=["org", "is_active"], name="orgs_member_org_active"),
            models.Index(fields=["employer_unit", "is_active"], name="orgs_member_employer_active"),
        ]

    def __str__(self) -> str:
        return self.name


class Policy(BaseModel):
    """A document of the 1+N policy library. ``search_tokens`` holds jieba tokens for ranked search."""

    title = models.CharField(_("title"), max_length=255)
    doc_number = models.CharField(_("document number"), max_length=64, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=PolicyLevel.choices)
    role = models.CharField(_("place in 1+N"), max_length=16, choices=PolicyRole.choices, default=PolicyRole.SUPPORTING)
    issuer = models.CharField(_("issuer"), max_length=128)
    issued_on = models.DateField(_("issued on"))
    body = models.TextField(_("body"))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="policies", verbose_name=_("region"))
    search_tokens = models.TextField(_("search tokens"), blank=True, editable=False)
    token_count = models.PositiveIntegerField(_("number of search tokens"), default=0, editable=False)
    is_active = models.BooleanField(_("in force"), default=True)

    class Meta:
        ordering = ["-issued_on", "id"]
        indexes = [models.Index(fields=["is_active", "level", "issued_on"], name="orgs_policy_filter")]
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def __str__(self) -> str:
        return self.title


def policy_attachment_path(instance: PolicyAttachment, filename: str) -> str:
    return f"policies/{instance.policy_id}/{filename}"


class PolicyAttachment(BaseModel):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("policy"))
    file = models.FileField(_("file"), upload_to=policy_attachment_path)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveIntegerField(_("size"), default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
