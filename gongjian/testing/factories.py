"""Builders for tests: a small region tree, accounts with scopes, units, organisations, members.

They write through the models directly (fast, no audit noise) except where a test is about the
service; use the services in tests that check validation or audit.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Any

from gongjian.accounts.choices import ROLE_REGION_LEVEL, Role, ScopeKind
from gongjian.accounts.models import Scope, User
from gongjian.core import fakes, pii
from gongjian.orgs.models import Member, PartyOrg, ResidentUnit
from gongjian.regions.choices import Level, RegionKind
from gongjian.regions.models import Department, Region

_rng = random.Random(20261125)
_seq = itertools.count(1)
PASSWORD = "Test-pass-123456"


def region(code: str, name: str, level: str, parent: Region | None = None, kind: str | None = None) -> Region:
    path = (parent.path if parent else "/") + code + "/"
    kinds: dict[str, str] = {Level.CITY: RegionKind.CITY, Level.DISTRICT: RegionKind.DISTRICT,
                             Level.SUBDISTRICT: RegionKind.SUBDISTRICT, Level.COMMUNITY: RegionKind.COMMUNITY}
    default_kind = kinds.get(level, RegionKind.GRID)
    return Region.objects.create(
        code=code, name=name, level=level, kind=kind or default_kind, parent=parent, path=path,
        depth=path.count("/") - 2, full_name=((parent.full_name if parent else "") + name),
    )


@dataclass
class Tree:
    """郑州市 › 二七区/金水区 › one subdistrict each › two communities each."""

    city: Region
    erqi: Region
    jinshui: Region
    sub_a: Region  # 二七区 淮河路街道
    sub_b: Region  # 金水区 花园路街道
    comm_a1: Region  # 淮河社区
    comm_a2: Region  # 路砦社区
    comm_b1: Region  # 省供销社社区
    comm_b2: Region  # 通信花园社区
    dept_erqi: Department  # 二七区民政局
    dept_jinshui: Department  # 金水区民政局


def tree() -> Tree:
    city = region("410100", "郑州市", Level.CITY)
    erqi = region("410103", "二七区", Level.DISTRICT, city)
    jinshui = region("410105", "金水区", Level.DISTRICT, city)
    sub_a = region("410103001000", "淮河路街道", Level.SUBDISTRICT, erqi)
    sub_b = region("410105002000", "花园路街道", Level.SUBDISTRICT, jinshui)
    comm_a1 = region("410103001001", "淮河社区", Level.COMMUNITY, sub_a)
    comm_a2 = region("410103001014", "路砦社区", Level.COMMUNITY, sub_a)
    comm_b1 = region("410105002003", "省供销社社区", Level.COMMUNITY, sub_b)
    comm_b2 = region("410105002012", "通信花园社区", Level.COMMUNITY, sub_b)
    dept_erqi = Department.objects.create(name="二七区民政局", kind="civil_affairs", region=erqi, region_path=erqi.path)
    dept_jinshui = Department.objects.create(name="金水区民政局", kind="civil_affairs", region=jinshui, region_path=jinshui.path)
    return Tree(city, erqi, jinshui, sub_a, sub_b, comm_a1, comm_a2, comm_b1, comm_b2, dept_erqi, dept_jinshui)


def user(role: str | None = None, *, region: Region | None = None, unit: ResidentUnit | None = None,
         department: Department | None = None, username: str | None = None, **extra: Any) -> User:
    """An account (password ``PASSWORD``) with one active scope for ``role`` when given."""
    u = User.objects.create_user(username=username or f"user{next(_seq)}", password=PASSWORD, **extra)
    if role:
        if role in ROLE_REGION_LEVEL or role not in (Role.UNIT_LIAISON, Role.DEPARTMENT_HANDLER):
            Scope.objects.create(user=u, role=role, kind=ScopeKind.REGION, region=region)
        elif role == Role.UNIT_LIAISON:
            Scope.objects.create(user=u, role=role, kind=ScopeKind.UNIT, unit=unit)
        else:
            Scope.objects.create(user=u, role=role, kind=ScopeKind.DEPARTMENT, department=department)
    return u


def unit(region: Region, name: str | None = None, kind: str = "organ") -> ResidentUnit:
    return ResidentUnit.objects.create(
        name=name or f"测试单位{next(_seq)}", uscc=fakes.uscc_code(_rng, area_code=region.code, kind=kind),
        kind=kind, region=region, region_path=region.path,
    )


def party_org(region: Region, name: str | None = None, rank: str = "branch", parent: PartyOrg | None = None,
              sector: str = "community", unit: ResidentUnit | None = None) -> PartyOrg:
    org = PartyOrg.objects.create(name=name or f"{region.name}第{next(_seq)}党支部", rank=rank, parent=parent, sector=sector,
                                  region=region, region_path=region.path, unit=unit)
    org.org_path = (parent.org_path if parent else "/") + f"{org.pk}/"
    org.save(update_fields=["org_path"])
    return org


def new_id_number(area_code: str = "410103", gender: str = "male", birth: dt.date | None = None) -> str:
    return fakes.id_number(_rng, area_code=area_code, birth=birth or fakes.birth_date(_rng), gender=gender)


def member(org: PartyOrg, *, name: str | None = None, id_number: str | None = None, phone: str | None = None,
           home: Region | None = None, employer: ResidentUnit | None = None, in_service: bool = False, **extra: Any) -> Member:
    gender = extra.pop("gender", "male")
    idn = id_number or new_id_number(org.region.code[:6], gender)
    ph = phone or fakes.phone(_rng)
    return Member.objects.create(
        name=name or fakes.person_name(_rng, gender), gender=gender, birth_date=pii.birth_date_from_id_number(idn),
        id_number_enc=pii.encrypt(idn), id_number_hash=pii.lookup_hash(idn),
        phone_enc=pii.encrypt(ph), phone_hash=pii.lookup_hash(ph), org=org, region_path=org.region_path,
        employer_unit=employer, home_community=home, home_path=home.path if home else "", in_service=in_service, **extra,
    )
