"""The demo city's partners step: unit report-ins, organ-branch ↔ community partnerships and their yearly agreements."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from gongjian.demo import city
from gongjian.demo.steps import DemoContext, given_timestamps
from gongjian.orgs.models import ResidentUnit

from ..choices import (
    AgreementStatus,
    PartnershipStatus,
    ReportInStatus,
)
from ..demo import NOW, TZ, _Actors, _between, _stamp
from ..models import (
    Partnership,
    PartnershipAgreement,
    UnitReportIn,
)

# ---------------------------------------------------------------------------------------------
# Step: report-ins, partnerships and their yearly agreements
# ---------------------------------------------------------------------------------------------
BRANCH_COMMITMENTS = ("每季度组织在职党员到社区开展一次志愿服务；结对帮扶困难家庭{n}户",
                      "开放机关活动场地供社区使用；参与老旧小区改造协调",
                      "选派业务骨干担任社区“红色顾问”；每月开展一次政策宣讲",
                      "支持社区四点钟课堂、助老送餐项目；节日走访慰问困难党员群众")
COMMUNITY_COMMITMENTS = ("提供党员报到和志愿服务岗位清单；及时反馈居民需求",
                         "组织居民参与联建活动；为机关党员开展社区实践提供便利",
                         "建立联建工作台账，年终联合总结评议")


def build_partners(ctx: DemoContext) -> None:
    rng = ctx.rng_for("cobuild.partners")
    actors = _Actors.load(ctx)
    unit_orgs = ctx.data["unit_orgs"]
    units: list[ResidentUnit] = [*ctx.data["units"], *ctx.data.get("law_firms", [])]
    report_ins: list[UnitReportIn] = []
    for u in units:
        community = ctx.region_by_id(u.region_id)
        org = unit_orgs.get(u.id)
        if community.level != "community" or org is None:  # a unit reports in through its party organisation
            continue
        reported = _between(rng, dt.datetime(2019, 3, 1, 9, tzinfo=TZ), NOW - dt.timedelta(days=2))
        roll = rng.random()
        status = (ReportInStatus.CONFIRMED if roll < 0.86 or u.name == city.LIAISON_UNIT else ReportInStatus.PENDING if roll < 0.95
                  else ReportInStatus.REJECTED if roll < 0.97 else ReportInStatus.ENDED)
        if status == ReportInStatus.PENDING:
            reported = NOW - dt.timedelta(days=rng.uniform(1, 20))
        elif status == ReportInStatus.ENDED:
            reported = _between(rng, dt.datetime(2019, 3, 1, 9, tzinfo=TZ), dt.datetime(2023, 1, 1, 9, tzinfo=TZ))
        ri = UnitReportIn(id=ctx.new_id(UnitReportIn), unit_id=u.id, party_org_id=org.id, community_id=community.id,
                          region_path=community.path, status=status, contact_name=u.liaison_name,
                          offer="在职党员到社区报到，认领志愿服务岗位；单位场地、资源向社区开放。", reported_at=reported,
                          reported_by_id=actors.liaison if u.id == actors.liaison_unit else None)
        if status in (ReportInStatus.CONFIRMED, ReportInStatus.ENDED):
            ri.confirmed_at = min(reported + dt.timedelta(days=rng.uniform(0.2, 15)), NOW - dt.timedelta(hours=2))
            ri.confirmed_by_id = actors.admins.get(community.id)
        if status == ReportInStatus.ENDED:
            assert ri.confirmed_at is not None
            ri.ended_at = ri.confirmed_at + dt.timedelta(days=rng.uniform(90, 700))
            ri.status_note = "单位搬迁出辖区"
        if status == ReportInStatus.REJECTED:
            ri.status_note = "单位不在本社区辖区，请向所在社区报到"
        last = ri.ended_at or ri.confirmed_at or (reported + dt.timedelta(days=3) if status == ReportInStatus.REJECTED else reported)
        report_ins.append(_stamp(ri, reported, min(last, NOW)))

    # One partnership per organ branch (630 at city scale), with a community of its subdistrict.
    urban_by_sub: dict[str, list[Any]] = defaultdict(list)
    for c in ctx.communities():
        urban_by_sub[c.code[:9]].append(c)
    partnerships: list[Partnership] = []
    agreements: list[PartnershipAgreement] = []
    last_year = NOW.year

    def agreements_for(p: Partnership, until: int) -> None:
        for year in range(p.started_on.year, until + 1):
            signed = dt.date(year, rng.randint(1, 3), rng.randint(1, 28))
            if year == p.started_on.year:
                signed = p.started_on + dt.timedelta(days=rng.randint(0, 20))
            status = AgreementStatus.SIGNED
            if year == last_year and rng.random() < 0.1:
                status = AgreementStatus.DRAFT
            created = dt.datetime.combine(signed - dt.timedelta(days=rng.randint(3, 15)), dt.time(10), tzinfo=TZ)
            if signed.year != year or (status == AgreementStatus.SIGNED and signed > NOW.date()):
                signed = min(dt.date(year, 12, 31), NOW.date())
            agreements.append(_stamp(PartnershipAgreement(
                id=ctx.new_id(PartnershipAgreement), partnership_id=p.id, year=year,
                branch_commitments=rng.choice(BRANCH_COMMITMENTS).format(n=rng.randint(2, 10)),
                community_commitments=rng.choice(COMMUNITY_COMMITMENTS), status=status,
                signed_on=signed if status == AgreementStatus.SIGNED else None), min(created, NOW)))

    for u in ctx.data["organ_units"]:
        branch = unit_orgs[u.id]
        home = ctx.region_by_id(u.region_id)
        pool = urban_by_sub.get(home.code[:9]) or [home]
        community = home if rng.random() < 0.4 else rng.choice(pool)
        if rng.random() < ctx.pick(0.15, 0.05):  # an earlier partnership with another community, ended
            other = rng.choice(ctx.communities())
            if other.id != community.id:
                started = dt.date(rng.randint(2019, 2020), rng.randint(1, 12), rng.randint(1, 28))
                ended = dt.date(started.year + rng.randint(1, 2), rng.randint(1, 12), rng.randint(1, 28))
                old = Partnership(id=ctx.new_id(Partnership), branch_id=branch.id, unit_id=u.id, community_id=other.id,
                                  region_path=other.path, status=PartnershipStatus.ENDED, started_on=started, ended_on=ended,
                                  end_reason="结对调整")
                partnerships.append(_stamp(old, dt.datetime.combine(started, dt.time(9), tzinfo=TZ),
                                           dt.datetime.combine(ended, dt.time(17), tzinfo=TZ)))
                agreements_for(old, ended.year - 1 if ended.year > started.year else started.year)
        started = dt.date(rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28))
        p = Partnership(id=ctx.new_id(Partnership), branch_id=branch.id, unit_id=u.id, community_id=community.id, region_path=community.path,
                        status=PartnershipStatus.ACTIVE, started_on=started, created_by_id=actors.admins.get(community.id))
        partnerships.append(_stamp(p, dt.datetime.combine(started, dt.time(9), tzinfo=TZ)))
        agreements_for(p, last_year)
    with given_timestamps(UnitReportIn, Partnership, PartnershipAgreement):
        ctx.bulk(UnitReportIn, report_ins)
        ctx.bulk(Partnership, partnerships)
        ctx.bulk(PartnershipAgreement, agreements)
    active = sum(1 for p in partnerships if p.status == PartnershipStatus.ACTIVE)
    confirmed = sum(1 for r in report_ins if r.status == ReportInStatus.CONFIRMED)
    ctx.say(f"{len(report_ins):,} report-ins ({confirmed:,} confirmed), {active:,} active partnerships, {len(agreements):,} agreements")

