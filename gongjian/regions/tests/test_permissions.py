"""Permission matrix: role × action × in / out of scope."""

from __future__ import annotations

import pytest

from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import can
from gongjian.regions import permissions as P
from gongjian.regions import selectors, services

pytestmark = pytest.mark.django_db

ROLES = ["city", "erqi", "sub_a", "comm_a1", "handler", "instructor", "member", "resident", "nobody"]
EXPECTED = {
    P.VIEW: {"city", "erqi", "sub_a", "comm_a1", "handler", "instructor"},
    P.MANAGE: {"city", "erqi"},
    P.IMPORT: {"city", "erqi"},
    P.DEPARTMENTS_MANAGE: {"city", "erqi"},
    P.COMMITTEE_MANAGE: {"city", "erqi"},
    P.POWERS_MANAGE: {"city", "erqi"},
    P.STRUCTURE_MANAGE: {"city", "erqi", "sub_a"},
    P.STRUCTURE_CONFIGURE: {"city"},
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_can_matrix(actors, role, action):
    assert can(getattr(actors, role), action) is (role in EXPECTED[action])


def _attempt(action, actor, tree, inside: bool):
    """Do ``action`` on a target in (inside=True) or out of the 二七区 subtree."""
    sub = tree.sub_a if inside else tree.sub_b
    district = tree.erqi if inside else tree.jinshui
    if action == P.VIEW:
        return selectors.region_get(actor=actor, code=sub.code)
    if action == P.MANAGE:
        return services.region_create(actor=actor, code=sub.code[:9] + "070", name="矩阵社区", level="community", parent=sub)
    if action == P.DEPARTMENTS_MANAGE:
        return services.department_create(actor=actor, region=district, name="矩阵局", kind="other")
    if action == P.COMMITTEE_MANAGE:
        return services.committee_save(actor=actor, region=district)
    if action == P.POWERS_MANAGE:
        return services.power_create(actor=actor, region=district, name="矩阵权力")
    if action == P.STRUCTURE_MANAGE:
        return services.office_create(actor=actor, subdistrict=sub, name="矩阵办公室", kind="office")
    raise AssertionError(action)


# Who reaches the 二七区 subtree (淮河路街道, 二七区) for each action.
INSIDE_OK = {
    P.VIEW: {"city", "erqi", "sub_a", "instructor"},
    P.MANAGE: {"city", "erqi"},
    P.DEPARTMENTS_MANAGE: {"city", "erqi"},
    P.COMMITTEE_MANAGE: {"city", "erqi"},
    P.POWERS_MANAGE: {"city", "erqi"},
    P.STRUCTURE_MANAGE: {"city", "erqi", "sub_a"},
}


@pytest.mark.parametrize("action", sorted(INSIDE_OK))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("inside", [True, False])
def test_action_matrix_in_and_out_of_scope(tree, actors, role, action, inside):
    actor = getattr(actors, role)
    allowed = role in INSIDE_OK[action] and (inside or role == "city")
    if action == P.DEPARTMENTS_MANAGE and role == "sub_a":
        allowed = False
    if allowed:
        assert _attempt(action, actor, tree, inside) is not None
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            _attempt(action, actor, tree, inside)
