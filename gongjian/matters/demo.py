"""Demo-city step of the matters module (``matters``, order 140; see ``gongjian/demo/README.md``).

Every matter's life is simulated from its report to its close along the state machine
(``choices.MATTER_TRANSITIONS``) — accepted by the community, handled there or escalated level by
level, put on the owning level's quarterly coordination meeting and decided there (departments
assigned by the decision), or assigned directly; departments take it up, report progress and their
result (late ones get a 督办 follow-up; a few send a mis-assigned matter back and another
department is assigned), the owner resolves it, the reporter is called back (satisfied, basically
satisfied, or unsatisfied → reopened and resolved again) — and then cut at the demo's "now"
(30 June 2026, 18:00): what had not happened yet did not happen, so recent matters stand in every
open state, with the overdue flags the sweep would have set. Each step is a timeline entry, in
order, with the level or department acting.

The meetings the matters are coordinated at come from ``meeting_schedule``: which regions hold
their coordination meeting in which quarter, and when (2025 Q1 – 2026 Q2 held; 2026 Q3 planned at
the city, districts and subdistricts). The ``meetings`` step (order 150,
``gongjian/meetings/demo.py``) builds those meetings from the same schedule, with the agenda
items and decisions planned here (``ctx.data["matters_coordination"]`` and ``["matters_awaiting"]``).

Matters come from about twenty everyday kinds (老旧小区改造, 加装电梯, 电动车充电桩, 停车难, 垃圾分类,
路灯不亮, 噪音扰民, 物业纠纷, 下水道堵塞 …) with the department kinds that handle them (城建, 房管, 民政,
财政, 人社, 城管 …); a quarter of them are 12345 hotline work orders with their numbers. At ``city``
scale the figures reach the seed: 1,400+ matters coordinated this year (and 3,100+ meetings held,
built by the meetings step). ``small`` keeps the same shape per community.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import get_language

from gongjian.accounts.models import User
from gongjian.core import fakes, pii
from gongjian.demo import city
from gongjian.demo.steps import DemoContext, given_timestamps

from . import deadlines
from .choices import AssignmentRole, AssignmentStatus, EventKind, MatterSource, MatterStatus, Satisfaction, Urgency
from .models import Assignment, FollowUp, Matter, MatterCategory, MatterEvent
from .services import make_number

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime.combine(city.TODAY, dt.time(18, 0), tzinfo=TZ) - dt.timedelta(days=1)  # 30 June 2026, 18:00 (as co-building)
START = dt.datetime(2025, 1, 1, 8, 0, tzinfo=TZ)
HELD_QUARTERS = ((2025, 1), (2025, 2), (2025, 3), (2025, 4), (2026, 1), (2026, 2))
PLANNED_QUARTER = (2026, 3)
THIS_YEAR = NOW.year

# The seed's figures at city scale (reached by construction, checked by the demo tests).
MEETINGS_HELD_THIS_YEAR = 3_100
COORDINATED_THIS_YEAR = 1_400
CITY_MEETING_MARGIN = 1.03  # a few more than the seed's "3,100+"
MATTERS_PER_COMMUNITY_QUARTER = 3.2
SEED_COMMUNITY_WEIGHT = 3.0

# ---------------------------------------------------------------------------------------------
# The dispatch catalogue used by the demo (created where the catalogue lacks it) and what each
# kind of matter looks like: (path, urgency weights, lead department kind, assisting kinds,
# titles, descriptions, resolutions). ``{b}`` a building, ``{n}`` a number, ``{c}`` the community.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    path: tuple[str, str, str]
    lead: str
    assist: tuple[str, ...]
    titles: tuple[str, ...]
    description: str
    resolution: str
    weight: float = 1.0
    urgency: str = Urgency.GENERAL
    escalate: float = 0.35  # how often the community cannot solve it alone


KINDS: tuple[Kind, ...] = (
    Kind(("住房与物业", "老旧小区改造", "加装电梯"), "housing", ("finance", "urban_construction"),
         ("{b}号楼申请加装电梯", "{b}号楼老人上下楼难，盼加装电梯"),
         "{c}{b}号楼为六层无电梯住宅，{n}户业主签字同意加装电梯，资金缺口和管线迁改需要协调。",
         "已纳入年度加装电梯计划，财政补贴到位，电梯已开工安装。", 1.0, Urgency.COMPLEX, 0.75),
    Kind(("住房与物业", "老旧小区改造", "管网改造"), "urban_construction", ("finance", "housing"),
         ("{b}号院外墙脱落、管网老化", "{b}号院雨污管网老化反复渗漏"),
         "{c}{b}号院建于上世纪九十年代，外墙保温层脱落，雨污管网老化，居民要求纳入老旧小区改造。",
         "已纳入老旧小区改造项目，外墙和管网改造完工并通过验收。", 1.0, Urgency.COMPLEX, 0.7),
    Kind(("城市管理", "停车管理", "电动车充电桩"), "urban_construction", ("housing",),
         ("小区缺少电动车充电桩，楼道飞线充电", "{b}号院申请建设集中充电桩"),
         "{c}{b}号院电动自行车{n}0余辆，无集中充电设施，楼道充电、飞线充电隐患突出。",
         "协调供电和共建单位在院内建成充电桩{n}个，楼道充电现象已清理。", 1.2, Urgency.GENERAL, 0.5),
    Kind(("住房与物业", "老旧小区改造", "小区道路及停车位改造"), "urban_management", ("public_security", "urban_construction"),
         ("小区周边停车难、乱停车", "{b}号院门口车辆乱停堵塞消防通道"),
         "{c}周边道路停车位不足，车辆乱停乱放，早晚高峰堵塞，消防通道被占。",
         "施划临时停车位{n}0个，错时共享共建单位停车场，消防通道已清理并设置标识。", 1.0, Urgency.GENERAL, 0.45),
    Kind(("城市管理", "市容环卫", "垃圾分类设施"), "urban_management", (),
         ("垃圾分类投放点设置不合理", "垃圾清运不及时，异味大"),
         "{c}{b}号院垃圾分类投放点距离楼栋远，垃圾桶满溢，清运不及时，夏季异味大。",
         "调整投放点位{n}处，增加清运频次为每日两次，安排督导员值守。", 1.1),
    Kind(("城市管理", "市政设施", "路灯不亮"), "urban_management", (),
         ("{b}号院门口路灯不亮", "背街小巷路灯损坏，夜间出行不安全"),
         "{c}附近道路{n}盏路灯不亮已有一周，夜间居民出行不便，存在安全隐患。",
         "已更换损坏灯具{n}盏，线路检修完毕，路灯恢复照明。", 1.2, Urgency.UTILITIES, 0.25),
    Kind(("城市管理", "市政设施", "雨污水管道堵塞"), "urban_construction", ("urban_management",),
         ("{b}号楼下水道堵塞、污水外溢", "雨后小区积水，下水道不通"),
         "{c}{b}号楼化粪池和下水管道堵塞，污水外溢，一楼住户无法正常生活。",
         "已疏通管道{n}0米，清掏化粪池，并对老化管段进行更换。", 1.0, Urgency.UTILITIES, 0.3),
    Kind(("生态环境", "噪声污染", "夜间噪声"), "urban_management", ("public_security",),
         ("夜间施工噪音扰民", "广场舞音响音量过大"),
         "{c}周边工地夜间施工、广场舞音响音量大，影响居民休息。",
         "督促施工单位办理夜间施工许可并限时作业；与广场舞队协商限定时段和音量。", 1.0, Urgency.GENERAL, 0.3),
    Kind(("住房与物业", "物业管理", "物业服务质量"), "housing", ("civil_affairs",),
         ("物业服务差、收费不透明", "小区无物业管理，环境脏乱"),
         "{c}{b}号院物业公司服务不到位，公共收益不公开，业主与物业矛盾突出。",
         "街道、社区牵头召开业主、物业、居民代表协商会，公开公共收益，物业整改服务，成立业委会筹备组。", 1.1, Urgency.GENERAL, 0.45),
    Kind(("住房与物业", "房屋安全", "电梯故障"), "market_regulation", ("housing",),
         ("{b}号楼电梯频繁故障", "电梯困人，维保不到位"),
         "{c}{b}号楼电梯使用超过十五年，近一个月故障{n}次，曾发生困人。",
         "督促维保单位全面检修，更换曳引机部件，电梯恢复正常运行并通过检验。", 0.7, Urgency.UTILITIES, 0.4),
    Kind(("安全隐患", "治安防控", "门禁及封闭管理"), "housing", (),
         ("{b}号院楼道灯坏、单元门禁失灵", "楼道照明不足"),
         "{c}{b}号院楼道声控灯损坏较多，单元门禁失灵，夜间出行不安全。",
         "更换声控灯{n}0盏，修复单元门禁{n}套。", 0.7),
    Kind(("公共服务", "养老服务", "社区食堂及助餐"), "civil_affairs", ("finance",),
         ("独居老人助餐需求", "申请开设社区老年食堂"),
         "{c}有独居、高龄老人{n}0余人，做饭困难，希望开设老年助餐点。",
         "依托共建单位食堂开设老年助餐点，困难老人享受助餐补贴。", 0.8, Urgency.GENERAL, 0.4),
    Kind(("社会保障", "社会救助", "临时救助"), "civil_affairs", (),
         ("困难家庭申请临时救助", "低保申请咨询"),
         "{c}居民家庭因病致困，申请临时救助和低保。", "已完成入户核查，办理临时救助并纳入低保。", 0.6),
    Kind(("社会保障", "就业服务", "就业援助及技能培训"), "human_resources", (),
         ("失业人员希望参加技能培训", "就业困难人员求职帮扶"),
         "{c}登记失业人员{n}0人，希望参加育婴、家政、电商技能培训并推荐岗位。",
         "开设技能培训班{n}期，推荐就业岗位{n}0个。", 0.6, Urgency.GENERAL, 0.3),
    Kind(("社会保障", "就业服务", "拖欠农民工工资"), "human_resources", ("public_security",),
         ("农民工反映被拖欠工资", "装修工人工资被拖欠"),
         "{c}附近工地{n}名务工人员反映被拖欠工资数月。", "督促用工单位足额支付拖欠工资。", 0.5, Urgency.GENERAL, 0.5),
    Kind(("安全隐患", "消防安全", "楼道堆物及飞线充电"), "urban_management", (),
         ("楼道乱堆杂物", "背街小巷乱堆乱放"),
         "{c}{b}号院楼道和公共区域堆放杂物，存在消防隐患。", "组织志愿者和物业清理杂物{n}车，设立长效巡查。", 0.8),
    Kind(("城市管理", "市政设施", "道路坑洼破损"), "urban_construction", (),
         ("小区出入口道路坑洼破损", "人行道地砖破损"),
         "{c}出入口道路破损坑洼，雨天积水，老人行走易摔倒。", "已修补路面{n}00平方米，更换破损地砖。", 0.7),
)
REJECT_REASONS = ("属于民事纠纷，已引导居民通过法律途径解决", "不属于政府职能范围，已向居民解释", "重复反映，已合并办理",
                  "诉求不合理，已做好解释工作")
RETURN_REASONS = ("不属于本部门职责，建议转城管部门", "涉及多部门职责，请重新确定牵头单位", "该事项已由属地街道自行处理")
PROGRESS_NOTES = ("已现场踏勘，制定处置方案", "已联系施工单位，正在准备材料", "已召开专题协调会，明确分工", "施工已过半，预计按期完成",
                  "已与居民代表沟通方案")
FOLLOW_UP_NOTES = ("已超期，请加快办理并报送进展", "请于三日内报送办理结果", "群众反映强烈，请优先办理")
CALLBACK_NOTES = {Satisfaction.SATISFIED: ("居民对办理结果表示满意", "问题已解决，感谢社区和部门"),
                  Satisfaction.BASICALLY: ("问题基本解决，希望保持", "基本满意，办理时间稍长"),
                  Satisfaction.UNSATISFIED: ("问题仍未彻底解决", "对办理结果不满意，要求重新处理")}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
LEVEL_DEPTH = {"city": 0, "district": 1, "subdistrict": 2, "community": 3}


def _at(rng: random.Random, t: dt.datetime, low_hours: float, high_hours: float) -> dt.datetime:
    return t + dt.timedelta(hours=rng.uniform(low_hours, high_hours))


def _fill(text: str, rng: random.Random, community: str) -> str:
    return text.format(c=community, b=rng.randint(1, 36), n=rng.randint(2, 9))


# ---------------------------------------------------------------------------------------------
# The coordination calendar shared with the meetings step
# ---------------------------------------------------------------------------------------------


def quarter_bounds(year: int, q: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * (q - 1) + 1, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - dt.timedelta(days=1)
    return start, end


def _meeting_day(rng: random.Random, year: int, q: int, level: str) -> dt.datetime:
    """A weekday afternoon in the quarter: communities early, then subdistricts, districts, the city last (the
    levels above hear what the ones below could not solve)."""
    start, end = quarter_bounds(year, q)
    window = {"community": (8, 40), "subdistrict": (30, 60), "district": (50, 72), "city": (62, 80)}[level]
    day = start + dt.timedelta(days=rng.randint(*window))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    day = min(day, end - dt.timedelta(days=2))
    return dt.datetime.combine(day, dt.time(rng.choice((9, 10, 14, 15)), rng.choice((0, 30))), tzinfo=TZ)


def meeting_duration() -> dt.timedelta:
    return dt.timedelta(hours=2)


def meeting_schedule(ctx: DemoContext) -> dict[tuple[int, int, int], tuple[dt.datetime, str]]:
    """(region id, year, quarter) → (starts_at, status) of every coordination meeting the demo has.

    Every quarter the city and every district meet, nearly all subdistricts (a few miss one, so the
    calendar shows who has not met) and most urban communities; at ``city`` scale enough villages
    (community-level, 社区(村)) meet that the year's meetings reach the seed's 3,100+. 2026 Q3 (after
    the demo's now) is planned at the city, the districts and the subdistricts."""
    if "meeting_schedule" in ctx.data:
        return ctx.data["meeting_schedule"]
    rng = ctx.rng_for("matters.meetings")
    cityr = ctx.regions[city.CITY_CODE]
    districts = ctx.by_level("district")
    subs = ctx.by_level("subdistrict")
    urban = ctx.communities()
    villages = [r for r in ctx.communities(urban_only=False) if r.kind != "community"]
    out: dict[tuple[int, int, int], tuple[dt.datetime, str]] = {}
    for year, q in HELD_QUARTERS:
        holders: list[tuple[Any, str]] = [(cityr, "city")] + [(d, "district") for d in districts]
        holders += [(s, "subdistrict") for s in subs if rng.random() < 0.96]
        holders += [(c, "community") for c in urban if rng.random() < 0.9]
        if ctx.is_city and villages:
            per_quarter = round(MEETINGS_HELD_THIS_YEAR * CITY_MEETING_MARGIN / 2)
            k = max(0, min(len(villages), per_quarter - len(holders)))
            holders += [(v, "community") for v in rng.sample(villages, k)]
        for region, level in holders:
            out[(region.id, year, q)] = (_meeting_day(rng, year, q, level), "held")
    year, q = PLANNED_QUARTER
    for region, level in [(cityr, "city")] + [(d, "district") for d in districts] + [(s, "subdistrict") for s in subs]:
        out[(region.id, year, q)] = (_meeting_day(rng, year, q, level), "planned")
    ctx.data["meeting_schedule"] = out
    return out


def _next_meeting(schedule: dict[tuple[int, int, int], tuple[dt.datetime, str]], region_id: int, after: dt.datetime,
                  within_days: int) -> tuple[dt.datetime, str, int, int] | None:
    """The region's first meeting at least three days after ``after`` (time to put it on the agenda)."""
    for year, q in (*HELD_QUARTERS, PLANNED_QUARTER):
        found = schedule.get((region_id, year, q))
        if found is None:
            continue
        starts, status = found
        if starts >= after + dt.timedelta(days=3):
            if starts > after + dt.timedelta(days=within_days):
                return None
            return starts, status, year, q
    return None


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------


class _Ev:
    """A timeline entry as planned (a light object: the city has ~200,000; written with one COPY, not as models)."""

    __slots__ = ("actor_id", "actor_label", "at", "department_id", "from_status", "id", "kind", "matter_id", "note", "region_id",
                 "to_status")
    COLUMNS = ("id", "created_at", "updated_at", "matter_id", "kind", "at", "actor_id", "actor_label", "from_status", "to_status",
               "region_id", "department_id", "note")

    def __init__(self, id: int, matter_id: int, kind: str, at: dt.datetime, actor_id: int | None, actor_label: str, from_status: str,
                 to_status: str, region_id: int | None, department_id: int | None, note: str) -> None:
        self.id, self.matter_id, self.kind, self.at, self.actor_id, self.actor_label = id, matter_id, kind, at, actor_id, actor_label
        self.from_status, self.to_status, self.region_id, self.department_id, self.note = (from_status, to_status, region_id,
                                                                                           department_id, note)

    def row(self, adapt: Any) -> tuple[Any, ...]:
        at = adapt(self.at)
        return (self.id, at, at, self.matter_id, self.kind, at, self.actor_id, self.actor_label, self.from_status, self.to_status,
                self.region_id, self.department_id, self.note)


def _insert_events(ctx: DemoContext, events: list[_Ev]) -> None:
    table = MatterEvent._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one COPY: an INSERT per row took ~30 s for the city's 222,000 entries
            with cur.cursor.copy(f"COPY {table} ({', '.join(_Ev.COLUMNS)}) FROM STDIN") as copy:
                for e in events:
                    copy.write_row(e.row(adapt))
        else:
            sql = f"INSERT INTO {table} ({', '.join(_Ev.COLUMNS)}) VALUES ({', '.join(['%s'] * len(_Ev.COLUMNS))})"  # noqa: S608 - our table
            for start in range(0, len(events), 5000):
                cur.executemany(sql, [e.row(adapt) for e in events[start:start + 5000]])
    ctx.count(MatterEvent, len(events))


@dataclass
class _Plan:
    matters: list[Matter] = field(default_factory=list)
    events: list[_Ev] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    # coordinated matters for the meetings step: (region id, year, q) → [(matter, [assignment ids], agenda at, lead name, assist names, deadline)]
    coordination: dict[tuple[int, int, int], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    awaiting: dict[tuple[int, int, int], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))


def _catalogue() -> dict[tuple[str, str, str], MatterCategory]:
    """The leaves the demo uses, reusing the catalogue's own categories by name and creating any it lacks."""
    out: dict[tuple[str, str, str], MatterCategory] = {}
    existing = {(c.parent_id, c.name): c for c in MatterCategory.objects.all()}
    for i, kind in enumerate(KINDS):
        parent: MatterCategory | None = None
        for level, name in enumerate(kind.path, start=1):
            key = (parent.pk if parent else None, name)
            node = existing.get(key)
            if node is None:
                full = f"{parent.full_name} › {name}" if parent else name
                node = MatterCategory.objects.create(name=name, parent=parent, level=level, full_name=full, sort_order=500 + i,
                                                     default_urgency=kind.urgency if level == 3 else "")
                existing[key] = node
            parent = node
        assert parent is not None
        out[kind.path] = parent
    return out


class _Actors:
    def __init__(self, ctx: DemoContext) -> None:
        ids = dict(User.objects.filter(username__in=city.DEMO_USERNAMES, is_active=True).values_list("username", "id"))
        r = ctx.regions
        self.admins: dict[int, int] = {}
        for key, code in city.SEED_COMMUNITIES.items():
            if code in r and f"demo_community_{key}" in ids:
                self.admins[r[code].id] = ids[f"demo_community_{key}"]
        try:
            xinwan = ctx.region_named(city.XINWAN_NAME)
            if "demo_community_xinwan" in ids:
                self.admins[xinwan.id] = ids["demo_community_xinwan"]
        except StopIteration:
            pass
        for username, code in (("demo_city_admin", city.CITY_CODE), ("demo_district_admin", "410103"),
                               ("demo_subdistrict_admin", "410103001000")):
            if code in r and username in ids:
                self.admins[r[code].id] = ids[username]
        self.resident = ids.get("demo_resident")
        huaihe = r.get(city.SEED_COMMUNITIES["huaihe"])
        self.resident_community = huaihe.id if huaihe else None
        self.handler = ids.get("demo_department")
        dept = ctx.data.get("departments", {}).get("二七区民政局")
        self.handler_department = dept.id if dept else None
        self.city_admin = ids.get("demo_city_admin")


def _ancestors(ctx: DemoContext, community: Any) -> list[Any]:
    """community, subdistrict, district, city."""
    chain = [community]
    node = community
    while node.parent_id:
        node = ctx.region_by_id(node.parent_id)
        chain.append(node)
    return chain


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(("先生", "女士", "阿姨", "大爷"))


def build_matters(ctx: DemoContext) -> None:
    rng = ctx.rng_for("matters")
    cats = _catalogue()
    actors = _Actors(ctx)
    schedule = meeting_schedule(ctx)
    plan = _Plan()
    depts: dict[tuple[int, str], Any] = {}
    for d in ctx.data.get("departments", {}).values():
        depts[(d.region_id, d.kind)] = d
    communities = ctx.communities()
    seed_codes = set(city.SEED_COMMUNITIES.values())
    weights = [k.weight for k in KINDS]
    hotline_seq: dict[dt.date, int] = defaultdict(int)

    def number(pk: int, t: dt.datetime) -> str:
        return make_number(pk, t)

    for c in communities:
        chain = _ancestors(ctx, c)
        if len(chain) < 4:
            continue
        quarters = len(HELD_QUARTERS)  # 2025-01-01 up to the demo's now
        lam = MATTERS_PER_COMMUNITY_QUARTER * (SEED_COMMUNITY_WEIGHT if c.code in seed_codes else 1.0)
        n = max(1, round(rng.gauss(lam * quarters, (lam * quarters) ** 0.5)))
        recent = max(0, round(rng.gauss(lam * 0.5, (lam * 0.5) ** 0.5)))  # the last six weeks are busier on the list
        for i in range(n + recent):
            kind = rng.choices(KINDS, weights=weights)[0]
            since = START if i < n else NOW - dt.timedelta(days=42)
            reported = since + dt.timedelta(seconds=rng.randint(0, int((NOW - since).total_seconds()) - 3600))
            reported = reported.replace(hour=rng.choice((8, 9, 10, 11, 14, 15, 16, 17, 19, 20)))
            if reported >= NOW:
                reported = NOW - dt.timedelta(hours=rng.uniform(2, 48))
            _simulate(ctx, plan, rng, kind, cats[kind.path], c, chain, reported, depts, actors, schedule, deadlines, number, hotline_seq)
    with given_timestamps(Matter, MatterEvent, Assignment, FollowUp):
        ctx.bulk(Matter, plan.matters)
        _insert_events(ctx, plan.events)
        ctx.bulk(Assignment, plan.assignments)
        ctx.bulk(FollowUp, plan.follow_ups)
    ctx.data["matters_coordination"] = plan.coordination
    ctx.data["matters_awaiting"] = plan.awaiting
    ctx.data["matters_assignment_done"] = {a.id: a.done_at for a in plan.assignments if a.status == AssignmentStatus.DONE}
    coordinated = sum(1 for m in plan.matters if m.coordinated_at and m.coordinated_at.year == THIS_YEAR)
    statuses: dict[str, int] = defaultdict(int)
    for m in plan.matters:
        statuses[m.status] += 1
    ctx.say(f"{len(plan.matters):,} matters ({', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))}); "
            f"{coordinated:,} coordinated this year; {len(plan.events):,} timeline entries, {len(plan.assignments):,} assignments")


def _simulate(ctx: DemoContext, plan: _Plan, rng: random.Random, kind: Kind, category: MatterCategory, community: Any,
              chain: list[Any], reported: dt.datetime, depts: dict[tuple[int, str], Any], actors: _Actors,
              schedule: dict[tuple[int, int, int], tuple[dt.datetime, str]], deadlines: Any, number: Any,
              hotline_seq: dict[dt.date, int]) -> None:
    mid = ctx.new_id(Matter)
    urgency = kind.urgency if rng.random() < 0.8 else rng.choice((Urgency.GENERAL, Urgency.EMERGENCY, Urgency.COMPLEX))
    accept_due, resolve_due = deadlines.deadline_for(urgency, reported)
    roll = rng.random()
    source = (MatterSource.HOTLINE if roll < 0.25 else MatterSource.STAFF if roll < 0.6 else MatterSource.RESIDENT if roll < 0.8
              else MatterSource.ROAD_CHIEF if roll < 0.95 else MatterSource.MEETING)
    title = _fill(rng.choice(kind.titles), rng, community.name)
    m = ctx.make(
        Matter,
        id=mid, number=number(mid, reported), title=title[:200], description=_fill(kind.description, rng, community.name),
        category_id=category.id, urgency=urgency, source=source, status=MatterStatus.REPORTED, community_id=community.id,
        region_path=community.path, owner_id=community.id, owner_path=community.path, top_depth=3,
        address=f"{community.name}{rng.randint(1, 36)}号院", reported_at=reported, accept_due=accept_due, resolve_due=resolve_due,
    )
    if source in (MatterSource.HOTLINE, MatterSource.RESIDENT):
        m.reporter_name = _name(rng)
        phone = fakes.phone(rng)
        m.reporter_phone_enc, m.reporter_phone_hash = pii.encrypt(phone), pii.lookup_hash(phone)
    if source == MatterSource.HOTLINE:
        hotline_seq[reported.date()] += 1
        m.external_ref = f"{reported:%Y%m%d}{hotline_seq[reported.date()]:06d}"
        m.source_ref = "12345"
        m.reported_by_id = actors.city_admin
    elif source == MatterSource.RESIDENT and community.id == actors.resident_community and rng.random() < 0.5:
        m.reported_by_id = actors.resident
    elif source == MatterSource.STAFF:
        m.reported_by_id = actors.admins.get(community.id)
    events: list[_Ev] = []
    state: dict[str, str] = {"status": MatterStatus.REPORTED}

    def ev(kind_: str, at: dt.datetime, region: Any = None, to: str | None = None, note: str = "", department: Any = None,
           actor: int | None = None) -> bool:
        """Record a timeline entry if it happened before the demo's now; False once the story has reached now."""
        if at > NOW:
            return False
        frm = state["status"]
        if to:
            state["status"] = to
        label = department.name if department is not None else (region.name if region is not None else "")
        events.append(_Ev(ctx.new_id(MatterEvent), mid, kind_, at, actor, label, frm if to else "", to or "",
                          region.id if region is not None else None, department.id if department is not None else None, note))
        return True

    def finish() -> None:
        m.status = state["status"]
        if m.status in (MatterStatus.REPORTED,) and m.accept_due < NOW:
            m.is_overdue = True
        elif m.status in (MatterStatus.ACCEPTED, MatterStatus.ESCALATED, MatterStatus.ASSIGNED, MatterStatus.REOPENED) and m.resolve_due \
                and m.resolve_due < NOW:
            m.is_overdue = True
        if m.is_overdue:
            due = m.accept_due if m.status == MatterStatus.REPORTED else m.resolve_due
            assert due is not None
            # the sweep flags it a few minutes after the deadline; not yet if that is after now
            m.is_overdue = ev(EventKind.OVERDUE, max(due, events[-1].at) + dt.timedelta(minutes=5),
                              community if m.owner_id == community.id else None, note="超过办理时限")
        m.version = 1 + sum(1 for e in events if e.to_status)
        m.created_at, m.updated_at = m.reported_at, max(e.at for e in events)
        plan.matters.append(m)
        plan.events.extend(events)

    src_note = {MatterSource.HOTLINE: "12345热线派单", MatterSource.ROAD_CHIEF: "路长巡查上报", MatterSource.RESIDENT: "居民反映",
                MatterSource.MEETING: "居民议事会提出", MatterSource.STAFF: "社区网格员走访发现"}[source]
    ev(EventKind.REPORTED, reported, community, None, src_note, actor=m.reported_by_id)
    admin = actors.admins.get(community.id)
    # the first receiver: accepted (mostly in time) or rejected
    late = rng.random() < 0.07
    span = (m.accept_due - reported).total_seconds() / 3600
    acc_at = _at(rng, reported, span * 0.05, span * 0.9)
    if late or (NOW - reported < dt.timedelta(days=4) and rng.random() < 0.3):
        acc_at = m.accept_due + dt.timedelta(hours=rng.uniform(1, 30 if late else 120))
    if rng.random() < 0.04:
        rej_at = _at(rng, reported, 2, 30)
        if ev(EventKind.REJECTED, rej_at, community, MatterStatus.REJECTED, rng.choice(REJECT_REASONS), actor=admin):
            m.rejected_at, m.reject_reason = rej_at, events[-1].note
        return finish()
    if not ev(EventKind.ACCEPTED, acc_at, community, MatterStatus.ACCEPTED, actor=admin):
        return finish()
    m.accepted_at = acc_at
    t = acc_at
    # escalation, level by level
    owner_index = 0
    levels = 0
    p = kind.escalate
    while owner_index < 3 and rng.random() < p:
        t = _at(rng, t, 24, 24 * 6)
        frm = chain[owner_index]
        to = chain[owner_index + 1]
        reason = ("涉及多部门职责，社区无法协调解决" if owner_index == 0 else "需区级统筹资金和部门力量" if owner_index == 1
                  else "涉及全市政策和跨区协调")
        if not ev(EventKind.ESCALATED, t, frm, MatterStatus.ESCALATED, f"上报{to.name}：{reason}", actor=actors.admins.get(frm.id)):
            return finish()
        owner_index += 1
        levels += 1
        m.owner_id, m.owner_path, m.top_depth = to.id, to.path, LEVEL_DEPTH[to.level]
        m.escalated_at, m.escalation_count = t, levels
        p = 0.33 if owner_index == 1 else 0.2
    owner = chain[owner_index]
    owner_actor = actors.admins.get(owner.id)
    # coordinated at the owner's quarterly meeting, assigned directly, or handled by the owner itself
    coordinate = False
    meeting = None
    if owner_index > 0 and rng.random() < 0.8:
        meeting = _next_meeting(schedule, owner.id, t, 110)
    elif owner_index == 0 and rng.random() < 0.12:
        meeting = _next_meeting(schedule, owner.id, t, 75)
    if meeting is not None and owner_index == 0 and meeting[0] > NOW:
        meeting = None  # a community's next meeting is after now: it assigns the departments itself
    if meeting is not None:
        starts, status, year, q = meeting
        agenda_at = max(t + dt.timedelta(hours=2), starts - dt.timedelta(days=rng.randint(3, 10)))
        key = (owner.id, year, q)
        if status == "planned" or starts > NOW:
            agenda_at = t + dt.timedelta(hours=rng.uniform(1, 48))  # proposed automatically once the meeting is planned
            if ev(EventKind.AGENDA, agenda_at, owner, note=f"列入{year}年第{q}季度党建协调会议议题"):
                plan.awaiting[key].append({"matter_id": mid, "title": m.title, "agenda_at": agenda_at})
            return finish()
        ev(EventKind.AGENDA, agenda_at, owner, note=f"列入{year}年第{q}季度党建协调会议议题")
        coordinate = True
        t = starts + meeting_duration()
    needs_departments = owner_index > 0 or coordinate or rng.random() < 0.35
    dept_region = chain[2] if owner_index < 3 else chain[3]  # the district's departments, the city's for the city
    if not needs_departments:
        # the community (or owner) handles it itself
        # within the rule's time mostly (a utilities outage in hours, a general matter in days), late sometimes
        span_h = max(2.0, ((m.resolve_due or t + dt.timedelta(days=7)) - t).total_seconds() / 3600)
        res_at = _at(rng, t, span_h * 0.1, span_h * 0.85) if rng.random() < 0.88 else _at(rng, t, span_h * 1.05, span_h * 1.8)
        if not ev(EventKind.RESOLVED, res_at, owner, MatterStatus.RESOLVED, _fill(kind.resolution, rng, community.name), actor=owner_actor):
            return finish()
        m.resolved_at, m.resolution = res_at, events[-1].note
        return _callback(ctx, m, rng, ev, res_at, owner, community, actors, finish, kind)
    # assign departments (by the meeting's decision or directly)
    lead = depts.get((dept_region.id, kind.lead)) or depts.get((dept_region.id, "civil_affairs"))
    if lead is None:
        return finish()
    assists = [depts[(dept_region.id, k)] for k in kind.assist if (dept_region.id, k) in depts and rng.random() < 0.6]
    assign_at = t if coordinate else _at(rng, t, 4, 72)
    # a meeting sets its own deadline; a direct assignment works to the matter's deadline (at least three days)
    deadline = (assign_at + dt.timedelta(days=rng.choice((10, 15, 20, 30))) if coordinate or m.resolve_due is None
                else max(assign_at + dt.timedelta(hours=4), m.resolve_due - (m.resolve_due - assign_at) * rng.uniform(0.05, 0.2)))
    note = "经党建协调会议研究决定" if coordinate else ""
    returned_first = rng.random() < 0.04 and not coordinate
    if returned_first:
        wrong = depts.get((dept_region.id, "civil_affairs" if kind.lead != "civil_affairs" else "housing"))
        if wrong is not None:
            a0 = _assignment(ctx, plan, m, wrong, AssignmentRole.LEAD, assign_at, deadline, owner, owner_actor)
            if not ev(EventKind.ASSIGNED, assign_at, owner, MatterStatus.ASSIGNED, f"牵头：{wrong.name}", actor=owner_actor):
                plan.assignments.pop()
                return finish()
            back = _at(rng, assign_at, 4, 48)
            if not ev(EventKind.RETURNED, back, None, MatterStatus.ACCEPTED if owner_index == 0 else MatterStatus.ESCALATED,
                      rng.choice(RETURN_REASONS), department=wrong, actor=actors.handler if wrong.id == actors.handler_department else None):
                a0.status = AssignmentStatus.ASSIGNED
                a0.is_overdue = deadline < NOW
                return finish()
            a0.status, a0.returned_at, a0.return_reason = AssignmentStatus.RETURNED, back, events[-1].note
            a0.updated_at = back
            assign_at = _at(rng, back, 4, 48)
            deadline = assign_at + dt.timedelta(days=rng.choice((10, 15, 20)))
    names = "、".join(d.name for d in assists)
    text = f"牵头：{lead.name}" + (f"；配合：{names}" if names else "") + (f"（{note}）" if note else "")
    if coordinate:
        if not ev(EventKind.COORDINATED, assign_at, owner, note=f"{year}年第{q}季度党建协调会议研究", actor=owner_actor):
            return finish()
        m.coordinated_at = assign_at
    if not ev(EventKind.ASSIGNED, assign_at + dt.timedelta(minutes=1), owner, MatterStatus.ASSIGNED, text, actor=owner_actor):
        return finish()
    lead_a = _assignment(ctx, plan, m, lead, AssignmentRole.LEAD, assign_at + dt.timedelta(minutes=1), deadline, owner, owner_actor)
    assist_as = [_assignment(ctx, plan, m, d, AssignmentRole.ASSIST, assign_at + dt.timedelta(minutes=1), deadline, owner, owner_actor)
                 for d in assists]
    if coordinate:
        plan.coordination[(owner.id, year, q)].append({
            "matter_id": mid, "title": m.title, "agenda_at": agenda_at, "assignments": [a.id for a in [lead_a, *assist_as]],
            "text": f"{m.title}：由{lead.name}牵头" + (f"，{names}配合" if names else "") + f"，{deadline:%Y年%m月%d日}前办结。",
            "lead_department": lead.id, "deadline": deadline,
        })
    # the departments work
    on_time = rng.random() < 0.85
    results: list[dt.datetime] = []
    for a in [lead_a, *assist_as]:
        handler = actors.handler if a.department_id == actors.handler_department else None
        acc = _at(rng, a.assigned_at, 0.2, min(40.0, max(1.0, (a.deadline - a.assigned_at).total_seconds() / 3600 * 0.2)))
        if not ev(EventKind.ASSIGNMENT_ACCEPTED, acc, None, note="", department=a.department, actor=handler):
            a.is_overdue = a.deadline < NOW
            continue
        a.status, a.accepted_at, a.updated_at = AssignmentStatus.IN_PROGRESS, acc, acc
        span = (a.deadline - acc).total_seconds() / 3600
        done = _at(rng, acc, span * 0.2, span * 0.8) if on_time else a.deadline + dt.timedelta(hours=rng.uniform(24, 24 * 12))
        for j in range(rng.randint(0, 2)):
            when = acc + (done - acc) * (j + 1) / 3
            ev(EventKind.PROGRESS, when, None, note=rng.choice(PROGRESS_NOTES), department=a.department, actor=handler)
        if not on_time and a.role == AssignmentRole.LEAD:
            fu_at = a.deadline + dt.timedelta(hours=rng.uniform(4, 20))
            if fu_at <= NOW:
                fu_note = rng.choice(FOLLOW_UP_NOTES)
                new_deadline = a.deadline + dt.timedelta(days=7) if rng.random() < 0.5 else None
                plan.follow_ups.append(FollowUp(id=ctx.new_id(FollowUp), assignment_id=a.id, by_id=owner_actor, by_region_id=owner.id,
                                                note=fu_note, new_deadline=new_deadline, created_at=fu_at, updated_at=fu_at))
                ev(EventKind.FOLLOW_UP, fu_at, owner, note=f"督办{a.department.name}：{fu_note}", actor=owner_actor)
                a.follow_up_count = 1
                if new_deadline is not None:
                    a.deadline = new_deadline
        if not ev(EventKind.RESULT, done, None, note=_fill(kind.resolution, rng, community.name), department=a.department, actor=handler):
            a.is_overdue = a.deadline < NOW
            continue
        a.status, a.done_at, a.result, a.updated_at = AssignmentStatus.DONE, done, events[-1].note, done
        results.append(done)
    if len(results) < 1 + len(assist_as) or not lead_a.done_at:
        return finish()
    res_at = _at(rng, max(results), 1, 12)
    if not ev(EventKind.RESOLVED, res_at, owner, MatterStatus.RESOLVED, lead_a.result, actor=owner_actor):
        return finish()
    m.resolved_at, m.resolution = res_at, lead_a.result
    return _callback(ctx, m, rng, ev, res_at, owner, community, actors, finish, kind)


def _assignment(ctx: DemoContext, plan: _Plan, m: Matter, dept: Any, role: str, at: dt.datetime, deadline: dt.datetime, owner: Any,
                actor: int | None) -> Assignment:
    a = ctx.make(Assignment, id=ctx.new_id(Assignment), matter_id=m.id, department_id=dept.id, role=role, status=AssignmentStatus.ASSIGNED,
                 deadline=deadline, assigned_by_id=actor, assigned_at=at, by_region_id=owner.id, created_at=at, updated_at=at)
    a.department = dept
    plan.assignments.append(a)
    return a


_LABELS: dict[tuple[str, str | None], str] = {}


def _satisfaction_label(sat: str) -> str:
    """The satisfaction's label in the active language, translated once (21,000 callbacks at ``city`` scale)."""
    key = (sat, get_language())
    if key not in _LABELS:
        _LABELS[key] = str(Satisfaction(sat).label)
    return _LABELS[key]


def _callback(ctx: DemoContext, m: Matter, rng: random.Random, ev: Any, res_at: dt.datetime, owner: Any, community: Any,
              actors: _Actors, finish: Any, kind: Kind) -> None:
    cb_at = _at(rng, res_at, 12, 72)
    roll = rng.random()
    sat = Satisfaction.SATISFIED if roll < 0.72 else Satisfaction.BASICALLY if roll < 0.91 else Satisfaction.UNSATISFIED
    admin = actors.admins.get(community.id)
    note = rng.choice(CALLBACK_NOTES[sat])
    if not ev(EventKind.CALLBACK, cb_at, community, note=f"{_satisfaction_label(sat)}：{note}", actor=admin):
        return finish()
    m.satisfaction, m.callback_at, m.callback_note = sat, cb_at, note
    if sat != Satisfaction.UNSATISFIED:
        ev(EventKind.CLOSED, cb_at + dt.timedelta(minutes=1), community, MatterStatus.CLOSED, actor=admin)
        m.closed_at = cb_at + dt.timedelta(minutes=1)
        return finish()
    ev(EventKind.REOPENED, cb_at + dt.timedelta(minutes=1), community, MatterStatus.REOPENED, note="居民不满意，重新办理", actor=admin)
    m.reopen_count = 1
    m.resolved_at = None  # a reopened matter is no longer resolved
    res2 = _at(rng, cb_at, 24 * 5, 24 * 30)
    if not ev(EventKind.RESOLVED, res2, owner, MatterStatus.RESOLVED, "重新办理：" + _fill(kind.resolution, rng, community.name),
              actor=actors.admins.get(owner.id)):
        return finish()
    m.resolved_at, m.resolution = res2, "重新办理：" + m.resolution
    cb2 = _at(rng, res2, 12, 72)
    if not ev(EventKind.CALLBACK, cb2, community, note="基本满意：重新办理后问题已解决", actor=admin):
        return finish()
    m.satisfaction, m.callback_at, m.callback_note = Satisfaction.BASICALLY, cb2, "重新办理后问题已解决"
    ev(EventKind.CLOSED, cb2 + dt.timedelta(minutes=1), community, MatterStatus.CLOSED, actor=admin)
    m.closed_at = cb2 + dt.timedelta(minutes=1)
    return finish()
