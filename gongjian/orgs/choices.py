from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrgRank(models.TextChoices):
    COMMITTEE = "committee", _("Party committee")
    WORKING_COMMITTEE = "working_committee", _("Working committee")
    GENERAL_BRANCH = "general_branch", _("General branch")
    BRANCH = "branch", _("Branch")


RANK_ORDER = [OrgRank.COMMITTEE, OrgRank.WORKING_COMMITTEE, OrgRank.GENERAL_BRANCH, OrgRank.BRANCH]


class Sector(models.TextChoices):
    COMMUNITY = "community", pgettext_lazy("sector", "Community")
    ORGAN = "organ", _("Organ")
    SOE = "soe", _("State-owned enterprise")
    NON_PUBLIC = "non_public", _("Non-public enterprise")
    SOCIAL_ORG = "social_org", _("Social organisation")
    BUILDING = "building", _("Office building")
    BUSINESS_DISTRICT = "business_district", _("Business district")
    MARKET = "market", _("Market")
    PARK = "park", _("Park")
    ASSOCIATION = "association", _("Industry association")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")


class Formation(models.TextChoices):
    STANDALONE = "standalone", _("Standalone")
    JOINT = "joint", _("Joint")
    AFFILIATED = "affiliated", _("Affiliated")


class Basis(models.TextChoices):
    LOCATION = "location", _("Location")
    INDUSTRY = "industry", _("Industry")
    INTEREST = "interest", _("Interest")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MemberStatus(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    DECEASED = "deceased", _("Deceased")


class UnitKind(models.TextChoices):
    ORGAN = "organ", _("Party or government organ")
    PROVINCIAL = "provincial", _("Provincial unit")
    SOE = "soe", _("State-owned enterprise")
    BANK = "bank", _("Bank")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    INSTITUTION = "institution", _("Public institution")
    SOCIAL_ORG = "social_org", _("Social organisation")
    OTHER = "other", _("Other")


class PolicyLevel(models.TextChoices):
    NATIONAL = "national", pgettext_lazy("policy level", "National")
    PROVINCIAL = "provincial", pgettext_lazy("policy level", "Provincial")
    CITY = "city", pgettext_lazy("policy level", "City")
    DISTRICT = "district", pgettext_lazy("policy level", "District")
    SUBDISTRICT = "subdistrict", pgettext_lazy("policy level", "Subdistrict")


class PolicyRole(models.TextChoices):
    FRAMEWORK = "framework", _("Framework document (the 1)")
    SUPPORTING = "supporting", _("Supporting document (the N)")
