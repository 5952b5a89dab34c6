"""Who may do what with matters (民生事项). Deny by default; registered by the manifest (``permissions=[RULES]``).

The matrix below says which *roles* may attempt an action at all; ``services`` then applies the
level rules, which depend on the matter:

* **Seeing** a matter (``VIEW``): administrators whose region lies on the matter's escalation path
  (from its community up to the highest level it has reached — ``region_path`` starts with the
  scope's path and the scope's depth is at least ``top_depth``), handlers of a department that has
  (or had) an assignment on it, and the account that entered it (a resident or a road chief sees
  his own reports, ``Reach.SELF`` on ``reported_by``). Everyone else gets 404.
* **Acting** on a matter (accept, reject, escalate, assign, resolve, follow up): only the level
  that *owns* it now — an administrator whose scope region *is* the owner (``owner_path``). The
  community accepts (first receiver); the subdistrict acts only once the community escalated it to
  it, and so on. Because ownership only moves up and visibility ends at the highest level reached,
  the owning level is the top of the path: the lower levels still *see* the matter (and the
  community records the callback with the reporter it knows) but no longer decide it.
* **Escalating** goes one level up: community → subdistrict → district → city; a city
  administrator has nowhere to escalate to (the action is not in his row of the matrix, and the
  service refuses it for a superuser too).
* **Departments** act only on their own assignments (take up, report progress, report the result,
  send back a mis-assigned matter); a handler of another department gets 404.
* **Follow-up (督办)**: the owning level presses the departments it assigned (the assigning level is
  their superior for the matter); levels above the top reached do not see the matter, so they cannot.
* **Callback**: the owning level, or the community the matter comes from (it knows the reporter).
* **Reporting**: administrators for the communities of their area; a resident or a party member
  (road chief) for the community of his own scope (from a phone).
* **Catalogue, deadline rules and the holiday calendar**: city administrators manage them;
  district administrators read them (pickers show them to every staff role).
* **Hotline import** (12345 work orders): city and district administrators.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

VIEW = "matters.view"  # see a matter (list, detail, timeline, attachments)
REPORT = "matters.report"  # raise a matter in a community
ACCEPT = "matters.accept"  # first receiver takes it up
REJECT = "matters.reject"  # not a governance matter
ESCALATE = "matters.escalate"  # to the parent level
ASSIGN = "matters.assign"  # lead and assisting departments
RESOLVE = "matters.resolve"
CALLBACK = "matters.callback"  # callback to the reporter with satisfaction
FOLLOW_UP = "matters.follow_up"  # 督办 an assignment
HANDLE = "matters.handle"  # a department's work on its assignment
ATTACH = "matters.attach"
READ_PHONE = "matters.read_phone"  # the reporter's full phone number (audited)
CATALOGUE_VIEW = "matters.catalogue_view"
CATALOGUE_MANAGE = "matters.catalogue_manage"  # dispatch catalogue, deadline rules, holiday calendar
IMPORT = "matters.import"  # hotline work orders
# Only decides what navigation shows: the phone form "反映问题" is the residents' and party members' (road chiefs') own
# way in. Staff report from their work queue and list (the same page gives them the full form), so the entry is not in
# their sidebar.
PHONE_REPORT_NAV = "matters.phone_report_nav"

RULES: dict[str, dict[Role, Reach]] = {
    VIEW: {**ADMINS, Role.DEPARTMENT_HANDLER: S, Role.RESIDENT: Reach.SELF, Role.MEMBER: Reach.SELF},
    REPORT: {**ADMINS, Role.RESIDENT: S, Role.MEMBER: S},
    ACCEPT: {Role.COMMUNITY_ADMIN: S},
    REJECT: dict(ADMINS),
    ESCALATE: {Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S},
    ASSIGN: dict(ADMINS),
    RESOLVE: dict(ADMINS),
    CALLBACK: dict(ADMINS),
    FOLLOW_UP: dict(ADMINS),
    HANDLE: {Role.DEPARTMENT_HANDLER: S},
    ATTACH: {**ADMINS, Role.DEPARTMENT_HANDLER: S, Role.RESIDENT: Reach.SELF, Role.MEMBER: Reach.SELF},
    READ_PHONE: dict(ADMINS),
    CATALOGUE_VIEW: {**ADMINS, Role.DEPARTMENT_HANDLER: S, Role.RESIDENT: S, Role.MEMBER: S},
    CATALOGUE_MANAGE: {Role.CITY_ADMIN: S},
    IMPORT: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    PHONE_REPORT_NAV: {Role.RESIDENT: S, Role.MEMBER: S},
}
