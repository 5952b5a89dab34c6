"""Actions of the matters pages that only decide what navigation shows (registered on import by ``nav``).

The matrix of what people may *do* is ``matters.permissions``; this adds one entry: the phone form
"反映问题" is the residents' and party members' (road chiefs') own way in. Staff report from their work
queue and list (the same page gives them the full form), so the entry is not in their sidebar.
"""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach, register

PHONE_REPORT_NAV = "matters.phone_report_nav"

RULES = {PHONE_REPORT_NAV: {Role.RESIDENT: Reach.SCOPE, Role.MEMBER: Reach.SCOPE}}

register(RULES)  # type: ignore[arg-type]
