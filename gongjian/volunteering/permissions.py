"""Who may do what in volunteering (issue #4). Deny by default; each part's manifest registers its rows.

Decisions:

* **Members** act for themselves only (``Reach.SELF``: the records of their own ``Member`` row, through
  ``member__user_id``): report in to the community where they live, apply for posts, sign up and cancel, check
  in and out with the code shown at the place, see their hours and points, make their yearly pledge, patrol the
  road segments they are road chief of and report problems found there. A member's account is linked to his
  member record (``Member.user``); an account without one is told to ask his branch to link it.
* **Community administrators** (and the levels above, for the communities of their area) confirm or reject
  report-ins, end them, issue the half-year receipts, manage posts, brands, activities and shifts, check members
  in by hand, confirm hours, assess pledges, manage road segments and chiefs, and handle patrol reports (solve
  them or turn them into matters through ``matters.services.matter_report``).
* **Unit liaisons** see which of their unit's members reported in and where, the members who have not, and the
  receipts (``unit_id`` scope), and may publish activities for their unit in a community; they never confirm.
* **The point rule** is the city's: city administrators change it.
* **Public cards**: a member's pledges and totals show to the members and staff of the same community.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
ME = Reach.SELF
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

# report-in and receipts
REPORT_IN_VIEW = "volunteering.report_in_view"
REPORT_IN_SELF = "volunteering.report_in_self"  # a member reports himself in, or moves
REPORT_IN_CONFIRM = "volunteering.report_in_confirm"  # confirm, reject, end
RECEIPT_VIEW = "volunteering.receipt_view"
RECEIPT_ISSUE = "volunteering.receipt_issue"
# posts, brands, activities, shifts, hours
POST_VIEW = "volunteering.post_view"
POST_MANAGE = "volunteering.post_manage"  # create, edit, approve or reject applications, end holdings
POST_APPLY = "volunteering.post_apply"
BRAND_VIEW = "volunteering.brand_view"
BRAND_MANAGE = "volunteering.brand_manage"
ACTIVITY_VIEW = "volunteering.activity_view"
ACTIVITY_MANAGE = "volunteering.activity_manage"  # activities, shifts, rosters, staff check-in, check-in codes
SIGNUP = "volunteering.signup"  # sign up, cancel, check in and out with a code
HOURS_VIEW = "volunteering.hours_view"
HOURS_CONFIRM = "volunteering.hours_confirm"  # confirm or reject hours; credit post and task hours
POINT_RULE_MANAGE = "volunteering.point_rule_manage"
# pledges
PLEDGE_VIEW = "volunteering.pledge_view"
PLEDGE_MAKE = "volunteering.pledge_make"
PLEDGE_ASSESS = "volunteering.pledge_assess"
# road chiefs
ROAD_VIEW = "volunteering.road_view"
ROAD_MANAGE = "volunteering.road_manage"  # segments and chiefs
PATROL = "volunteering.patrol"  # a road chief logs patrols and reports problems on his segments
PATROL_HANDLE = "volunteering.patrol_handle"  # the community solves a report or turns it into a matter

# Each part registers its rows through its manifest (``<part>/manifest.py``); ``RULES`` is the whole matrix.
MEMBERS_RULES: dict[str, dict[Role, Reach]] = {
    REPORT_IN_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.MEMBER: ME},
    REPORT_IN_SELF: {Role.MEMBER: ME},
    REPORT_IN_CONFIRM: dict(ADMINS),
    RECEIPT_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.MEMBER: ME},
    RECEIPT_ISSUE: dict(ADMINS),
    PLEDGE_VIEW: {**ADMINS, Role.MEMBER: ME},
    PLEDGE_MAKE: {Role.MEMBER: ME},
    PLEDGE_ASSESS: dict(ADMINS),
}
ACTIVITIES_RULES: dict[str, dict[Role, Reach]] = {
    POST_VIEW: {**ADMINS, Role.MEMBER: ME},
    POST_MANAGE: dict(ADMINS),
    POST_APPLY: {Role.MEMBER: ME},
    BRAND_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.MEMBER: ME},
    BRAND_MANAGE: dict(ADMINS),
    ACTIVITY_VIEW: {**ADMINS, Role.UNIT_LIAISON: S, Role.MEMBER: ME},
    ACTIVITY_MANAGE: {**ADMINS, Role.UNIT_LIAISON: S},
    SIGNUP: {Role.MEMBER: ME},
    HOURS_VIEW: {**ADMINS, Role.MEMBER: ME},
    HOURS_CONFIRM: dict(ADMINS),
    POINT_RULE_MANAGE: {Role.CITY_ADMIN: S},
}
ROADS_RULES: dict[str, dict[Role, Reach]] = {
    ROAD_VIEW: {**ADMINS, Role.MEMBER: ME},
    ROAD_MANAGE: dict(ADMINS),
    PATROL: {Role.MEMBER: ME},
    PATROL_HANDLE: dict(ADMINS),
}
RULES: dict[str, dict[Role, Reach]] = {**MEMBERS_RULES, **ACTIVITIES_RULES, **ROADS_RULES}
