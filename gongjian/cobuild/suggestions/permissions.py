"""Who may see and decide matching suggestions. Deny by default; the manifest registers the rules.

* Suggestions for a need: the administrators who may manage that need (community and above, in scope). Unit
  liaisons do not see needs (see ``cobuild.permissions``), so they do not see suggestions either.
* Accepting creates a project (``cobuild.project_manage`` is checked again by ``project_create``); rejecting and
  undoing a rejection: the same administrators.
* The matching board (对接看板) lists the published needs of a subdistrict or district with the global assignment:
  subdistrict, district and city administrators (a community has one community; its need pages suffice).
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
SUGGEST_VIEW = "cobuild.suggest_view"
SUGGEST_DECIDE = "cobuild.suggest_decide"
MATCH_BOARD = "cobuild.match_board"

_ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

RULES: dict[str, dict[Role, Reach]] = {
    SUGGEST_VIEW: dict(_ADMINS),
    SUGGEST_DECIDE: dict(_ADMINS),
    MATCH_BOARD: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S},
}
