"""accounts.selectors: who holds a role on many places at once (the overdue sweep's notices)."""

from __future__ import annotations

import pytest

from gongjian.accounts import selectors
from gongjian.accounts.choices import Role
from gongjian.accounts.models import Scope
from gongjian.testing import factories

pytestmark = pytest.mark.django_db


def test_holders_by_place_groups_active_holders_of_the_roles_by_region_and_department(tree) -> None:
    a1 = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    a1_too = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    gone = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1)
    gone.is_active = False
    gone.save()
    revoked = factories.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2)
    Scope.objects.filter(user=revoked).update(is_active=False)
    factories.user(Role.MEMBER, region=tree.comm_a1)  # another role on the same place
    handler = factories.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi)
    out = selectors.holders_by_place(roles=[Role.COMMUNITY_ADMIN], region_ids=[tree.comm_a1.pk, tree.comm_a2.pk])
    assert set(out) == {("region", tree.comm_a1.pk)}
    assert {u.pk for u in out[("region", tree.comm_a1.pk)]} == {a1.pk, a1_too.pk}
    depts = selectors.holders_by_place(roles=[Role.DEPARTMENT_HANDLER], department_ids=[tree.dept_erqi.pk, tree.dept_jinshui.pk])
    assert {k: [u.pk for u in v] for k, v in depts.items()} == {("department", tree.dept_erqi.pk): [handler.pk]}
    assert selectors.holders_by_place(roles=[Role.COMMUNITY_ADMIN]) == {}
