"""Permission matrix: role × action × inside / outside the actor's area. Deny by default."""

from __future__ import annotations

import pytest

from gongjian.accounts import permissions as perms
from gongjian.accounts import selectors, services
from gongjian.accounts.choices import ADMIN_ROLES, Role
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import can
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

ACTIONS = [perms.ACCOUNT_VIEW, perms.ACCOUNT_CREATE, perms.ACCOUNT_MANAGE, perms.ACCOUNT_EXPORT]


def _actor(tree, role):
    if role == Role.UNIT_LIAISON:
        return factories.user(role, unit=factories.unit(tree.comm_a1))
    if role == Role.DEPARTMENT_HANDLER:
        return factories.user(role, department=tree.dept_erqi)
    place = {Role.CITY_ADMIN: tree.city, Role.DISTRICT_ADMIN: tree.erqi, Role.SUBDISTRICT_ADMIN: tree.sub_a}.get(role, tree.comm_a1)
    return factories.user(role, region=place)


@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("action", ACTIONS)
def test_only_administrators_may_act_on_accounts(tree, role, action):
    actor = _actor(tree, role)
    assert can(actor, action) is (role in ADMIN_ROLES)


@pytest.mark.parametrize("role", list(Role.values))
def test_account_reach_inside_and_outside(tree, role):
    actor = _actor(tree, role)
    inside = factories.user(Role.MEMBER, region=tree.comm_a1)
    if role == Role.CITY_ADMIN:  # outside a city admin's area means another city
        kaifeng = factories.region("410200", "开封市", "city")
        outside = factories.user(Role.MEMBER, region=factories.region("410202", "龙亭区", "district", kaifeng))
    else:
        outside = factories.user(Role.MEMBER, region=tree.comm_b1)
    visible = set(selectors.account_queryset(actor=actor).values_list("pk", flat=True))
    if role in ADMIN_ROLES:
        assert inside.pk in visible and outside.pk not in visible
        assert services.password_reset(actor=actor, user=inside)
        with pytest.raises(NotFound):
            services.password_reset(actor=actor, user=outside)
    else:
        assert visible == set()
        with pytest.raises(PermissionDenied):
            services.password_reset(actor=actor, user=inside)
        with pytest.raises(PermissionDenied):
            services.account_create(actor=actor, username="z", role=Role.MEMBER, region=tree.comm_a1)


@pytest.mark.parametrize(
    ("actor_role", "expected"),
    [
        (Role.CITY_ADMIN, set(Role.values)),
        (Role.DISTRICT_ADMIN, set(Role.values) - {Role.CITY_ADMIN}),
        (Role.SUBDISTRICT_ADMIN, set(Role.values) - {Role.CITY_ADMIN, Role.DISTRICT_ADMIN}),
        (Role.COMMUNITY_ADMIN, set(Role.values) - {Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN}),
        (Role.MEMBER, set()),
    ],
)
def test_grantable_roles_at_or_below_own_level(tree, actor_role, expected):
    assert set(perms.grantable_roles(_actor(tree, actor_role))) == expected


def test_inactive_or_anonymous_may_do_nothing(tree):
    from django.contrib.auth.models import AnonymousUser

    admin = _actor(tree, Role.CITY_ADMIN)
    admin.is_active = False
    assert not any(can(admin, a) for a in ACTIONS)
    assert not any(can(AnonymousUser(), a) for a in ACTIONS)
    assert not selectors.account_queryset(actor=admin).exists()
