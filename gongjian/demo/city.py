"""The foundation's demo steps: regions, administrative structure, units and party organisations,
members, the 1+N policy library and the demo accounts.

Everything is computed in memory with primary keys handed out in advance (``ctx.new_ids``), then
inserted in batches; no step reads rows back one by one.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import itertools
import random
import secrets
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from stdnum.cn import ric

from gongjian.accounts import services
from gongjian.core import fakes, pii
from gongjian.core.registry import DemoStep
from gongjian.orgs import services as orgs_services
from gongjian.orgs.models import Member, PartyOrg, Policy, ResidentUnit
from gongjian.regions.models import DelegatedPower, Department, GovernanceCommittee, Office, OfficeTemplate, Region, StaffQuota

from . import names
from .steps import DemoAccount, DemoContext

DATA_FILE = Path(__file__).resolve().parent / "data" / "zhengzhou-divisions.csv"
TODAY = dt.date(2026, 7, 1)

CITY_CODE = "410100"
SMALL_DISTRICTS = ("410102", "410103", "410104", "410105")
SEED_SUBDISTRICTS = ("410103001000", "410105002000", "410104008000")  # 淮河路街道, 花园路街道, 紫荆山南路街道
XINWAN_NAME = "馨湾社区"
XINWAN_PARENT = "410104008000"
SEED_COMMUNITIES = {
    "huaihe": "410103001001",  # 淮河社区
    "luzhai": "410103001014",  # 路砦社区
    "gongxiaoshe": "410105002003",  # 省供销社社区
    "tongxin": "410105002012",  # 通信花园社区
}
CENTRAL_DISTRICTS = ("410102", "410103", "410104", "410105")

IN_SERVICE_MEMBERS = {"small": 300, "city": 118_000}
ORGAN_UNITS = {"small": 36, "city": 630}
STAFF_QUOTA_TOTAL = {"city": 2157}
KIND_MAP = {"other": "subdistrict"}  # zone offices act as subdistricts

LIAISON_UNIT = "河南省供销合作总社"
# Units placed in the seed's communities (elsewhere units land in a random community of their district).
UNIT_HOMES = {"河南省供销合作总社": "410105002003", "河南省通信管理局": "410105002012", "河南省水利厅": "410105002004",
              "淮河路小学": "410103001001", "淮河路社区卫生服务中心": "410103001014"}


def short_name(name: str, kind: str) -> str:
    """淮河社区居民委员会 → 淮河社区; 小岗刘村委会 → 小岗刘村."""
    for suffix in ("居民委员会", "居委会"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            return name if name.endswith("社区") else name + "社区"
    for suffix in ("村民委员会", "村委会"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            return name if name.endswith("村") else name + "村"
    return name


def read_divisions(path: Path = DATA_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def select_rows(rows: list[dict[str, str]], scale: str) -> list[dict[str, str]]:
    if scale == "city":
        return rows
    subs = set(SEED_SUBDISTRICTS)
    first_zhongyuan = min(r["code"] for r in rows if r["level"] == "subdistrict" and r["parent_code"] == "410102")
    subs.add(first_zhongyuan)
    out = []
    for r in rows:
        if r["level"] == "city" or (r["level"] == "district" and r["code"] in SMALL_DISTRICTS) or (r["level"] == "subdistrict" and r["code"] in subs):
            out.append(r)
        elif r["level"] == "community" and r["parent_code"] in subs and r["kind"] == "community":
            out.append(r)
    return out


def xinwan_code(rows: list[dict[str, str]]) -> str:
    """The next free urban-committee code under 紫荆山南路街道 (codes 001–199 are urban committees)."""
    used = {r["code"] for r in rows}
    taken = [int(r["code"][9:]) for r in rows if r["parent_code"] == XINWAN_PARENT and int(r["code"][9:]) < 200]
    n = max(taken, default=0) + 1
    while f"{XINWAN_PARENT[:9]}{n:03d}" in used:
        n += 1
    return f"{XINWAN_PARENT[:9]}{n:03d}"


# ---------------------------------------------------------------------------------------------
# Step: regions
# ---------------------------------------------------------------------------------------------
def build_regions(ctx: DemoContext) -> None:
    rows = read_divisions()
    chosen = select_rows(rows, ctx.scale)
    chosen.append({"code": xinwan_code(rows), "name": XINWAN_NAME, "level": "community", "parent_code": XINWAN_PARENT, "kind": "community"})
    order = {"city": 0, "district": 1, "subdistrict": 2, "community": 3}
    chosen.sort(key=lambda r: (order[r["level"]], r["code"]))
    ids = iter(ctx.new_ids(Region, len(chosen)))
    objs = []
    for r in chosen:
        parent = ctx.regions.get(r["parent_code"]) if r["parent_code"] else None
        kind = KIND_MAP.get(r["kind"], r["kind"])
        name = short_name(r["name"], kind) if r["level"] == "community" else r["name"]
        path = (parent.path if parent else "/") + r["code"] + "/"
        region = Region(
            id=next(ids), code=r["code"], name=name, level=r["level"], kind=kind, parent_id=parent.id if parent else None,
            path=path, depth=path.count("/") - 2, full_name=(parent.full_name if parent else "") + name,
        )
        ctx.regions[region.code] = region
        objs.append(region)
    ctx.bulk(Region, objs)
    urban = len(ctx.communities())
    ctx.say(f"{len(objs):,} regions, {urban:,} urban communities ({XINWAN_NAME} {ctx.region_named(XINWAN_NAME).code})")


# ---------------------------------------------------------------------------------------------
# Step: departments, governance committees, subdistrict structure, quotas, delegated powers
# ---------------------------------------------------------------------------------------------
def _largest_remainder(total: int, weights: list[float], minimum: int = 1) -> list[int]:
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    if rest < 0:
        raise ValueError("total too small")
    wsum = sum(weights) or 1.0
    exact = [rest * w / wsum for w in weights]
    floor = [int(x) for x in exact]
    left = rest - sum(floor)
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - floor[i], -i), reverse=True)
    for i in order[:left]:
        floor[i] += 1
    return [b + f for b, f in zip(base, floor, strict=True)]


def build_structure(ctx: DemoContext) -> None:
    rng = ctx.rng_for("structure")
    city = ctx.regions[CITY_CODE]
    districts = ctx.by_level("district")
    # Departments of the city and of every district.
    departments: list[Department] = []
    by_name: dict[str, Department] = {}
    for place in [city, *districts]:
        for suffix, kind in names.DEPARTMENTS:
            name = f"中共{place.name}{suffix}" if suffix.startswith("委") else f"{place.name}{suffix}"
            dept = Department(id=ctx.new_id(Department), name=name, kind=kind, region_id=place.id, region_path=place.path,
                              phone=f"0371-{rng.randint(60000000, 69999999)}")
            departments.append(dept)
            by_name[name] = dept
    ctx.bulk(Department, departments)
    ctx.data["departments"] = by_name

    committees, links = [], []
    through = GovernanceCommittee.departments.through
    for place in [city, *districts]:
        gc = GovernanceCommittee(
            id=ctx.new_id(GovernanceCommittee), region_id=place.id, region_path=place.path, name=f"{place.name}城乡社区发展治理委员会",
            established_on=dt.date(2019, rng.randint(3, 9), rng.randint(1, 28)), director=fakes.person_name(rng, rng.choice(("male", "female"))),
            remit="统筹民政、财政、城建、人社、房管等部门涉及城乡社区发展治理的政策、资金、项目和力量，研究解决社区治理中的跨部门事项。",
        )
        committees.append(gc)
        for d in departments:
            if d.region_id == place.id and d.kind in names.COMMITTEE_KINDS:
                links.append(through(governancecommittee_id=gc.id, department_id=d.id))
    ctx.bulk(GovernanceCommittee, committees)
    ctx.bulk(through, links)

    # Offices of every subdistrict (街道) from the configurable standard structure.
    templates = list(OfficeTemplate.objects.filter(is_active=True).order_by("order", "id"))
    subdistricts = ctx.by_level("subdistrict", "subdistrict")
    offices = [
        Office(id=ctx.new_id(Office), subdistrict_id=s.id, region_path=s.path, name=t.name, kind=t.kind, order=t.order,
               head=fakes.person_name(rng, rng.choice(("male", "female"))))
        for s in subdistricts for t in templates
    ]
    ctx.bulk(Office, offices)

    # Staff quotas moved down to the subdistricts: 2,157 across the city.
    weights = [1.0 + len([c for c in ctx.within(s, "community")]) for s in subdistricts]
    total = STAFF_QUOTA_TOTAL.get(ctx.scale) or 18 * len(subdistricts)
    counts = _largest_remainder(total, weights) if subdistricts else []
    quotas = [
        StaffQuota(id=ctx.new_id(StaffQuota), subdistrict_id=s.id, region_path=s.path, count=n, year=2019, moved_down=True,
                   note="市、区两级下沉编制")
        for s, n in zip(subdistricts, counts, strict=True)
    ]
    ctx.bulk(StaffQuota, quotas)

    powers = [
        DelegatedPower(id=ctx.new_id(DelegatedPower), region_id=city.id, region_path=city.path, name=name, description=desc,
                       legal_basis="《关于深化街道管理体制改革的实施意见》（郑办〔2019〕21号）", effective_on=dt.date(2019, 6, 1))
        for name, desc in names.DELEGATED_POWERS
    ]
    ctx.bulk(DelegatedPower, powers)
    ctx.say(f"{len(offices):,} offices in {len(subdistricts)} subdistricts, {sum(counts):,} staff positions, {len(powers)} delegated powers")


# ---------------------------------------------------------------------------------------------
# Step: resident units and party organisations
# ---------------------------------------------------------------------------------------------
UNIT_SECTOR = {"organ": "organ", "provincial": "organ", "institution": "organ", "soe": "soe", "bank": "soe", "enterprise": "non_public",
               "school": "school", "hospital": "hospital", "social_org": "social_org"}
USCC_KIND = {"organ": "organ", "provincial": "organ", "institution": "institution", "school": "institution", "hospital": "institution",
             "social_org": "social_org"}


def _organ_name(place_name: str, suffix: str, zone: bool) -> str:
    if suffix.startswith("委"):
        return f"中共{place_name}{'工' if zone else ''}{suffix}"
    if suffix == "团委":
        return f"共青团{place_name}委员会"
    return f"{place_name}{suffix}"


class _Units:
    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx, self.rng = ctx, rng
        self.units: list[ResidentUnit] = []
        self.usccs: set[str] = set()
        self.names: set[str] = set()
        self.owner: dict[int, str] = {}  # organ unit → code of the city/district it belongs to
        self.urban_by_district: dict[str, list[Region]] = defaultdict(list)
        for c in ctx.communities():
            self.urban_by_district[c.code[:6]].append(c)
        for c in ctx.communities(urban_only=False):  # districts with villages only
            if c.code[:6] not in self.urban_by_district:
                self.urban_by_district[c.code[:6]].append(c)
        self.central = [c for d in CENTRAL_DISTRICTS for c in self.urban_by_district.get(d, [])]

    def add(self, name: str, kind: str, where: Region, area: str | None = None, owner: str = "") -> ResidentUnit | None:
        if name in self.names:
            return None
        self.names.add(name)
        where = self.ctx.regions.get(UNIT_HOMES.get(name, "")) or where
        while True:
            code = fakes.uscc_code(self.rng, area_code=area or where.code[:6], kind=USCC_KIND.get(kind, "enterprise"))
            if code not in self.usccs:
                break
        self.usccs.add(code)
        streets = ("路", "街", "大道")
        address = f"{where.full_name}{self.rng.choice(names.FIRM_WORDS)}{self.rng.choice(streets)}{self.rng.randint(1, 300)}号"
        unit = ResidentUnit(
            id=self.ctx.new_id(ResidentUnit), name=name, uscc=code, kind=kind, region_id=where.id, region_path=where.path,
            address=address,
            liaison_name=fakes.person_name(self.rng, self.rng.choice(("male", "female"))),
            liaison_phone_enc=pii.encrypt(fakes.phone(self.rng)),
        )
        self.units.append(unit)
        if owner:
            self.owner[unit.id] = owner
        return unit

    def home(self, district_code: str | None = None) -> Region:
        pool = self.urban_by_district.get(district_code or "", []) or self.central or self.ctx.communities(urban_only=False)
        return self.rng.choice(pool)


def build_units_and_orgs(ctx: DemoContext) -> None:
    rng = ctx.rng_for("units")
    u = _Units(ctx, rng)
    districts = ctx.by_level("district")
    subdistricts = ctx.by_level("subdistrict", "subdistrict")
    # 630 organ units (provincial, city and district organs), each with an organ branch.
    organ_total = ORGAN_UNITS[ctx.scale]
    n_prov = ctx.pick(4, len(names.PROVINCIAL_UNITS))
    n_city = ctx.pick(8, len(names.ORGANS))
    provincial = list(names.PROVINCIAL_UNITS[:n_prov])
    for name in provincial:
        home = ctx.regions.get(UNIT_HOMES.get(name, "")) or u.home()
        u.add(name, "provincial", home, area="410000")
    city = ctx.regions[CITY_CODE]
    for suffix in names.ORGANS[:n_city]:
        u.add(_organ_name(city.name, suffix, False), "organ", u.home(), owner=CITY_CODE)
    per_district = _largest_remainder(organ_total - n_prov - n_city, [1.0] * len(districts), minimum=0)
    for d, n in zip(districts, per_district, strict=True):
        for suffix in names.ORGANS[:n]:
            u.add(_organ_name(d.name, suffix, d.kind == "zone"), "organ", u.home(d.code), area=d.code, owner=d.code)
    organ_units = list(u.units)

    # Other resident units of many kinds.
    for base in names.SOE_BASES[: ctx.pick(3, len(names.SOE_BASES))]:
        u.add(base, "soe", u.home())
    for d in districts[: ctx.pick(2, len(districts))]:
        short = d.name if d.kind != "zone" else d.name.removeprefix("郑州")
        for pattern in names.SOE_CHAINS[: ctx.pick(2, len(names.SOE_CHAINS))]:
            u.add(pattern.format(short), "soe", u.home(d.code), area=d.code)
    for s in rng.sample(subdistricts, ctx.pick(min(6, len(subdistricts)), min(140, len(subdistricts)))):
        bank = rng.choice(names.BANKS)
        u.add(f"{bank}郑州{s.name.removesuffix('街道')}支行", "bank", u.home(s.code[:6]), area=s.code[:6])
    for n in range(1, ctx.pick(4, 80) + 1):
        u.add(f"郑州市第{_cn_number(n)}中学", "school", u.home(rng.choice(CENTRAL_DISTRICTS)))
    for s in subdistricts[: ctx.pick(3, len(subdistricts))]:
        u.add(f"{s.name.removesuffix('街道')}小学", "school", u.home(s.code[:6]), area=s.code[:6])
        u.add(f"{s.name.removesuffix('街道')}社区卫生服务中心", "hospital", u.home(s.code[:6]), area=s.code[:6])
    for name in names.HOSPITALS[: ctx.pick(2, len(names.HOSPITALS))]:
        u.add(name, "hospital", u.home())
    for d in districts[: ctx.pick(2, len(districts))]:
        for suffix in names.INSTITUTIONS[: ctx.pick(2, len(names.INSTITUTIONS))]:
            u.add(f"{d.name}{suffix}", "institution", u.home(d.code), area=d.code)
    target = len(u.units) + ctx.pick(12, 600)
    while len(u.units) < target:
        place = rng.choice(("河南", "郑州"))
        u.add(f"{place}{rng.choice(names.FIRM_WORDS)}{rng.choice(names.FIRM_TRADES)}有限公司", "enterprise", u.home(rng.choice(districts).code))
    target = len(u.units) + ctx.pick(4, 150)
    while len(u.units) < target:
        d = rng.choice(districts)
        u.add(f"{d.name}{rng.choice(names.FIRM_WORDS)}{rng.choice(names.SOCIAL_ORG_KINDS)}", "social_org", u.home(d.code), area=d.code)
    ctx.bulk(ResidentUnit, u.units)
    ctx.data["units"] = u.units
    ctx.data["organ_units"] = organ_units
    ctx.data["units_by_name"] = {x.name: x for x in u.units}

    # Party organisations.
    orgs: list[PartyOrg] = []

    def org(name: str, rank: str, sector: str, region: Region, parent: PartyOrg | None = None, *, unit: ResidentUnit | None = None,
            formation: str = "standalone", basis: str = "location", region_path: str | None = None) -> PartyOrg:
        oid = ctx.new_id(PartyOrg)
        o = PartyOrg(
            id=oid, name=name, rank=rank, sector=sector, formation=formation, basis=basis, region_id=region.id,
            region_path=region_path or region.path, unit_id=unit.id if unit else None, parent_id=parent.id if parent else None,
            org_path=(parent.org_path if parent else "/") + f"{oid}/",
            founded_on=dt.date(rng.randint(1985, 2020), rng.randint(1, 12), rng.randint(1, 28)),
        )
        orgs.append(o)
        return o

    subdistrict_orgs: dict[str, PartyOrg] = {}
    for s in ctx.by_level("subdistrict"):
        if s.kind == "subdistrict":
            subdistrict_orgs[s.code] = org(f"{s.name}党工委", "working_committee", "community", s)
        else:
            subdistrict_orgs[s.code] = org(f"{s.name}党委", "committee", "community", s)
    community_branches: dict[str, list[PartyOrg]] = {}
    ordinals = "一二三四五六"
    for c in ctx.communities(urban_only=False):
        sub_org = subdistrict_orgs[c.code[:9] + "000"]
        if c.kind == "village":
            community_branches[c.code] = [org(f"{c.name}党支部", "branch", "community", c, sub_org)]
            continue
        top = org(f"{c.name}党委", "committee", "community", c, sub_org)
        n = ctx.pick(2, rng.randint(2, 4))
        community_branches[c.code] = [
            org(f"{c.name}第{ordinals[i]}党支部", "branch", "community", c, top, basis=rng.choice(("location", "location", "interest")))
            for i in range(n)
        ]
    # Organ working committees of the city and each district, parents of the organ branches.
    organ_committees = {p.code: org(f"中共{p.name}直属机关工作委员会", "working_committee", "organ", p) for p in [city, *districts]}
    unit_orgs: dict[int, PartyOrg] = {}  # the branch each unit's members belong to
    for unit in u.units:
        region = ctx.region_by_id(unit.region_id)
        sector = UNIT_SECTOR.get(unit.kind, "non_public")
        parent: PartyOrg | None
        if unit.kind in ("organ", "provincial"):
            parent = organ_committees.get(u.owner.get(unit.id, ""))  # provincial units: outside the city's organ committee
            unit_orgs[unit.id] = org(f"{unit.name}机关党支部", "branch", sector, region, parent, unit=unit, basis="industry")
        elif unit.kind in ("enterprise", "social_org"):
            joint = rng.random() < 0.3
            formation = "joint" if joint else rng.choice(("standalone", "standalone", "affiliated"))
            parent = subdistrict_orgs.get(region.code[:9] + "000")
            name = f"{unit.name}{'联合' if joint else ''}党支部"
            unit_orgs[unit.id] = org(name, "branch", sector, region, parent, unit=unit, formation=formation, basis="industry")
        elif unit.kind in ("bank", "institution"):
            unit_orgs[unit.id] = org(f"{unit.name}党支部", "branch", sector, region, unit=unit, basis="industry")
        else:
            top_rank, top_name = ("committee", "党委") if unit.kind == "soe" else ("general_branch", "党总支")
            top = org(f"{unit.name}{top_name}", top_rank, sector, region, unit=unit, basis="industry")
            unit_orgs[unit.id] = org(f"{unit.name}第一党支部", "branch", sector, region, top, unit=unit, basis="industry")
    ctx.bulk(PartyOrg, orgs)
    ctx.data["orgs"] = {o.id: o for o in orgs}
    ctx.data["community_branches"] = community_branches
    ctx.data["unit_orgs"] = unit_orgs
    ctx.say(f"{len(u.units):,} resident units ({len(organ_units)} organ units with organ branches), {len(orgs):,} party organisations")


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


# ---------------------------------------------------------------------------------------------
# Step: members
# ---------------------------------------------------------------------------------------------
FALLBACK_AREAS = ("410120", "410121", "410100")


@lru_cache(maxsize=4096)
def _area_valid(area: str, year: int) -> bool:
    body = f"{area}{year}0101001"
    try:
        return ric.is_valid(body + ric.calc_check_digit(body + "0"))
    except (KeyError, ValueError):  # stdnum's place table lacks some zone codes
        return False


def id_number_for(rng: random.Random, area: str, birth: dt.date, gender: str) -> str:
    """A valid ID number: the area code must have existed in the birth year (checked with stdnum)."""
    for candidate in (area, *FALLBACK_AREAS):
        if _area_valid(candidate, birth.year):
            seq = rng.randint(0, 499) * 2 + (1 if gender == "male" else 0)
            body = f"{candidate}{birth:%Y%m%d}{seq:03d}"
            return body + ric.calc_check_digit(body + "0")
    raise ValueError(f"no valid area for {birth}")


class _MemberMaker:
    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx, self.rng = ctx, rng
        self.seen: set[str] = set()
        self.ids = iter(())
        self.first_of_org: dict[int, int] = {}

    def make(self, org: PartyOrg, home: Region | None, *, in_service: bool, employer_id: int | None) -> Member:
        rng = self.rng
        gender = "male" if rng.random() < (0.56 if in_service else 0.5) else "female"
        birth = fakes.birth_date(rng, min_age=23 if in_service else 20, max_age=59 if in_service else 88, today=TODAY)
        area = (home.code if home else org.region_path.strip("/").split("/")[-1])[:6]
        while True:
            idn = id_number_for(rng, area, birth, gender)
            if idn not in self.seen:
                break
            birth = birth + dt.timedelta(days=1)
        self.seen.add(idn)
        ph = fakes.phone(rng)
        age_at_join = rng.randint(18, 45)
        join = min(dt.date(birth.year + age_at_join, rng.randint(1, 12), rng.randint(1, 28)), TODAY - dt.timedelta(days=rng.randint(30, 900)))
        probationary = (TODAY - join).days < 365
        mid = self.ctx.new_id(Member)
        self.first_of_org.setdefault(org.id, mid)
        return self.ctx.make(
            Member,
            id=mid, name=fakes.person_name(rng, gender), gender=gender, birth_date=birth,
            id_number_enc=pii.encrypt(idn), id_number_hash=pii.lookup_hash(idn), phone_enc=pii.encrypt(ph), phone_hash=pii.lookup_hash(ph),
            org_id=org.id, region_path=org.region_path, employer_unit_id=employer_id, home_community_id=home.id if home else None,
            home_path=home.path if home else "", in_service=in_service, join_date=join, status="probationary" if probationary else "full",
        )


def build_members(ctx: DemoContext) -> None:
    rng = ctx.rng_for("members")
    maker = _MemberMaker(ctx, rng)
    communities = ctx.communities()
    by_district: dict[str, list[Region]] = defaultdict(list)
    for c in communities:
        by_district[c.code[:6]].append(c)
    community_branches: dict[str, list[PartyOrg]] = ctx.data["community_branches"]

    def community_members() -> Any:
        for c in ctx.communities(urban_only=False):
            branches = community_branches[c.code]
            # at least three members a branch (the rule for founding one), also in the small city
            n = ctx.pick(6, rng.randint(22, 38)) if c.kind == "community" else rng.randint(3, 9)
            for i in range(n):
                yield maker.make(branches[i % len(branches)], c, in_service=False, employer_id=None)

    ctx.bulk(Member, community_members())

    # In-service members: employed by organs, enterprises, schools …; home community set (ready to report in).
    units = list(ctx.data["units"])
    unit_orgs: dict[int, PartyOrg] = ctx.data["unit_orgs"]
    weights = [rng.uniform(0.3, 3.0) * (2.0 if x.kind in ("organ", "provincial", "soe") else 1.0) for x in units]
    cum = list(itertools.accumulate(weights))

    def in_service_members() -> Any:
        for i in range(IN_SERVICE_MEMBERS[ctx.scale]):
            # every unit's branch gets at least one member (its secretary), the rest by weight
            unit = units[i] if i < len(units) else units[bisect.bisect(cum, rng.random() * cum[-1])]
            district = unit.region_path.strip("/").split("/")[1] if unit.region_path.count("/") > 2 else ""
            pool = by_district.get(district) if rng.random() < 0.6 else None
            home = rng.choice(pool or communities)
            yield maker.make(unit_orgs[unit.id], home, in_service=True, employer_id=unit.id)

    ctx.bulk(Member, in_service_members())

    # Secretaries: a branch's first member; a committee's, the secretary of its first branch.
    secretary = dict(maker.first_of_org)
    for o in sorted(ctx.data["orgs"].values(), key=lambda o: -o.org_path.count("/")):
        if o.id in secretary and o.parent_id and o.parent_id not in secretary:
            secretary[o.parent_id] = secretary[o.id]
    from django.db import connection

    table = PartyOrg._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET secretary_id = %s WHERE id = %s", [(m, o) for o, m in secretary.items()])  # noqa: S608
    ctx.say(f"{len(maker.seen):,} members, {len(secretary):,} secretaries")


# ---------------------------------------------------------------------------------------------
# Step: the 1+N policy library
# ---------------------------------------------------------------------------------------------
def policy_search_fields(title: str, doc_number: str, issuer: str, body: str) -> dict[str, Any]:
    """The search columns exactly as the orgs module's policy service fills them."""
    tokens, count = orgs_services.policy_search_columns(title, doc_number, issuer, body)
    fields: dict[str, Any] = {"search_tokens": tokens}
    if any(f.name == "token_count" for f in Policy._meta.concrete_fields):
        fields["token_count"] = count
    return fields


