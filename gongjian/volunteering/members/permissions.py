"""One action of this part beyond the app's matrix: the unit's page of its members' report-ins, for unit liaisons only
(``volunteering.report_in_view`` also reaches members and administrators, whose menus would show a unit page they have
no unit for). Administrators reach a unit's page from their lists with ``?unit=``; the data rules stay those of
``report_in_view``."""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach

UNIT_PAGE = "volunteering.unit_page"

RULES: dict[str, dict[Role, Reach]] = {UNIT_PAGE: {Role.UNIT_LIAISON: Reach.SCOPE}}  # registered by members/manifest.py
