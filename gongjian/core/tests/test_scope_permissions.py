"""core.scope and core.permissions: deny by default; a scope is a region subtree, a unit or a department."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from gongjian.accounts.choices import Role, ScopeKind
from gongjian.accounts.models import Scope
from gongjian.core import permissions
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.permissions import Reach, can, require
from gongjian.core.scope import ScopeFields, forget_scopes, get_in_scope, in_scope, region_paths, scoped
from gongjian.orgs.models import Member, ResidentUnit
from gongjian.regions.models import Department, Region
from gongjian.testing import factories

pytestmark = pytest.mark.django_db

VIEW = "coretest.view"
OWN = "coretest.own"
permissions.register(
    {
        VIEW: {
            Role.CITY_ADMIN: Reach.SCOPE,
            Role.DISTRICT_ADMIN: Reach.SCOPE,
            Role.SUBDISTRICT_ADMIN: Reach.SCOPE,
            Role.COMMUNITY_ADMIN: Reach.SCOPE,
            Role.UNIT_LIAISON: Reach.SCOPE,
            Role.DEPARTMENT_HANDLER: Reach.SCOPE,
        },
        OWN: {Role.MEMBER: Reach.SELF},
    }
)


def _codes(qs):
    return sorted(r.code for r in qs)


def test_region_subtree_scope(tree):
    sub_admin = factories.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a)
    assert _codes(scoped(Region.objects.all(), sub_admin, VIEW)) == sorted([tree.sub_a.code, tree.comm_a1.code, tree.comm_a2.code])
    district = factories.user(Role.DISTRICT_ADMIN, region=tree.jinshui)
    assert _codes(scoped(Region.objects.all(), district, VIEW)) == sorted(
        [tree.jinshui.code, tree.sub_b.code, tree.comm_b1.code, tree.comm_b2.code]
    )
    city = factories.user(Role.CITY_ADMIN, region=tree.city)
    assert scoped(Region.objects.all(), city, VIEW).count() == Region.objects.count()


def test_subtree_is_a_path_prefix_not_a_code_prefix(tree):
    """/410103/ must not reach a sibling whose code merely starts with the same digits."""
    odd = factories.region("4101031", "测试区", "district", tree.city)
    district = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    assert odd not in scoped(Region.objects.all(), district, VIEW)


def test_get_in_scope_answers_not_found_outside_and_for_garbage(tree):
    admin = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    assert get_in_scope(Region.objects.all(), admin, VIEW, pk=tree.comm_a1.pk) == tree.comm_a1
    for lookup in ({"pk": tree.comm_a2.pk}, {"pk": 10**9}, {"pk": "abc"}):
        with pytest.raises(NotFound):
            get_in_scope(Region.objects.all(), admin, VIEW, **lookup)
    assert in_scope(tree.comm_a1, admin, VIEW) and not in_scope(tree.comm_b1, admin, VIEW)


def test_unit_scope(tree):
    u1, u2 = factories.unit(tree.comm_a1), factories.unit(tree.comm_a1)
    liaison = factories.user(Role.UNIT_LIAISON, unit=u1)
    assert list(scoped(ResidentUnit.objects.all(), liaison, VIEW)) == [u1]
    with pytest.raises(NotFound):
        get_in_scope(ResidentUnit.objects.all(), liaison, VIEW, pk=u2.pk)
    # a unit scope reaches nothing of a model that declares no unit field
    assert not scoped(Region.objects.all(), liaison, VIEW).exists()


def test_department_scope(tree):
    handler = factories.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
    assert list(scoped(Department.objects.all(), handler, VIEW)) == [tree.dept_erqi]


def test_multiple_scopes_are_a_union(tree):
    u = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    Scope.objects.create(user=u, role=Role.COMMUNITY_ADMIN, kind=ScopeKind.REGION, region=tree.comm_b2)
    forget_scopes(u)
    assert _codes(scoped(Region.objects.all(), u, VIEW)) == sorted([tree.comm_a1.code, tree.comm_b2.code])
    assert region_paths(u, VIEW) == sorted([tree.comm_a1.path, tree.comm_b2.path])


def test_inactive_scope_is_ignored(tree):
    u = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    Scope.objects.filter(user=u).update(is_active=False)
    forget_scopes(u)
    assert not scoped(Region.objects.all(), u, VIEW).exists()
    assert not can(u, VIEW)
    assert region_paths(u, VIEW) == []


def test_role_without_the_action_reaches_nothing(tree):
    resident = factories.user(Role.RESIDENT, region=tree.comm_a1)
    assert not scoped(Region.objects.all(), resident, VIEW).exists()
    assert not can(resident, VIEW)
    with pytest.raises(PermissionDenied):
        require(resident, VIEW)


def test_self_reach_only_own_records(tree):
    org = factories.party_org(tree.comm_a1)
    me = factories.user(Role.MEMBER, region=tree.comm_a1)
    mine = factories.member(org, user=me)
    factories.member(org)
    assert list(scoped(Member.objects.all(), me, OWN)) == [mine]


def test_superuser_sees_everything_inactive_superuser_nothing(tree):
    root = factories.user(is_superuser=True)
    assert scoped(Region.objects.all(), root, VIEW).count() == Region.objects.count()
    assert can(root, VIEW) and region_paths(root, VIEW) == [""]
    root.is_active = False
    assert not scoped(Region.objects.all(), root, VIEW).exists()
    assert not can(root, VIEW)


def test_anonymous_and_none_reach_nothing(tree):
    for nobody in (AnonymousUser(), None):
        assert not scoped(Region.objects.all(), nobody, VIEW).exists()
        assert not can(nobody, VIEW)
        assert region_paths(nobody, VIEW) == []
        with pytest.raises(NotFound):
            get_in_scope(Region.objects.all(), nobody, VIEW, pk=tree.city.pk)


def test_account_without_scope_reaches_nothing(tree):
    u = factories.user()
    assert not scoped(Region.objects.all(), u, VIEW).exists() and not can(u, VIEW)


def test_unknown_action_is_denied_even_to_a_superuser(tree):
    root = factories.user(is_superuser=True)
    admin = factories.user(Role.CITY_ADMIN, region=tree.city)
    for actor in (root, admin):
        assert not can(actor, "coretest.no_such_action")
        assert not scoped(Region.objects.all(), actor, "coretest.no_such_action").exists()
        assert region_paths(actor, "coretest.no_such_action") == []
        with pytest.raises(PermissionDenied):
            require(actor, "coretest.no_such_action")
    with pytest.raises(KeyError):
        permissions.rules_for("coretest.no_such_action")


def test_explicit_scope_fields_override_the_model(tree):
    dept_admin = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    fields = ScopeFields(region=("region_path",))
    assert list(scoped(Department.objects.all(), dept_admin, VIEW, fields)) == [tree.dept_erqi]


def test_scopes_are_read_once_per_actor(tree, django_assert_num_queries):
    u = factories.user(Role.DISTRICT_ADMIN, region=tree.erqi)
    forget_scopes(u)
    with django_assert_num_queries(1):
        can(u, VIEW)
        can(u, VIEW)
        scoped(Region.objects.all(), u, VIEW)
