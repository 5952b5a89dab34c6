"""Who may do what with party organisations, members, resident units and policies.

Deny by default: an action lists the roles allowed and how far they reach; any role not listed
may not do it. ``Reach.SCOPE`` goes through the actor's scope rows (a region subtree, or a unit for
a unit liaison); ``Reach.SELF`` reaches only records tied to the actor's own account.

Decisions:

* Members are seen by the administrators of the region where their organisation sits **or**
  where they live (``region_path`` OR ``home_path``), by the liaison of the unit that employs
  them, and by the member himself (his own record only).
* Full ID numbers and phone numbers ("show full", unmasked export) are needed by the people who
  actually handle members' files: community and subdistrict administrators, in their scope.
  City and district administrators oversee figures and lists; they see masked values only.
  Every full read is written to the audit log (``core.audit.record_pii_read``).
* Members are created, edited, transferred and deactivated by administrators of every level in
  their scope (city, district, subdistrict, community).
* Party organisations are managed by administrators in their scope; a unit liaison sees the
  organisations of his unit.
* Resident units are managed by administrators; a liaison sees his own unit.
* The policy library is readable by every signed-in role (policies are public documents);
  city and district administrators maintain it for their region.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

MODULE = "orgs"  # the registry key: figures, panels and cached list counts follow its version
S = Reach.SCOPE
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

MEMBER_LIST = "orgs.member_list"
MEMBER_VIEW = "orgs.member_view"
MEMBER_MANAGE = "orgs.member_manage"
MEMBER_PII = "orgs.member_pii"
MEMBER_SELF = "orgs.member_self"
ORG_VIEW = "orgs.org_view"
ORG_MANAGE = "orgs.org_manage"
UNIT_VIEW = "orgs.unit_view"
UNIT_MANAGE = "orgs.unit_manage"
UNIT_LIAISON_PII = "orgs.unit_pii"
POLICY_VIEW = "orgs.policy_view"
POLICY_MANAGE = "orgs.policy_manage"

RULES: dict[str, dict[Role, Reach]] = {
    # lists and pages of members (a member uses MEMBER_SELF instead)
    MEMBER_LIST: {**ADMINS, Role.UNIT_LIAISON: S},
    # reading one member record (selectors scope with this action)
    MEMBER_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.MEMBER: Reach.SELF},
    MEMBER_MANAGE: dict(ADMINS),
    # full ID number / phone on screen and in exports (audited)
    MEMBER_PII: {Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S},
    MEMBER_SELF: {Role.MEMBER: Reach.SELF},
    ORG_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.INSTRUCTOR: S},
    ORG_MANAGE: dict(ADMINS),
    UNIT_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.INSTRUCTOR: S},
    UNIT_MANAGE: dict(ADMINS),
    # a unit's liaison phone in full
    UNIT_LIAISON_PII: {Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S},
    POLICY_VIEW: {role: S for role in Role},
    POLICY_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
}
