from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.cobuild.models import Category
from gongjian.orgs.models import ResidentUnit
from gongjian.testing import factories as f


@dataclass
class World:
    tree: Any
    unit_a: ResidentUnit  # in 淮河社区 (二七区), with coordinates
    unit_b: ResidentUnit  # in 省供销社社区 (金水区)
    cat: Category  # 助老
    venue: Category  # 场地
    users: dict[str, Any]


@pytest.fixture
def world(tree: Any) -> World:
    unit_a = f.unit(tree.comm_a1, "二七区某机关")
    ResidentUnit.objects.filter(pk=unit_a.pk).update(lat="34.742100", lng="113.638000")
    unit_a.refresh_from_db()
    unit_b = f.unit(tree.comm_b1, "省供销合作总社")
    users = {
        "city_admin": f.user(Role.CITY_ADMIN, region=tree.city, username="city"),
        "district_admin": f.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="erqi"),
        "subdistrict_admin": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="sub_a"),
        "community_admin": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="comm_a1"),
        "community_admin_b": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="comm_b1"),
        "unit_liaison": f.user(Role.UNIT_LIAISON, unit=unit_a, username="liaison_a"),
        "unit_liaison_b": f.user(Role.UNIT_LIAISON, unit=unit_b, username="liaison_b"),
        "resident": f.user(Role.RESIDENT, region=tree.comm_a1, username="resident"),
        "resident_b": f.user(Role.RESIDENT, region=tree.comm_b1, username="resident_b"),
        "member": f.user(Role.MEMBER, region=tree.comm_a1, username="member"),
        "instructor": f.user(Role.INSTRUCTOR, region=tree.erqi, username="instructor"),
        "nobody": f.user(None, username="nobody"),
    }
    # get_or_create: the migration seeds them, but a transactional test run earlier (on PostgreSQL,
    # a TRUNCATE) empties the table for the tests after it.
    help_old, _c = Category.objects.get_or_create(name="助老", defaults={"sort_order": 10})
    venue, _c = Category.objects.get_or_create(name="场地", defaults={"sort_order": 100})
    return World(tree, unit_a, unit_b, help_old, venue, users)
