from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from gongjian.accounts.choices import Role
from gongjian.matters import services as matter_services
from gongjian.matters.models import Matter
from gongjian.meetings import services
from gongjian.meetings.choices import MeetingKind
from gongjian.meetings.models import Meeting
from gongjian.regions.models import Department
from gongjian.testing import factories as f


@dataclass
class World:
    tree: Any
    dept_build: Department  # 二七区城建局
    dept_city: Department  # 郑州市住房保障和房地产管理局
    users: dict[str, Any]

    def u(self, key: str) -> Any:
        return self.users[key]


@pytest.fixture
def world(tree: Any) -> World:
    build = Department.objects.create(name="二七区城建局", kind="urban_construction", region=tree.erqi, region_path=tree.erqi.path)
    city_dept = Department.objects.create(name="郑州市住房保障和房地产管理局", kind="housing", region=tree.city, region_path=tree.city.path)
    users = {
        "city": f.user(Role.CITY_ADMIN, region=tree.city, username="city"),
        "erqi": f.user(Role.DISTRICT_ADMIN, region=tree.erqi, username="erqi"),
        "jinshui": f.user(Role.DISTRICT_ADMIN, region=tree.jinshui, username="jinshui"),
        "sub_a": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="sub_a"),
        "sub_a2": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_a, username="sub_a2"),
        "sub_b": f.user(Role.SUBDISTRICT_ADMIN, region=tree.sub_b, username="sub_b"),
        "comm_a1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_a1, username="comm_a1"),
        "comm_b1": f.user(Role.COMMUNITY_ADMIN, region=tree.comm_b1, username="comm_b1"),
        "handler_build": f.user(Role.DEPARTMENT_HANDLER, department=build, username="h_build"),
        "handler_erqi": f.user(Role.DEPARTMENT_HANDLER, department=tree.dept_erqi, username="h_erqi"),
        "handler_jinshui": f.user(Role.DEPARTMENT_HANDLER, department=tree.dept_jinshui, username="h_jinshui"),
        "resident": f.user(Role.RESIDENT, region=tree.comm_a1, username="resident"),
        "liaison": f.user(Role.UNIT_LIAISON, unit=f.unit(tree.comm_a1), username="liaison"),
    }
    return World(tree, build, city_dept, users)


def soon(days: int = 7, hour: int = 9) -> dt.datetime:
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def plan(w: World, actor_key: str = "sub_a", region: Any = None, **kw: Any) -> Meeting:
    region = region or w.tree.sub_a
    data = {"title": "二季度党建协调会", "starts_at": soon(), "place": "街道党群服务中心", "chair": "张书记"}
    data.update(kw)
    return services.meeting_plan(actor=w.u(actor_key), region=region, **data)


def exchange(w: World, **kw: Any) -> Meeting:
    data = {"kind": MeetingKind.SECRETARY_EXCHANGE, "title": "街道书记交流会", "theme": "物业管理融入基层治理", "is_video": True,
            "starts_at": soon()}
    data.update(kw)
    return services.meeting_plan(actor=w.u("city"), region=w.tree.city, **data)


def escalated(w: World, community: Any = None, title: str = "老旧小区加装电梯", to_district: bool = False) -> Matter:
    """A matter reported in a community, accepted and escalated to its subdistrict (and on to the district)."""
    community = community or w.tree.comm_a1
    admin = w.u("comm_a1") if community == w.tree.comm_a1 else w.u("comm_b1")
    m = matter_services.matter_report(actor=admin, title=title, description="居民反映", community=community)
    matter_services.matter_accept(actor=admin, matter=m)
    matter_services.matter_escalate(actor=admin, matter=m, reason="社区无法协调")
    if to_district:
        sub = w.u("sub_a") if community.path.startswith(w.tree.sub_a.path) else w.u("sub_b")
        matter_services.matter_escalate(actor=sub, matter=m, reason="街道无法协调")
    return Matter.objects.get(pk=m.pk)


def hold(w: World, m: Meeting, actor_key: str = "sub_a") -> Meeting:
    Meeting.objects.filter(pk=m.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
    return services.meeting_hold(actor=w.u(actor_key), meeting=m, minutes="会议研究了议题并形成决议。")
