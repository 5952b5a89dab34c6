from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gongjian.accounts.choices import Role
from gongjian.testing import factories


@dataclass
class Actors:
    city: Any
    erqi: Any  # district admin of 二七区
    jinshui: Any  # district admin of 金水区
    sub_a: Any  # subdistrict admin of 淮河路街道
    comm_a1: Any  # community admin of 淮河社区
    handler: Any  # department handler of 二七区民政局
    instructor: Any  # instructor in 二七区
    member: Any  # party member in 淮河社区
    resident: Any
    nobody: Any  # signed in, no scope


@pytest.fixture
def actors(tree) -> Actors:
    u = factories.user
    return Actors(
        city=u(Role.CITY_ADMIN, region=tree.city),
        erqi=u(Role.DISTRICT_ADMIN, region=tree.erqi),
        jinshui=u(Role.DISTRICT_ADMIN, region=tree.jinshui),
        sub_a=u(Role.SUBDISTRICT_ADMIN, region=tree.sub_a),
        comm_a1=u(Role.COMMUNITY_ADMIN, region=tree.comm_a1),
        handler=u(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi),
        instructor=u(Role.INSTRUCTOR, region=tree.erqi),
        member=u(Role.MEMBER, region=tree.comm_a1),
        resident=u(Role.RESIDENT, region=tree.comm_a1),
        nobody=u(None),
    )


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Chinese is the default UI language; a request in another test must not leak its language here."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield
