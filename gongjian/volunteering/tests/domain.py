"""Shared world of the volunteering tests: the test tree (two districts, four communities), two employer units with
liaisons, a branch, in-service members with accounts (their ID numbers kept in clear for the report-in check), and the
administrators of every level.

Use it from a test module with ``from .domain import World, w_fixture  # noqa: F401`` and a ``w`` argument."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.orgs.models import Member, PartyOrg, ResidentUnit
from gongjian.testing import factories as f


@dataclass
class World:
    tree: Any
    u: dict[str, Any]  # accounts by short name
    unit_a: ResidentUnit  # an organ unit in 二七区 (its members live in 淮河社区 and 路砦社区)
    unit_b: ResidentUnit  # a provincial unit in 金水区
    org_a: PartyOrg
    org_b: PartyOrg
    m: dict[str, Member]  # members by short name (m1, m2 have accounts "m1", "m2"; m3 in unit_b, account "m3"; m4 no account)
    id_numbers: dict[str, str] = field(default_factory=dict)  # the members' ID numbers in clear, for the report-in check


def build_world(tree: Any) -> World:
    unit_a = f.unit(tree.erqi, name="二七区委组织部")
    unit_b = f.unit(tree.jinshui, name="河南省供销合作总社")
    org_a = f.party_org(tree.erqi, name="二七区委组织部机关党支部", unit=unit_a)
    org_b = f.party_org(tree.jinshui, name="省供销社机关第一党支部", unit=unit_b)
    u = {
        "city": f.user(Role.CITY_ADMIN, region=tree.city, username="v_city"),
        "erqi": f.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="v_erqi"),
        "jinshui": f.user(Role.DISTRICT_ADMIN, region=tree.jinshui, username="v_jinshui"),
        "sub_a": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="v_sub_a"),
        "comm_a1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="v_comm_a1", display_name="淮河社区书记"),
        "comm_a2": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2, username="v_comm_a2"),
        "comm_b1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="v_comm_b1"),
        "comm_b2": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b2, username="v_comm_b2"),
        "liaison_a": f.user(Role.UNIT_LIAISON, unit=unit_a, username="v_liaison_a"),
        "liaison_b": f.user(Role.UNIT_LIAISON, unit=unit_b, username="v_liaison_b"),
        "resident": f.user(Role.RESIDENT, region=tree.comm_a1, username="v_resident"),
        "nobody": f.user(None, username="v_nobody"),
    }
    ids = {
        "m1": f.new_id_number("410103", "female"),
        "m2": f.new_id_number("410103", "male"),
        "m3": f.new_id_number("410105", "male"),
        "m4": f.new_id_number("410103", "female"),
    }
    homes = {"m1": tree.comm_a1, "m2": tree.comm_a2, "m3": tree.comm_b1, "m4": tree.comm_a1}
    m: dict[str, Member] = {}
    for key, idn in ids.items():
        account = None if key == "m4" else f.user(Role.MEMBER, region=homes[key], username=f"v_{key}")
        org, unit = (org_b, unit_b) if key == "m3" else (org_a, unit_a)
        m[key] = f.member(org, name={"m1": "王芳", "m2": "李强", "m3": "赵磊", "m4": "陈静"}[key], id_number=idn, home=homes[key],
                          employer=unit, in_service=True, user=account, gender="female" if key in ("m1", "m4") else "male")
        if account is not None:
            u[key] = account
    return World(tree, u, unit_a, unit_b, org_a, org_b, m, ids)


@pytest.fixture(name="w")
def w_fixture(tree: Any) -> World:
    return build_world(tree)
