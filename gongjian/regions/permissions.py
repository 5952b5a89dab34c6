"""Who may do what with regions, departments, the governance committee and subdistrict structure.

Deny by default: an action not listed for a role is refused. ``Reach.SCOPE`` means "inside the
actor's scope rows of that role" (a region subtree, or a department for its handler).
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

VIEW = "regions.view"
MANAGE = "regions.manage"
IMPORT = "regions.import"
DEPARTMENTS_MANAGE = "regions.departments_manage"
COMMITTEE_MANAGE = "regions.committee_manage"
STRUCTURE_MANAGE = "regions.structure_manage"
STRUCTURE_CONFIGURE = "regions.structure_configure"
POWERS_MANAGE = "regions.powers_manage"

S = Reach.SCOPE

RULES = {
    # Every staff role sees the regions (and departments) of its own scope.
    VIEW: {
        Role.CITY_ADMIN: S,
        Role.DISTRICT_ADMIN: S,
        Role.SUBDISTRICT_ADMIN: S,
        Role.COMMUNITY_ADMIN: S,
        Role.DEPARTMENT_HANDLER: S,
        Role.INSTRUCTOR: S,
        Role.REVIEWER: S,
    },
    # The tree itself: city and district administrators, below their own top region.
    MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    IMPORT: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    DEPARTMENTS_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    COMMITTEE_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    POWERS_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    # Offices and staff quotas of a subdistrict.
    STRUCTURE_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S},
    # The standard structure every new subdistrict starts from (city-wide).
    STRUCTURE_CONFIGURE: {Role.CITY_ADMIN: S},
}
