"""Who may do what with coordination meetings and secretaries' exchanges. Deny by default.

Decisions:

* **Reading a meeting** (``meetings.meeting_view``): administrators whose region contains the
  meeting's region (``region_path`` prefix: the subdistrict's meeting is seen by the subdistrict,
  its district and the city, never by a sibling subdistrict or a community below it). City-level
  secretaries' exchanges are read by **every** administrator (they are for learning). A
  department handler reads the meetings where his department attends or has a decision task
  (``selectors.meeting_base``). Anything else is "not found".
* **Running a meeting** (``meetings.meeting_manage``: plan, edit, attendees, agenda, hold, cancel,
  decisions, speakers, follow-ups): the administrators **of the meeting's own level and region**
  ("by that level's admins") — a district administrator reads his subdistricts' meetings but does
  not run them. Secretaries' exchanges are city-level, so city administrators run them.
* **Decision tasks** (``meetings.task_work``): the department handler completes his department's
  tasks with a result; the meeting's administrators follow them up.
* **Experiences** (``meetings.experience_view``): every administrator and department handler reads
  the published exemplars; unpublished ones only the exchange's managers (city administrators).
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

S = Reach.SCOPE
ADMINS = {Role.CITY_ADMIN: S, Role.DISTRICT_ADMIN: S, Role.SUBDISTRICT_ADMIN: S, Role.COMMUNITY_ADMIN: S}

MEETING_VIEW = "meetings.meeting_view"
MEETING_MANAGE = "meetings.meeting_manage"
CALENDAR_VIEW = "meetings.calendar_view"
TASK_WORK = "meetings.task_work"
EXPERIENCE_VIEW = "meetings.experience_view"
EXPERIENCE_MANAGE = "meetings.experience_manage"

RULES: dict[str, dict[Role, Reach]] = {
    MEETING_VIEW: {**ADMINS, Role.DEPARTMENT_HANDLER: S},
    MEETING_MANAGE: dict(ADMINS),
    CALENDAR_VIEW: dict(ADMINS),
    TASK_WORK: {Role.DEPARTMENT_HANDLER: S},
    EXPERIENCE_VIEW: {**ADMINS, Role.DEPARTMENT_HANDLER: S},
    EXPERIENCE_MANAGE: {Role.CITY_ADMIN: S},
}
