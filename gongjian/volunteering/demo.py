"""The demo city's volunteering step (``volunteering``, order 160, after matters; see ``gongjian/demo/README.md``).

Dates are anchored to the demo's now (30 June 2026, 18:00, as the matters step): the first half of 2026 happened,
July and August are planned. Everything is planned in memory with primary keys handed out in advance and inserted in
batches (no service calls, no audit events: the build's one ``demo.build`` event stands for it).

* **Report-ins (双报到)**: every in-service member reported in to the community where he lives, confirmed (118,000 at
  ``city`` scale — the seed —, 300 at ``small``), 3 % with an earlier ended report-in (moved house); a few retired
  (not in-service) members ask to report in and wait for the community, a few were not accepted; the retired road
  chiefs of 通信花园社区's 银发路长 and the demo member (a community member of 淮河社区, not in-service) reported in too,
  confirmed: ``volunteering.members_reported_in`` is 118,000 plus those.
* **Service posts** (楼栋长, 调解员, 文明劝导员, 网格员, 宣讲员 …) per community with holdings in every status;
  approved holders get monthly post hours.
* **Activities** per community from about fifteen everyday kinds, one to three shifts each over January – August
  2026 (more in March, 学雷锋月, and in the summer holidays), a few drafts and cancelled ones; sign-ups (places,
  waiting lists on full future shifts, cancellations), check-in and check-out times on past shifts, and an hour record
  per attended sign-up: confirmed (points by the point rule), pending for the last two weeks, a few not confirmed.
  Some activities are organised by a resident unit of the community (the demo liaison's unit has some).
* **Pledges**: 2025 pledges assessed (fulfilled or not) and 2026 pledges made (a few already fulfilled).
* **Service brands**: the seed's 馨湾社区 老年日间照料, 淮河社区 四点钟课堂, 省供销社社区 五送服务 and 通信花园社区 银发路长,
  each with its regular activities and the people they served, plus everyday brands in some other communities.
* **Road chiefs (路长制)**: road segments per community, one or two active chiefs on most (some uncovered, some with a
  former chief), fortnightly patrols in 2026 and patrol reports in every status. The road chiefs' matters the matters
  step built (``source=road_chief``) are the reports turned into matters: each gets a patrol report (status
  ``matter``, linked to the matter, reported a little before it, same title and category) on a covered segment of its
  community — so "solved" follows the matter's real status.

Check-in code uses (``CodeUse``) and feedback receipts are not built (the receipts are issued by the community for a
half-year; the members part's service does it on demand).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from gongjian.demo import city
from gongjian.demo.steps import DemoContext
from gongjian.matters.choices import MatterSource
from gongjian.matters.models import Matter
from gongjian.orgs.models import Member, ResidentUnit

from .choices import (
    ActivityStatus,
    HoldingStatus,
    HourKind,
    HourStatus,
    PatrolReportStatus,
    PledgeStatus,
    PostKind,
    ReportInStatus,
    SignupStatus,
)
from .common import point_rule, points_for_hours
from .models import (
    Activity,
    CodeUse,
    FeedbackReceipt,
    HourRecord,
    MemberReportIn,
    PatrolLog,
    PatrolReport,
    Pledge,
    PostHolding,
    RoadChief,
    RoadSegment,
    ServiceBrand,
    ServicePost,
    Shift,
    Signup,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime.combine(city.TODAY, dt.time(18, 0), tzinfo=TZ) - dt.timedelta(days=1)  # 30 June 2026, 18:00
YEAR = NOW.year
PENDING_DAYS = 14  # hours of the last two weeks still wait for the community

SKILLS = ("医疗护理", "法律咨询", "文艺演出", "电脑维修", "心理疏导", "理论宣讲", "驾驶", "摄影", "书法", "辅导作业", "家电维修",
          "周末有空", "工作日晚上有空", "节假日有空")
POSTS: tuple[tuple[str, str, int, str], ...] = (
    (PostKind.BUILDING_CHIEF, "楼栋长", 6, "熟悉楼栋住户，能及时上传下达"),
    (PostKind.MEDIATOR, "矛盾纠纷调解员", 2, "法律、调解经验"),
    (PostKind.CIVILITY, "文明劝导员", 4, "周末有空"),
    (PostKind.GRID, "网格员（兼职）", 3, "熟悉网格情况"),
    (PostKind.LECTURER, "党的理论宣讲员", 2, "理论宣讲"),
    (PostKind.OTHER, "垃圾分类督导员", 4, "早晚有空"),
)
# (title, place, skills, hours, weight, summer_only)
ACTIVITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("环境卫生大扫除", "小区公共区域", "", 2.0, 1.5),
    ("文明交通劝导", "社区周边路口", "", 2.0, 1.2),
    ("关爱独居老人走访", "辖区独居老人家中", "心理疏导", 2.5, 1.0),
    ("垃圾分类宣传督导", "垃圾分类投放点", "", 2.0, 1.3),
    ("反诈宣传进社区", "社区党群服务中心", "", 2.0, 0.8),
    ("义诊进社区", "社区卫生服务站", "医疗护理", 3.0, 0.7),
    ("党的理论宣讲", "社区党群服务中心", "理论宣讲", 1.5, 0.6),
    ("清理楼道堆物", "老旧小区楼道", "", 3.0, 1.0),
    ("助老送餐", "社区老年食堂", "驾驶", 2.0, 0.8),
    ("防汛安全巡查", "小区低洼地段", "", 3.0, 0.5),
    ("创建文明城市志愿服务", "社区主次干道", "", 2.0, 1.0),
    ("邻里节文艺演出", "社区广场", "文艺演出", 3.0, 0.5),
    ("家电义务维修", "社区广场", "家电维修", 3.0, 0.6),
    ("法律咨询服务", "社区党群服务中心", "法律咨询", 2.0, 0.6),
    ("疫苗接种秩序维护", "社区卫生服务站", "", 4.0, 0.4),
)
MONTH_WEIGHT = {1: 0.8, 2: 0.6, 3: 1.6, 4: 1.0, 5: 1.1, 6: 1.0, 7: 1.2, 8: 1.1}
PLEDGES = ("每月参加社区志愿服务不少于2次", "带头做好垃圾分类，劝导身边居民", "联系帮扶1户困难家庭", "担任楼栋长，及时反映居民诉求",
           "参与文明交通劝导不少于10次", "为社区居民提供法律咨询", "带头参加社区环境整治", "结对关爱1名独居老人",
           "参与社区理论宣讲不少于4次", "为辖区青少年辅导功课")
STREETS = ("淮河路", "大学路", "政通路", "汝河路", "兴华街", "陇海路", "花园路", "经三路", "纬五路", "农业路", "金水路", "文化路",
           "丰产路", "黄河路", "东风路", "紫荆山路", "城东路", "航海路", "嵩山路", "建设路", "中原路", "伏牛路", "桐柏路", "二七路",
           "解放路", "人民路", "健康路", "顺河路", "东明路", "未来路")
CROSS = ("一马路", "京广路", "民主路", "工人路", "红旗路", "经二路", "纬四路", "南阳路", "英协路", "城北路")
PROBLEMS = (("井盖缺失", "人行道井盖缺失，行人容易踩空"), ("路灯不亮", "路段数盏路灯夜间不亮"), ("占道经营", "早市摊贩占用人行道经营"),
            ("共享单车乱停", "共享单车堆放在盲道上"), ("绿化带垃圾", "绿化带内堆积生活垃圾"), ("道路破损", "非机动车道坑洼积水"),
            ("违规张贴小广告", "电线杆和墙面小广告较多"), ("树枝遮挡信号灯", "行道树枝叶遮挡交通信号灯"))
BRANDS_SEED = (
    ("馨湾社区", "老年日间照料", "依托社区日间照料中心，为辖区高龄、独居老人提供助餐、陪护、健康监测和文化娱乐服务。", "高龄、独居老人",
     "每周一至周五", ("老年日间照料：助餐陪护", "老年日间照料：健康监测", "老年日间照料：手工和文娱"), 2.5, 25),
    ("淮河社区", "四点钟课堂", "在职党员、退休教师放学后为双职工家庭的孩子辅导作业、开展兴趣课程，解决“四点钟难题”。", "双职工家庭小学生",
     "上学日16:00—18:00", ("四点钟课堂：作业辅导", "四点钟课堂：兴趣课程"), 2.0, 30),
    ("省供销社社区", "五送服务", "联合省供销合作总社机关党员，为困难群众送温暖、送政策、送健康、送文化、送法律。", "困难群众、老年人",
     "每月一次", ("五送服务：送温暖", "五送服务：送政策", "五送服务：送健康", "五送服务：送文化", "五送服务：送法律"), 3.0, 60),
    ("通信花园社区", "银发路长", "退休党员担任路长，每天巡查背街小巷，发现问题及时上报、就地解决。", "背街小巷沿线居民",
     "每天上午", ("银发路长：背街小巷巡查", "银发路长：文明劝导"), 2.0, 40),
)
BRANDS_OTHER = (("红色物业", "党建引领物业服务，解决居民身边的小事。", "小区居民"), ("邻里守望", "党员与独居老人结对，定期上门走访。", "独居老人"),
                ("爱心助餐", "为老年人提供低价、送餐上门的助餐服务。", "60岁以上老人"),
                ("法律明白人", "律师党员每月坐诊，提供免费法律咨询。", "辖区居民"),
                ("健康小屋", "医护党员定期义诊、测血压血糖。", "慢性病患者"))
RESOLUTIONS: dict[str, str] = {PatrolReportStatus.SOLVED: "社区已协调物业和城管处理完毕", PatrolReportStatus.REJECTED: "经核实不属于问题"}
SILVER_CHIEFS = 6  # retired members of 通信花园社区 serving as 银发路长


def _dt(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(seconds=rng.uniform(0, max(0.0, (end - start).total_seconds())))


def _hours(h: float) -> Decimal:
    return Decimal(str(h)).quantize(Decimal("0.01"))


class _Plan:
    """What the step writes, as model objects in lists (inserted in dependency order at the end)."""

    def __init__(self) -> None:
        self.rows: dict[type, list[Any]] = defaultdict(list)

    def add(self, obj: Any) -> Any:
        self.rows[type(obj)].append(obj)
        return obj


def build_volunteering(ctx: DemoContext) -> None:
    rng = ctx.rng_for("volunteering")
    rule = point_rule()
    plan = _Plan()
    written: dict[type, int] = {}

    def flush(*models: type) -> None:
        """Insert what is planned for ``models`` (in this order) and let it go: memory stays one part's rows."""
        for model in models:
            written[model] = ctx.bulk(model, plan.rows.pop(model, []))
    communities = ctx.communities()
    by_id = {c.id: c for c in communities}
    seed = {key: ctx.regions[code] for key, code in city.SEED_COMMUNITIES.items()}
    seed["xinwan"] = ctx.region_named(city.XINWAN_NAME)
    demo_member = Member.objects.filter(user__username="demo_member").values_list("pk", "home_community_id").first()

    # --- report-ins --------------------------------------------------------------------------
    pool: dict[int, list[int]] = defaultdict(list)  # community → members with a confirmed report-in (the volunteers)
    in_service = list(Member.objects.filter(in_service=True, is_active=True, home_community_id__isnull=False)
                      .order_by("pk").values_list("pk", "home_community_id", "employer_unit_id"))
    retired: dict[int, list[int]] = defaultdict(list)
    for pk, home in Member.objects.filter(in_service=False, is_active=True, home_community_id__isnull=False).order_by("pk").values_list(
            "pk", "home_community_id"):
        if home in by_id and (demo_member is None or pk != demo_member[0]):
            retired[home].append(pk)
    ids = iter(ctx.new_ids(MemberReportIn, len(in_service) * 2 + 4 * len(communities) + 10))
    district_comms: dict[str, list[Any]] = defaultdict(list)
    for c in communities:
        district_comms[c.code[:6]].append(c)

    def report_in(member: int, community: Any, unit: int | None, status: str, reported: dt.datetime, **extra: Any) -> MemberReportIn:
        return plan.add(ctx.make(MemberReportIn, id=next(ids), member_id=member, community_id=community.id, region_path=community.path, unit_id=unit,
                                 status=status, skills="、".join(rng.sample(SKILLS, rng.randint(0, 2))), reported_at=reported, **extra))

    def confirmed(member: int, community: Any, unit: int | None, earliest: dt.datetime) -> None:
        reported = _between(rng, earliest, NOW - dt.timedelta(days=20))
        report_in(member, community, unit, ReportInStatus.CONFIRMED, reported, confirmed_at=reported + dt.timedelta(hours=rng.uniform(2, 120)))
        pool[community.id].append(member)

    for pk, home, unit in in_service:
        community = by_id.get(home)
        if community is None:
            continue
        earliest = dt.datetime(2023, 3, 1, 9, tzinfo=TZ)
        if rng.random() < 0.03:  # moved house: an earlier report-in elsewhere, ended
            old = rng.choice(district_comms[community.code[:6]])
            start = _between(rng, earliest, dt.datetime(2024, 6, 1, tzinfo=TZ))
            end = start + dt.timedelta(days=rng.randint(120, 500))
            report_in(pk, old, unit, ReportInStatus.ENDED, start, confirmed_at=start + dt.timedelta(days=2), ended_at=end,
                      end_reason="搬家迁出本社区")
            earliest = end + dt.timedelta(days=3)
        confirmed(pk, community, unit, earliest)
    in_service_count = sum(len(v) for v in pool.values())
    tongxin = seed["tongxin"]
    silver = retired.get(tongxin.id, [])[:SILVER_CHIEFS]
    for pk in silver:
        confirmed(pk, tongxin, None, dt.datetime(2024, 1, 1, 9, tzinfo=TZ))
    if demo_member is not None and demo_member[0] not in pool[seed["huaihe"].id]:  # a retired member: reported in all the same
        confirmed(demo_member[0], seed["huaihe"], None, dt.datetime(2025, 9, 1, 9, tzinfo=TZ))
    waiting = rejected = 0
    for c in communities:
        others = [m for m in retired.get(c.id, []) if m not in silver]
        rng.shuffle(others)
        if others and rng.random() < 0.6:
            waiting += 1
            report_in(others.pop(), c, None, ReportInStatus.PENDING, _between(rng, NOW - dt.timedelta(days=12), NOW))
        if others and rng.random() < 0.1:
            rejected += 1
            at = _between(rng, NOW - dt.timedelta(days=200), NOW - dt.timedelta(days=30))
            report_in(others.pop(), c, None, ReportInStatus.REJECTED, at, rejected_reason="未在本社区居住，请向居住地社区报到")

    flush(MemberReportIn)

    # --- service posts and holdings --------------------------------------------------------
    post_ids = iter(ctx.new_ids(ServicePost, len(communities) * len(POSTS)))
    holding_ids = iter(ctx.new_ids(PostHolding, len(communities) * len(POSTS) * 10))
    holders: list[tuple[int, Any, int]] = []  # (post id, community, member)
    for c in communities:
        members = pool.get(c.id, [])
        for kind, name, needed, skills in rng.sample(POSTS, rng.randint(3, len(POSTS))):
            need = max(1, needed if ctx.is_city else needed // 2)
            post = plan.add(ServicePost(id=next(post_ids), community_id=c.id, region_path=c.path, kind=kind, name=name, needed=need,
                                        skills=skills, description=f"{c.name}{name}，服务本社区居民。"))
            chosen = rng.sample(members, min(len(members), need + 2))
            n_approved = min(len(chosen), max(0, round(need * rng.uniform(0.4, 1.0))))
            for i, m in enumerate(chosen):
                applied = _between(rng, dt.datetime(2025, 6, 1, tzinfo=TZ), NOW - dt.timedelta(days=3))
                status = HoldingStatus.APPROVED if i < n_approved else rng.choice(
                    (HoldingStatus.APPLIED, HoldingStatus.APPLIED, HoldingStatus.REJECTED, HoldingStatus.WITHDRAWN, HoldingStatus.ENDED))
                decided = applied + dt.timedelta(days=rng.randint(1, 6)) if status != HoldingStatus.APPLIED else None
                if decided is not None and decided > NOW:
                    decided = NOW - dt.timedelta(hours=1)
                plan.add(ctx.make(PostHolding,
                    id=next(holding_ids), post_id=post.id, member_id=m, region_path=c.path, status=status, applied_at=applied,
                    decided_at=None if status in (HoldingStatus.APPLIED, HoldingStatus.WITHDRAWN) else decided,
                    reason="岗位人员已满" if status == HoldingStatus.REJECTED else "",
                    ended_at=decided + dt.timedelta(days=60) if status == HoldingStatus.ENDED and decided else
                    (applied + dt.timedelta(days=2) if status == HoldingStatus.WITHDRAWN else None)))
                if status == HoldingStatus.APPROVED:
                    holders.append((post.id, c, m))

    flush(ServicePost, PostHolding)

    # --- brands -------------------------------------------------------------------------------
    brand_ids = iter(ctx.new_ids(ServiceBrand, len(BRANDS_SEED) + len(communities)))
    brand_plan: list[tuple[Any, ServiceBrand, tuple[str, ...], float, int]] = []
    for comm_name, name, desc, group, schedule, seed_titles, hours, served in BRANDS_SEED:
        c = ctx.region_named(comm_name)
        brand = plan.add(ServiceBrand(id=next(brand_ids), community_id=c.id, region_path=c.path, name=name, description=desc,
                                      target_group=group, schedule=schedule))
        brand_plan.append((c, brand, tuple(seed_titles), hours, served))
    seeded = {b.community_id for _c, b, *_ in brand_plan}
    for c in communities:
        if c.id not in seeded and rng.random() < 0.2:
            name, desc, group = rng.choice(BRANDS_OTHER)
            brand = plan.add(ServiceBrand(id=next(brand_ids), community_id=c.id, region_path=c.path, name=name, description=desc,
                                          target_group=group, schedule="每月两次"))
            brand_plan.append((c, brand, (f"{name}服务",), 2.0, 15))

    # --- activities, shifts, sign-ups, hours ------------------------------------------------
    units_in: dict[int, list[int]] = defaultdict(list)
    for uid, region in ResidentUnit.objects.filter(region_id__in=list(by_id)).values_list("pk", "region_id"):
        units_in[region].append(uid)
    liaison_unit: Any = ctx.data.get("units_by_name", {}).get(city.LIAISON_UNIT)
    months = list(MONTH_WEIGHT)
    month_weights = [MONTH_WEIGHT[m] for m in months]
    kinds_weights = [a[4] for a in ACTIVITIES]
    per_community = ctx.pick(8, 6)
    tallies = {"shift_hours": 0, "post_hours": 0}
    hour_rows: list[HourRecord] = []

    def hour_record(member: int, c: Any, kind: str, day: dt.date, hours: float, note: str = "", **links: Any) -> None:
        age = (NOW.date() - day).days
        roll = rng.random()
        status = HourStatus.PENDING if age < PENDING_DAYS else HourStatus.REJECTED if roll < 0.03 else HourStatus.CONFIRMED
        h = _hours(hours)
        conf = _dt(day, 20) + dt.timedelta(days=rng.randint(1, 10)) if status != HourStatus.PENDING else None
        hour_rows.append(ctx.make(HourRecord,
            member_id=member, community_id=c.id, region_path=c.path, kind=kind, date=day, hours=h,
            points=points_for_hours(h, rule) if status == HourStatus.CONFIRMED else 0, status=status,
            note="未签退，时长不予认定" if status == HourStatus.REJECTED else note, confirmed_at=min(conf, NOW) if conf else None, **links))

    def activity(c: Any, title: str, place: str, skills: str, hours: float, days: list[dt.date], *, brand: ServiceBrand | None = None,
                 unit: int | None = None, served: int = 0, force: int | None = None, open_places: bool = False) -> None:
        members = pool.get(c.id, [])
        first = _dt(days[0], 9)
        status = ActivityStatus.FINISHED if all(_dt(d, 18) < NOW for d in days) else ActivityStatus.PUBLISHED
        roll = rng.random() if force is None else 0.5
        if status == ActivityStatus.PUBLISHED and roll < 0.1:
            status = ActivityStatus.DRAFT
        elif roll > 0.97:
            status = ActivityStatus.CANCELLED
        act = plan.add(ctx.make(Activity,
            id=ctx.new_id(Activity), community_id=c.id, region_path=c.path, unit_id=unit, brand_id=brand.id if brand else None,
            title=title, description=f"{c.name}党员志愿者开展{title}活动，欢迎报到党员报名参加。", place=place, status=status,
            people_served=served if status == ActivityStatus.FINISHED else 0,
            published_at=None if status == ActivityStatus.DRAFT else first - dt.timedelta(days=rng.randint(5, 15))))
        for day in days:
            start = _dt(day, rng.choice((8, 9, 14, 15, 16)), rng.choice((0, 30)))
            end = start + dt.timedelta(hours=hours)
            capacity = rng.randint(4, 14) if ctx.is_city else rng.randint(3, 8)
            cancelled = status == ActivityStatus.CANCELLED
            shift = plan.add(ctx.make(Shift, id=ctx.new_id(Shift), activity_id=act.id, region_path=c.path, starts_at=start, ends_at=end, place=place,
                                      capacity=capacity, skills=skills, signup_cutoff=start - dt.timedelta(hours=12),
                                      code_key=f"{rng.getrandbits(64):016x}", is_cancelled=cancelled))
            if status == ActivityStatus.DRAFT:
                continue
            past = end < NOW
            wanted = (capacity // 2 if open_places else capacity) if not past else round(capacity * rng.uniform(0.6, 1.0))
            people = rng.sample(members, min(len(members), wanted + 3))
            if force is not None and force not in people:
                people.insert(0, force)
            placed = people[:capacity] if not past and not open_places else people[:wanted]
            rest = people[len(placed):]
            signed = [(m, SignupStatus.CANCELLED if cancelled else SignupStatus.CONFIRMED) for m in placed]
            if not past and len(placed) == capacity and not cancelled:
                signed += [(m, SignupStatus.WAITING) for m in rest[:2]]
            elif rest and rng.random() < 0.3:
                signed.append((rest[0], SignupStatus.CANCELLED))
            taken = 0
            position = 0
            for m, st in signed:
                at = _between(rng, start - dt.timedelta(days=10), start - dt.timedelta(days=1))
                s = ctx.make(Signup, id=ctx.new_id(Signup), shift_id=shift.id, member_id=m, region_path=c.path, status=st, signed_up_at=at)
                if st == SignupStatus.CONFIRMED:
                    taken += 1
                elif st == SignupStatus.WAITING:
                    position += 1
                    s.position = position
                else:
                    s.cancelled_at = at + dt.timedelta(hours=rng.randint(1, 48))
                if past and st == SignupStatus.CONFIRMED and (m == force or rng.random() < 0.9):
                    s.checked_in_at = start - dt.timedelta(minutes=rng.randint(0, 15))
                    s.checked_out_at = end + dt.timedelta(minutes=rng.randint(0, 20))
                    hour_record(m, c, HourKind.SHIFT, start.date(), hours, signup_id=s.id, activity_id=act.id)
                    tallies["shift_hours"] += 1
                plan.add(s)
            shift.taken = taken

    def some_days(n: int) -> list[dt.date]:
        month = rng.choices(months, month_weights)[0]
        day = dt.date(YEAR, month, rng.randint(1, 28))
        return sorted({day + dt.timedelta(days=7 * i) for i in range(n)})

    for c in communities:
        members = pool.get(c.id, [])
        if not members:
            continue
        for _ in range(per_community):
            title, place, skills, hours, _w = rng.choices(ACTIVITIES, kinds_weights)[0]
            organiser = rng.choice(units_in[c.id]) if units_in.get(c.id) and rng.random() < 0.3 else None
            activity(c, title, place, skills, hours, some_days(rng.choice((1, 1, 2, 3))), unit=organiser, served=rng.randint(20, 200))
    if liaison_unit is not None:
        liaison_home = by_id.get(liaison_unit.region_id)
        if liaison_home is not None and pool.get(liaison_home.id):
            for title in ("共建单位进社区：清洁家园", "共建单位进社区：政策宣讲"):
                activity(liaison_home, title, "社区党群服务中心", "", 2.5, [dt.date(YEAR, 4, 18), dt.date(YEAR, 7, 18)], unit=liaison_unit.id,
                         served=120)
    for c, brand, titles, hours, served in brand_plan:
        if not pool.get(c.id):
            continue
        n = len(titles) * ctx.pick(3, 4)
        for i in range(n):
            month = months[i % len(months)]
            days = [dt.date(YEAR, month, rng.randint(1, 28))]
            activity(c, titles[i % len(titles)], f"{c.name}党群服务中心", "", hours, days, brand=brand,
                     served=served + rng.randint(0, served))
    if demo_member is not None:  # the demo member's own record: past shifts with hours (one waiting), a future sign-up
        huaihe = seed["huaihe"]
        for day in (dt.date(YEAR, 3, 5), dt.date(YEAR, 4, 12), dt.date(YEAR, 5, 23), dt.date(YEAR, 6, 24), dt.date(YEAR, 7, 11)):
            activity(huaihe, "环境卫生大扫除" if day.month % 2 else "关爱独居老人走访", "小区公共区域", "", 2.0, [day], served=60,
                     force=demo_member[0])
        # Shifts open for sign-up on the day the demo is built: the demo's own "now" (30 June 2026) is in the past once the
        # calendar passes it, and the demo member would find nothing to sign up to. The only rows whose dates follow the
        # build day; half their places are free.
        today = max(timezone.localdate(), NOW.date())
        for i, (title, place, skills, hours, _w) in enumerate(ACTIVITIES[:3]):
            activity(huaihe, title, place, skills, hours, [today + dt.timedelta(days=3 + 4 * i)], open_places=True)

    # post and task hours
    for post_id, c, m in holders:
        for month in range(1, NOW.month + 1):
            if rng.random() < ctx.pick(0.75, 0.5):
                day = dt.date(YEAR, month, 28)
                hour_record(m, c, HourKind.POST, day, rng.choice((2.0, 3.0, 4.0, 6.0, 8.0)), post_id=post_id, note="本月岗位服务")
                tallies["post_hours"] += 1
    for c in communities:
        for m in rng.sample(pool.get(c.id, []), min(len(pool.get(c.id, [])), ctx.pick(1, 3))):
            hour_record(m, c, HourKind.TASK, dt.date(YEAR, rng.randint(1, 6), rng.randint(1, 28)), 1.5, note="协助入户走访")

    flush(ServiceBrand, Activity, Shift, Signup)
    written[HourRecord] = ctx.bulk(HourRecord, hour_rows)
    hour_rows.clear()

    # --- pledges --------------------------------------------------------------------------
    for c in communities:
        for m in pool.get(c.id, []):
            is_demo = demo_member is not None and m == demo_member[0]
            if is_demo or rng.random() < ctx.pick(0.22, 0.15):
                kept = rng.random() < 0.85 or is_demo
                plan.add(ctx.make(Pledge, member_id=m, community_id=c.id, region_path=c.path, year=YEAR - 1, content=rng.choice(PLEDGES),
                                  due_date=dt.date(YEAR - 1, 12, 31), status=PledgeStatus.FULFILLED if kept else PledgeStatus.NOT_FULFILLED,
                                  remark="全年表现突出" if kept else "参与次数未达承诺",
                                  assessed_at=_dt(dt.date(YEAR, 1, rng.randint(8, 28)), 10)))
            if is_demo or rng.random() < ctx.pick(0.3, 0.2):
                done = rng.random() < 0.08 and not is_demo
                plan.add(ctx.make(Pledge, member_id=m, community_id=c.id, region_path=c.path, year=YEAR, content=rng.choice(PLEDGES),
                                  due_date=dt.date(YEAR, 12, 31), status=PledgeStatus.FULFILLED if done else PledgeStatus.MADE,
                                  remark="已提前完成" if done else "", assessed_at=_dt(dt.date(YEAR, 6, rng.randint(1, 28)), 10) if done else None))

    flush(Pledge)

    # --- road segments, chiefs, patrols, reports ---------------------------------------------
    seg_chiefs: dict[int, list[tuple[RoadSegment, list[int]]]] = defaultdict(list)
    for c in communities:
        members = pool.get(c.id, [])
        streets = rng.sample(STREETS, rng.randint(2, 4))
        for street in streets:
            a, b = rng.sample(CROSS, 2)
            seg = plan.add(RoadSegment(id=ctx.new_id(RoadSegment), community_id=c.id, region_path=c.path, name=f"{street}（{a}至{b}段）",
                                       start_name=f"{street}{a}口", end_name=f"{street}{b}口", length_m=rng.randint(200, 1500)))
            chiefs: list[int] = []
            candidates = silver if c.id == tongxin.id and silver else members
            if candidates and rng.random() < 0.85:
                for m in rng.sample(candidates, min(len(candidates), rng.randint(1, 2))):
                    plan.add(ctx.make(RoadChief, segment_id=seg.id, member_id=m, region_path=c.path,
                                      since=dt.date(2025, rng.randint(1, 12), rng.randint(1, 28))))
                    chiefs.append(m)
                former = [m for m in members if m not in chiefs]
                if former and rng.random() < 0.15:
                    plan.add(ctx.make(RoadChief, segment_id=seg.id, member_id=rng.choice(former), region_path=c.path, since=dt.date(2024, 3, 1),
                                      until=dt.date(2024, 12, 31), is_active=False))
            seg_chiefs[c.id].append((seg, chiefs))
    patrol_every = ctx.pick(10, 21)
    for c in communities:
        for seg, chiefs in seg_chiefs.get(c.id, []):
            for m in chiefs:
                day = dt.datetime(YEAR, 1, 1, 8, tzinfo=TZ) + dt.timedelta(days=rng.randint(0, patrol_every))
                while day < NOW:
                    at = day + dt.timedelta(minutes=rng.randint(0, 180))
                    log = plan.add(ctx.make(PatrolLog, id=ctx.new_id(PatrolLog), segment_id=seg.id, member_id=m, region_path=c.path, at=at,
                                            notes=rng.choice(("路段整洁，无异常", "劝导乱停车辆3辆", "清理小广告若干", "")),))
                    if rng.random() < 0.15:
                        title, desc = rng.choice(PROBLEMS)
                        age = (NOW - at).days
                        state = (PatrolReportStatus.REPORTED if age < 5 else
                                  rng.choices((PatrolReportStatus.HANDLING, PatrolReportStatus.SOLVED, PatrolReportStatus.REJECTED),
                                              (0.15, 0.75, 0.1))[0])
                        done = state in (PatrolReportStatus.SOLVED, PatrolReportStatus.REJECTED)
                        plan.add(ctx.make(PatrolReport,
                            segment_id=seg.id, patrol_id=log.id, member_id=m, region_path=c.path, title=title, description=f"{seg.name}{desc}",
                            status=state, reported_at=at + dt.timedelta(minutes=5),
                            handled_at=min(NOW, at + dt.timedelta(days=rng.randint(1, 4))) if state != PatrolReportStatus.REPORTED else None,
                            resolution=RESOLUTIONS.get(state, "") if done else ""))
                    day += dt.timedelta(days=patrol_every + rng.randint(-2, 2))
    # the road chiefs' matters (matters step, source road_chief) are reports turned into matters

    linked = 0
    for mid, comm_id, reported, title, category, lat, lng in Matter.objects.filter(source=MatterSource.ROAD_CHIEF).order_by("pk").values_list(
            "pk", "community_id", "reported_at", "title", "category_id", "lat", "lng"):
        covered = [(s, ch) for s, ch in seg_chiefs.get(comm_id, []) if ch]
        if not covered:
            continue
        seg, chiefs = rng.choice(covered)
        m = rng.choice(chiefs)
        at = reported - dt.timedelta(minutes=rng.randint(20, 240))
        log = plan.add(ctx.make(PatrolLog, id=ctx.new_id(PatrolLog), segment_id=seg.id, member_id=m, region_path=seg.region_path, at=at,
                                notes="发现问题，已上报社区", lat=lat, lng=lng))
        plan.add(ctx.make(PatrolReport, segment_id=seg.id, patrol_id=log.id, member_id=m, region_path=seg.region_path, category_id=category,
                          title=title[:200], description=f"{seg.name}：{title}", status=PatrolReportStatus.MATTER, lat=lat, lng=lng,
                          reported_at=at + dt.timedelta(minutes=5), matter_id=mid, handled_at=reported))
        linked += 1

    flush(RoadSegment, RoadChief, PatrolLog, PatrolReport)
    ctx.say(f"{in_service_count:,} in-service members reported in ({len(silver)} 银发路长 and the demo member too), {waiting} waiting, "
            f"{rejected} not accepted; {written[Activity]:,} activities, {written[HourRecord]:,} hour records "
            f"({tallies['shift_hours']:,} shift, {tallies['post_hours']:,} post); {linked} patrol reports turned into matters")


MODELS = [MemberReportIn, FeedbackReceipt, ServicePost, PostHolding, ServiceBrand, Activity, Shift, CodeUse, Signup, HourRecord, Pledge,
          RoadSegment, RoadChief, PatrolLog, PatrolReport]

