"""Permission matrix of report-in and partnerships: which roles may do each action at all (deny by default).

Scope (in/out) per action is proven in test_partners_services.py (services), test_partners_views.py (pages) and
test_partners_api.py (API).
"""

from __future__ import annotations

import pytest

from gongjian.cobuild.partners import permissions as perms
from gongjian.core.permissions import can

ACTIONS = {
    "view": perms.REPORT_IN_VIEW, "create": perms.REPORT_IN_CREATE, "confirm": perms.REPORT_IN_CONFIRM, "end": perms.REPORT_IN_END,
    "p_view": perms.PARTNERSHIP_VIEW, "p_manage": perms.PARTNERSHIP_MANAGE, "a_edit": perms.AGREEMENT_EDIT, "a_sign": perms.AGREEMENT_SIGN,
}
ADMIN = set(ACTIONS)
LIAISON = {"view", "create", "end", "p_view", "a_edit"}
EXPECTED = {
    "city_admin": ADMIN, "district_admin": ADMIN, "subdistrict_admin": ADMIN, "community_admin": ADMIN, "community_admin_b": ADMIN,
    "unit_liaison": LIAISON, "unit_liaison_b": LIAISON,
    "resident": set(), "resident_b": set(), "member": set(), "instructor": set(), "nobody": set(),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_matrix(world, role):
    user = world.users[role]
    for key, action in ACTIONS.items():
        assert can(user, action) == (key in EXPECTED[role]), (role, key)


def test_inactive_and_anonymous_are_denied(world):
    from django.contrib.auth.models import AnonymousUser

    admin = world.users["city_admin"]
    admin.is_active = False
    for action in ACTIONS.values():
        assert not can(admin, action) and not can(AnonymousUser(), action) and not can(None, action)
