"""Shared fixtures of the matters domain tests (services, selectors, permissions, deadlines, sweep, races)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.matters import services as svc
from gongjian.matters.models import Matter
from gongjian.regions.models import Department
from gongjian.testing import factories as f


@dataclass
class World:
    tree: Any
    u: dict[str, Any]
    dept_erqi: Department  # 二七区民政局
    dept_erqi_cj: Department  # 二七区城建局
    dept_jinshui: Department  # 金水区民政局
    dept_city: Department  # 郑州市城乡建设局


def build_world(tree: Any) -> World:
    dept_erqi_cj = Department.objects.create(name="二七区城建局", kind="urban_construction", region=tree.erqi, region_path=tree.erqi.path)
    dept_city = Department.objects.create(name="郑州市城乡建设局", kind="urban_construction", region=tree.city, region_path=tree.city.path)
    u = {
        "city": f.user(Role.CITY_ADMIN, region=tree.city, username="m_city", display_name="市级管理员"),
        "erqi": f.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="m_erqi"),
        "jinshui": f.user(Role.DISTRICT_ADMIN, region=tree.jinshui, username="m_jinshui"),
        "sub_a": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="m_sub_a"),
        "sub_b": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_b, username="m_sub_b"),
        "comm_a1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="m_comm_a1", display_name="淮河社区书记"),
        "comm_a2": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a2, username="m_comm_a2"),
        "comm_b1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="m_comm_b1"),
        "h_erqi": f.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi, username="m_h_erqi"),
        "h_cj": f.user(Role.DEPARTMENT_HANDLER, department=dept_erqi_cj, username="m_h_cj"),
        "h_jinshui": f.user(Role.DEPARTMENT_HANDLER, department=tree.dept_jinshui, username="m_h_jinshui"),
        "h_city": f.user(Role.DEPARTMENT_HANDLER, department=dept_city, username="m_h_city"),
        "resident": f.user(Role.RESIDENT, region=tree.comm_a1, username="m_resident", display_name="张大爷"),
        "resident2": f.user(Role.RESIDENT, region=tree.comm_a1, username="m_resident2"),
        "member": f.user(Role.MEMBER, region=tree.comm_a1, username="m_member"),
        "nobody": f.user(None, username="m_nobody"),
    }
    return World(tree, u, tree.dept_erqi, dept_erqi_cj, tree.dept_jinshui, dept_city)


@pytest.fixture(name="w")
def w_fixture(tree: Any) -> World:
    return build_world(tree)


def report(w: World, actor: str = "comm_a1", **kw: Any) -> Matter:
    data: dict[str, Any] = {"title": "小区加装电梯", "description": "3号楼居民希望加装电梯", "community": w.tree.comm_a1,
                            "address": "淮河东路12号院", "reporter_name": "李阿姨", "reporter_phone": "13812345678"}
    data.update(kw)
    return svc.matter_report(actor=w.u[actor], **data)


def accepted(w: World, **kw: Any) -> Matter:
    m = report(w, **kw)
    svc.matter_accept(actor=w.u["comm_a1"], matter=m)
    return m


def at_level(w: World, level: str, **kw: Any) -> Matter:
    """A matter escalated up to ``level`` (subdistrict, district or city)."""
    m = accepted(w, **kw)
    for who in ("comm_a1", "sub_a", "erqi"):
        svc.matter_escalate(actor=w.u[who], matter=m, reason="本级无法解决")
        if m.owner.level == level:
            break
    return m


w = w_fixture  # the same fixture under its own name, for modules that import ``w``