def build_policies(ctx: DemoContext) -> None:
    city = ctx.regions[CITY_CODE]
    erqi = ctx.regions.get("410103")
    objs = []
    for title, number, level, role, issuer, issued, body in names.POLICIES:
        region = erqi if level == "district" else city if level == "city" else None
        text = "\n\n".join(body)
        objs.append(Policy(id=ctx.new_id(Policy), title=title, doc_number=number, level=level, role=role, issuer=issuer,
                           issued_on=dt.date.fromisoformat(issued), body=text, region_id=region.id if region else None,
                           **policy_search_fields(title, number, issuer, text)))
    ctx.bulk(Policy, objs)


# ---------------------------------------------------------------------------------------------
# Step: demo accounts, one per role and scope
# ---------------------------------------------------------------------------------------------
DEMO_USERNAMES = (
    "demo_city_admin", "demo_district_admin", "demo_subdistrict_admin", "demo_community_huaihe", "demo_community_xinwan",
    "demo_community_gongxiaoshe", "demo_community_tongxin", "demo_community_luzhai", "demo_unit_liaison", "demo_member",
    "demo_department", "demo_instructor", "demo_reviewer", "demo_resident",
)


def demo_password() -> str:
    return "Demo-" + secrets.token_urlsafe(9)


def build_accounts(ctx: DemoContext) -> None:
    r = ctx.regions
    xinwan = ctx.region_named(XINWAN_NAME)
    liaison_unit = ctx.data["units_by_name"][LIAISON_UNIT]
    department = ctx.data["departments"]["二七区民政局"]
    huaihe, luzhai = r[SEED_COMMUNITIES["huaihe"]], r[SEED_COMMUNITIES["luzhai"]]
    gongxiaoshe, tongxin = r[SEED_COMMUNITIES["gongxiaoshe"]], r[SEED_COMMUNITIES["tongxin"]]
    plan: list[tuple[str, str, str, dict[str, Any], str, str]] = [
        ("city_admin", "demo_city_admin", "郑州市管理员", {"region": r[CITY_CODE]}, CITY_CODE, r[CITY_CODE].name),
        ("district_admin", "demo_district_admin", "二七区管理员", {"region": r["410103"]}, "410103", r["410103"].name),
        ("subdistrict_admin", "demo_subdistrict_admin", "淮河路街道管理员", {"region": r["410103001000"]}, "410103001000", r["410103001000"].name),
        ("community_admin", "demo_community_huaihe", "淮河社区书记", {"region": huaihe}, huaihe.code, huaihe.name),
        ("community_admin", "demo_community_xinwan", "馨湾社区书记", {"region": xinwan}, xinwan.code, xinwan.name),
        ("community_admin", "demo_community_gongxiaoshe", "省供销社社区书记", {"region": gongxiaoshe}, gongxiaoshe.code, gongxiaoshe.name),
        ("community_admin", "demo_community_tongxin", "通信花园社区书记", {"region": tongxin}, tongxin.code, tongxin.name),
        ("community_admin", "demo_community_luzhai", "路砦社区书记", {"region": luzhai}, luzhai.code, luzhai.name),
        ("unit_liaison", "demo_unit_liaison", f"{LIAISON_UNIT}联络员", {"unit": liaison_unit}, liaison_unit.uscc, liaison_unit.name),
        ("member", "demo_member", "", {"region": huaihe}, huaihe.code, huaihe.name),
        ("department_handler", "demo_department", "二七区民政局承办人", {"department": department}, "410103", department.name),
        ("instructor", "demo_instructor", "金水区党建指导员", {"region": r["410105"]}, "410105", r["410105"].name),
        ("reviewer", "demo_reviewer", "案例评审专家", {"region": r[CITY_CODE]}, CITY_CODE, r[CITY_CODE].name),
        ("resident", "demo_resident", "淮河社区居民", {"region": huaihe}, huaihe.code, huaihe.name),
    ]
    # the demo's member account: an in-service member living in 淮河社区 (he reports in there, 双报到), else one of its branch
    huaihe_member = (
        Member.objects.filter(home_path=huaihe.path, in_service=True, user__isnull=True).order_by("id").first()
        or Member.objects.filter(region_path=huaihe.path, in_service=False, user__isnull=True).order_by("id").first()
    )
    for role, username, display, target, code, scope_name in plan:
        if role == "member" and huaihe_member is not None:
            display = huaihe_member.name
        password = demo_password()
        user = services.user_create(actor=None, username=username, password=password, display_name=display, validate=False)
        services.scope_grant(actor=None, user=user, role=role, **target)
        ctx.count(type(user))
        if role == "member" and huaihe_member is not None:
            Member.objects.filter(pk=huaihe_member.pk).update(user=user)
        if role == "unit_liaison":
            ResidentUnit.objects.filter(pk=liaison_unit.pk).update(liaison=user, liaison_name=display)
        ctx.accounts.append(DemoAccount(role=role, username=username, password=password, scope_code=code, scope_name=scope_name))


STEPS = [
    DemoStep("regions", 10, build_regions, models=(Region,)),
    DemoStep("regions.structure", 20, build_structure,
             models=(Department, GovernanceCommittee, GovernanceCommittee.departments.through, Office, StaffQuota, DelegatedPower)),
    DemoStep("orgs.units", 30, build_units_and_orgs, models=(ResidentUnit, PartyOrg)),
    DemoStep("orgs.members", 40, build_members, models=(Member,)),
    DemoStep("orgs.policies", 50, build_policies, models=(Policy,)),
    DemoStep("accounts", 90, build_accounts),
]
