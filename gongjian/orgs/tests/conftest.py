from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.orgs.models import Member, PartyOrg, ResidentUnit
from gongjian.testing import factories as f


@dataclass
class World:
    tree: Any
    committee_a: PartyOrg  # 淮河路街道党工委 (sub_a)
    org_a1: PartyOrg  # branch in 淮河社区
    org_a2: PartyOrg  # branch in 路砦社区
    org_b1: PartyOrg  # branch in 省供销社社区 (other district)
    unit_a: ResidentUnit  # organ in comm_a1
    unit_b: ResidentUnit  # organ in comm_b1
    m_a1: Member  # member of org_a1, lives in comm_a1
    m_a2: Member  # member of org_a2
    m_b1: Member  # member of org_b1, employed by unit_a, lives in comm_b1
    users: dict[str, Any]


@pytest.fixture
def world(tree: Any) -> World:
    committee_a = f.party_org(tree.sub_a, "淮河路街道党工委", rank="working_committee")
    org_a1 = f.party_org(tree.comm_a1, "淮河社区第一党支部", parent=committee_a)
    org_a2 = f.party_org(tree.comm_a2, "路砦社区党支部", parent=committee_a)
    org_b1 = f.party_org(tree.comm_b1, "省供销社社区党支部")
    unit_a = f.unit(tree.comm_a1, "二七区某机关")
    unit_b = f.unit(tree.comm_b1, "省供销合作总社", kind="organ")
    m_a1 = f.member(org_a1, name="张伟", home=tree.comm_a1, phone="13800001111")
    m_a2 = f.member(org_a2, name="李娜", gender="female", home=tree.comm_a2)
    m_b1 = f.member(org_b1, name="王强", home=tree.comm_b1, employer=unit_a, in_service=True)
    member_user = f.user(Role.MEMBER, region=tree.comm_a1, username="member_a1")
    Member.objects.filter(pk=m_a1.pk).update(user=member_user)
    m_a1.refresh_from_db()
    users = {
        "city_admin": f.user(Role.CITY_ADMIN, region=tree.city, username="city"),
        "district_admin": f.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="erqi"),
        "subdistrict_admin": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="sub_a"),
        "community_admin": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="comm_a1"),
        "community_admin_b": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="comm_b1"),
        "unit_liaison": f.user(Role.UNIT_LIAISON, unit=unit_a, username="liaison_a"),
        "member": member_user,
        "department_handler": f.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi, username="dept"),
        "instructor": f.user(Role.INSTRUCTOR, region=tree.erqi, username="instructor"),
        "reviewer": f.user(Role.REVIEWER, region=tree.city, username="reviewer"),
        "resident": f.user(Role.RESIDENT, region=tree.comm_a1, username="resident"),
        "nobody": f.user(None, username="nobody"),
    }
    return World(tree, committee_a, org_a1, org_a2, org_b1, unit_a, unit_b, m_a1, m_a2, m_b1, users)
