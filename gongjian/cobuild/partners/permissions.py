"""Who may do what with unit report-ins (单位双报到) and partnerships (联建). Deny by default; the manifest registers the rules.

Decisions:

* A **report-in** belongs to the community it is made to (``region_path`` = the community's path)
  and to the unit (``unit_id``). The unit's liaison (scope kind *unit*) reports his own unit in,
  sees and ends his unit's report-ins; an administrator whose area holds the unit may report it in
  on its behalf. The community's administrator (or one above, whose area holds the community)
  confirms or rejects it and may end it. A liaison never confirms.
* A **partnership** belongs to the community (``region_path``) and to the organ unit of the branch
  (``unit_id``). Administrators of the community or above create and end it; the branch may be of
  an organ anywhere (organs are paired with communities across the city). The liaison of the
  branch's unit sees it and may draft and edit its yearly agreement (what the branch will do);
  signing records the community side's acceptance, so only administrators in scope sign.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

REPORT_IN_VIEW = "cobuild.report_in_view"
REPORT_IN_CREATE = "cobuild.report_in_create"  # checked against the unit (ResidentUnit scope)
REPORT_IN_CONFIRM = "cobuild.report_in_confirm"  # confirm or reject
REPORT_IN_END = "cobuild.report_in_end"
PARTNERSHIP_VIEW = "cobuild.partnership_view"
PARTNERSHIP_MANAGE = "cobuild.partnership_manage"  # create, end
AGREEMENT_EDIT = "cobuild.agreement_edit"  # create and edit a draft
AGREEMENT_SIGN = "cobuild.agreement_sign"

RULES: dict[str, dict[Role, Reach]] = {
    REPORT_IN_VIEW: {**ADMINS, Role.UNIT_LIAISON: S},
    REPORT_IN_CREATE: {**ADMINS, Role.UNIT_LIAISON: S},
    REPORT_IN_CONFIRM: dict(ADMINS),
    REPORT_IN_END: {**ADMINS, Role.UNIT_LIAISON: S},
    PARTNERSHIP_VIEW: {**ADMINS, Role.UNIT_LIAISON: S},
    PARTNERSHIP_MANAGE: dict(ADMINS),
    AGREEMENT_EDIT: {**ADMINS, Role.UNIT_LIAISON: S},
    AGREEMENT_SIGN: dict(ADMINS),
}
