"""Who may do what with co-building categories, needs and resources. Deny by default.

Decisions:

* **Categories** are one city-wide taxonomy. Every signed-in role that works with needs or
  resources may read them (pickers); city and district administrators add, rename and
  deactivate them.
* **Needs** belong to a community (``region_path``). Administrators of every level see and manage
  the needs of the communities in their area; a community administrator cannot reach another
  community's need (404). A resident submits micro-wishes (微心愿) into the community of his
  resident scope and sees his own wishes (``Reach.SELF`` on ``submitted_by``); the community
  reviews them (publish or reject). Unit liaisons do not read needs in this increment (the
  matching pages will show them suggestions).
* **Resources** belong to a resident unit (``region_path`` copied from the unit). The unit's
  liaison (scope kind *unit*) manages only his own unit's resources. Administrators see and
  manage the resources of units located in their area. In addition, an administrator *sees*
  (read only, through ``selectors.resource_list``) resources that are on offer and whose service
  regions contain his area or lie inside it — a provincial unit in 金水区 serving a 二七区
  community shows up for that community. A service radius does not widen visibility (areas have
  no coordinates); the matching engine uses it for distance.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

CATEGORY_VIEW = "cobuild.category_view"
CATEGORY_MANAGE = "cobuild.category_manage"
NEED_LIST = "cobuild.need_list"
NEED_VIEW = "cobuild.need_view"
NEED_MANAGE = "cobuild.need_manage"
WISH_SUBMIT = "cobuild.wish_submit"
WISH_OWN = "cobuild.wish_own"
RESOURCE_VIEW = "cobuild.resource_view"
RESOURCE_MANAGE = "cobuild.resource_manage"

RULES: dict[str, dict[Role, Reach]] = {
    CATEGORY_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.RESIDENT: S},
    CATEGORY_MANAGE: {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S},
    # the needs list page (staff)
    NEED_LIST: dict(ADMINS),
    # reading one need: staff in scope, a resident his own wishes
    NEED_VIEW: {**ADMINS, Role.RESIDENT: Reach.SELF},
    NEED_MANAGE: dict(ADMINS),
    # a resident's micro-wish goes into the community of his scope
    WISH_SUBMIT: {Role.RESIDENT: S},
    WISH_OWN: {Role.RESIDENT: Reach.SELF},
    RESOURCE_VIEW: {**ADMINS, Role.UNIT_LIAISON: S},
    RESOURCE_MANAGE: {**ADMINS, Role.UNIT_LIAISON: S},
}

# --- co-building projects ---------------------------------------------------------------------
# A project belongs to a community (``region_path``) and names a responsible resident unit
# (``unit_id``). Administrators of the community or above propose, cancel and rate it (the rating
# is the community's); the liaison of the responsible unit sees it, agrees to it, starts it and
# reports the outcome. Administrators may also agree/start/complete on the unit's behalf.
PROJECT_VIEW = "cobuild.project_view"
PROJECT_MANAGE = "cobuild.project_manage"  # propose, cancel
PROJECT_RUN = "cobuild.project_run"  # agree, start, complete
PROJECT_RATE = "cobuild.project_rate"

PROJECT_RULES: dict[str, dict[Role, Reach]] = {
    PROJECT_VIEW: {**ADMINS, Role.UNIT_LIAISON: S},
    PROJECT_MANAGE: dict(ADMINS),
    PROJECT_RUN: {**ADMINS, Role.UNIT_LIAISON: S},
    PROJECT_RATE: dict(ADMINS),
}
