"""Permission matrix: roles × actions × in/out of scope, pages and services."""

from __future__ import annotations

import pytest

from gongjian.cobuild import selectors, services
from gongjian.core.errors import NotFound, PermissionDenied, ValidationError
from gongjian.core.permissions import can

ROLES = ["city_admin", "district_admin", "subdistrict_admin", "community_admin", "community_admin_b", "unit_liaison", "unit_liaison_b",
         "resident", "member", "instructor", "nobody"]

# role -> set of actions allowed at all
EXPECTED = {
    "city_admin": {"category_view", "category_manage", "need_list", "need_view", "need_manage", "resource_view", "resource_manage"},
    "district_admin": {"category_view", "category_manage", "need_list", "need_view", "need_manage", "resource_view", "resource_manage"},
    "subdistrict_admin": {"category_view", "need_list", "need_view", "need_manage", "resource_view", "resource_manage"},
    "community_admin": {"category_view", "need_list", "need_view", "need_manage", "resource_view", "resource_manage"},
    "community_admin_b": {"category_view", "need_list", "need_view", "need_manage", "resource_view", "resource_manage"},
    "unit_liaison": {"category_view", "resource_view", "resource_manage"},
    "unit_liaison_b": {"category_view", "resource_view", "resource_manage"},
    "resident": {"category_view", "need_view", "wish_submit", "wish_own"},
    "member": set(),
    "instructor": set(),
    "nobody": set(),
}
ACTIONS = ["category_view", "category_manage", "need_list", "need_view", "need_manage", "wish_submit", "wish_own", "resource_view",
           "resource_manage"]


@pytest.mark.parametrize("role", ROLES)
def test_matrix_deny_by_default(world, role):
    user = world.users[role]
    for action in ACTIONS:
        assert can(user, f"cobuild.{action}") == (action in EXPECTED[role]), (role, action)
    assert not can(user, "cobuild.typo_action")


def _need(world):
    return services.need_create(actor=world.users["community_admin"], title="加装扶手", community=world.tree.comm_a1.pk)


def _res(world, unit="a"):
    liaison = world.users["unit_liaison" if unit == "a" else "unit_liaison_b"]
    u = world.unit_a if unit == "a" else world.unit_b
    return services.resource_create(actor=liaison, unit=u.pk, title=f"{u.name}场地", kind="venue", capacity="100", capacity_unit="m2")


# (role, sees need in comm_a1, manages it)
NEED_SCOPE = [
    ("city_admin", True, True), ("district_admin", True, True), ("subdistrict_admin", True, True), ("community_admin", True, True),
    ("community_admin_b", False, False), ("unit_liaison", False, False), ("resident", False, False), ("member", False, False),
    ("nobody", False, False),
]


@pytest.mark.parametrize("role,sees,manages", NEED_SCOPE)
def test_need_scope(world, role, sees, manages):
    n = _need(world)
    user = world.users[role]
    if sees:
        assert selectors.need_get(actor=user, id=n.pk) == n
    else:
        with pytest.raises(NotFound):
            selectors.need_get(actor=user, id=n.pk)
    if manages:
        services.need_update(actor=user, need=n, title="加装扶手（改）")
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            services.need_update(actor=user, need=n, title="x")
        with pytest.raises((NotFound, PermissionDenied)):
            services.need_publish(actor=user, need=n)


def test_resident_sees_only_own_wishes(world):
    mine = services.need_submit_wish(actor=world.users["resident"], title="台灯")
    other = services.need_submit_wish(actor=world.users["resident_b"], title="轮椅")
    staff = _need(world)
    res = world.users["resident"]
    assert list(selectors.need_list(actor=res)) == [mine]
    assert selectors.need_get(actor=res, id=mine.pk) == mine
    for n in (other, staff):
        with pytest.raises(NotFound):
            selectors.need_get(actor=res, id=n.pk)


# (role, sees unit_a's draft resource, manages it)
RES_SCOPE = [
    ("city_admin", True, True), ("district_admin", True, True), ("subdistrict_admin", True, True), ("community_admin", True, True),
    ("community_admin_b", False, False), ("unit_liaison", True, True), ("unit_liaison_b", False, False), ("resident", False, False),
    ("nobody", False, False),
]


@pytest.mark.parametrize("role,sees,manages", RES_SCOPE)
def test_resource_scope(world, role, sees, manages):
    r = _res(world)
    user = world.users[role]
    if sees:
        assert selectors.resource_get(actor=user, id=r.pk) == r
    else:
        with pytest.raises(NotFound):
            selectors.resource_get(actor=user, id=r.pk)
    if manages:
        services.resource_update(actor=user, resource=r, title="活动室（改）")
        services.resource_offer(actor=user, resource=r)
    else:
        with pytest.raises((NotFound, PermissionDenied)):
            services.resource_update(actor=user, resource=r, title="x")
        with pytest.raises((NotFound, PermissionDenied)):
            services.resource_offer(actor=user, resource=r)


def test_service_area_widens_view_not_management(world):
    """A 金水区 unit offering a venue to a 二七区 community is visible (read only) to that community."""
    r = _res(world, "b")
    services.resource_update(actor=world.users["unit_liaison_b"], resource=r, service_regions=[world.tree.comm_a1.pk])
    comm_admin = world.users["community_admin"]
    with pytest.raises(NotFound):  # still a draft: not visible
        selectors.resource_get(actor=comm_admin, id=r.pk)
    services.resource_offer(actor=world.users["unit_liaison_b"], resource=r)
    assert selectors.resource_get(actor=comm_admin, id=r.pk) == r
    assert r in selectors.resource_list(actor=world.users["district_admin"])  # served region lies inside 二七区
    assert r in selectors.resource_list(actor=world.users["community_admin_b"])  # the unit sits in 省供销社社区
    with pytest.raises(NotFound):
        services.resource_update(actor=comm_admin, resource=r, title="x")
    # serving the whole district makes it visible in each of its communities
    services.resource_update(actor=world.users["unit_liaison_b"], resource=r, service_regions=[world.tree.erqi.pk])
    assert selectors.resource_get(actor=world.users["community_admin"], id=r.pk) == r


def test_liaison_cannot_create_for_another_unit(world):
    with pytest.raises(ValidationError):
        services.resource_create(actor=world.users["unit_liaison"], unit=world.unit_b.pk, title="x", kind="funds")
