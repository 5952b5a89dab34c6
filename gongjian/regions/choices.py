import unicodedata
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


LEVEL_ORDER = [Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID]
PARENT_LEVEL = {
    Level.DISTRICT: Level.CITY,
    Level.SUBDISTRICT: Level.DISTRICT,
    Level.COMMUNITY: Level.SUBDISTRICT,
    Level.GRID: Level.COMMUNITY,
}
# Length of the statistical code at each level.
CODE_LENGTH = {Level.CITY: 6, Level.DISTRICT: 6, Level.SUBDISTRICT: 12, Level.COMMUNITY: 12, Level.GRID: 15}


class RegionKind(models.TextChoices):
    CITY = "city", pgettext_lazy("region kind", "City")
    DISTRICT = "district", pgettext_lazy("region kind", "District")
    COUNTY = "county", _("County")
    ZONE = "zone", _("Functional zone")
    SUBDISTRICT = "subdistrict", pgettext_lazy("region kind", "Subdistrict")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    COMMUNITY = "community", _("Urban community")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")
    OTHER = "other", _("Other subdistrict-level unit")


KINDS_BY_LEVEL = {
    Level.CITY: {RegionKind.CITY},
    Level.DISTRICT: {RegionKind.DISTRICT, RegionKind.COUNTY, RegionKind.ZONE},
    Level.SUBDISTRICT: {RegionKind.SUBDISTRICT, RegionKind.TOWN, RegionKind.TOWNSHIP, RegionKind.OTHER},
    Level.COMMUNITY: {RegionKind.COMMUNITY, RegionKind.VILLAGE},
    Level.GRID: {RegionKind.GRID},
}


class DepartmentKind(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    FINANCE = "finance", _("Finance")
    URBAN_CONSTRUCTION = "urban_construction", _("Urban construction")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    HOUSING = "housing", _("Housing administration")
    ORGANIZATION = "organization", _("Organisation department")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    PUBLIC_SECURITY = "public_security", _("Public security")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education")
    MARKET_REGULATION = "market_regulation", _("Market regulation")
    OTHER = "other", _("Other")


class OfficeKind(models.TextChoices):
    OFFICE = "office", _("Office")
    CENTRE = "centre", _("Centre")
    STATION = "station", _("Station")


def clean_code(value: Any) -> str:
    """A statistical code as typed or pasted: full-width digits become ASCII (NFKC) and every
    space (also U+3000 and spaces that group the digits, "410103 001 001") is dropped. Anything
    else stays, so ``code_shape_error`` can say what is wrong with it."""
    return "".join(unicodedata.normalize("NFKC", str(value or "")).split())
