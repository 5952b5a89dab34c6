from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("City administrator")
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    SUBDISTRICT_ADMIN = "subdistrict_admin", _("Subdistrict administrator")
    COMMUNITY_ADMIN = "community_admin", _("Community administrator")
    UNIT_LIAISON = "unit_liaison", _("Unit liaison")
    MEMBER = "member", _("Party member")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    INSTRUCTOR = "instructor", _("Party-building instructor")
    REVIEWER = "reviewer", _("Contest reviewer")
    RESIDENT = "resident", _("Resident")


ADMIN_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN})
STAFF_ROLES = ADMIN_ROLES | {Role.DEPARTMENT_HANDLER, Role.INSTRUCTOR, Role.REVIEWER}

# Which region level an administrator's scope row must point at.
ROLE_REGION_LEVEL = {
    Role.CITY_ADMIN: "city",
    Role.DISTRICT_ADMIN: "district",
    Role.SUBDISTRICT_ADMIN: "subdistrict",
    Role.COMMUNITY_ADMIN: "community",
}


class ScopeKind(models.TextChoices):
    REGION = "region", _("Region subtree")
    UNIT = "unit", _("Resident unit")
    DEPARTMENT = "department", _("Department")
