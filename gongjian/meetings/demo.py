"""Demo-city step of the meetings module (``meetings``, order 150; see ``gongjian/demo/README.md``).

Builds every coordination meeting of ``matters.demo.meeting_schedule`` (2025 Q1 – 2026 Q2
held at four levels; 2026 Q3 planned at the city, the districts and the subdistricts) and a
secretaries' exchange at the city every quarter:

* coordination meetings with their chair, place (the city's and districts' by video for the lower
  levels), attendees (the level's departments — 民政、财政、城建、人社、房管 — the secretaries of the
  level below, a community's resident units), agenda, minutes and decisions. The agenda of a
  subdistrict, district or city meeting holds the escalated matters the ``matters`` step decided
  there (``ctx.data["matters_coordination"]``): each gets a decision that carries the matter's
  department assignments (``Decision.assignments``), done when they all reported their result. A
  planned meeting's agenda holds the escalated matters waiting for it (proposed automatically).
  Every meeting also has a standing item (the quarter's matters, the co-building projects …) whose
  decision sets department tasks (``DecisionTask``) — done, or open past or before their deadline;
* secretaries' exchanges (街道书记交流会) by video, each on a theme, with five subdistrict secretaries
  speaking and two of their experiences published as exemplars (the planned Q3 one has its speakers
  set).

At ``city`` scale the held meetings of this year (2026 Q1 and Q2) reach the seed's 3,100+.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from gongjian.accounts.models import User
from gongjian.demo import city
from gongjian.demo.steps import DemoContext, given_timestamps
from gongjian.matters.demo import NOW, PLANNED_QUARTER, meeting_duration, meeting_schedule
from gongjian.regions.models import Region

from .choices import AgendaSource, AttendeeKind, DecisionStatus, MeetingKind, MeetingStatus, TaskStatus
from .models import AgendaItem, Attendee, Decision, DecisionTask, Experience, Meeting, Speaker

THEMES = ("推进老旧小区改造和加装电梯", "破解停车难、充电难", "物业管理融入基层治理", "垃圾分类和背街小巷整治", "为民办实事",
          "驻区单位共驻共建", "网格化管理和路长制", "一老一小服务", "防汛和安全生产", "党建引领接诉即办")
EXCHANGE_THEMES = ("党建引领老旧小区改造的做法与经验", "“四级联动”破解民生难题", "街道体制改革后的力量下沉", "党建引领物业管理",
                   "驻区单位“双报到”“双服务”", "接诉即办与主动治理", "社区党群服务中心建设与运营", "新就业群体融入基层治理")
STANDING_ITEMS = (("通报本季度民生事项办理和回访情况", "各责任部门对超期事项限期办结，下季度会议通报办理结果。"),
                  ("研究驻区单位共建项目推进", "共建项目清单按季度更新，牵头部门督促落实资金和场地。"),
                  ("部署下季度重点工作", "各部门按分工制定工作计划，报党建协调会议办公室备案。"),
                  ("研究“一老一小”服务阵地建设", "民政部门牵头梳理服务阵地需求，财政部门落实补助资金。"))
EXPERIENCE_TEXTS = (("“居民议事会+协调会”破解加装电梯难题",
                     "以楼栋为单位召开居民议事会形成共识，街道协调会统筹住建、房管、财政资金，审批时间缩短一半。", "加装电梯,议事协商"),
                    ("“红色物业”让小区治理有温度", "社区党组织牵头成立物业服务中心，党员楼栋长参与管理，物业满意度从六成提升到九成。", "红色物业"),
                    ("“路长+网格”发现问题不过夜", "党员路长每日巡查，问题当日上报、社区当日受理，跨部门事项直报街道协调会。", "路长制,网格化"),
                    ("驻区单位“错时共享”缓解停车难", "协调驻区单位夜间开放停车场，新增共享车位三百余个。", "停车难,共驻共建"),
                    ("充电桩建设“三方共建”模式", "社区提供场地、企业投资建设、物业负责管理，三个月建成充电桩二百个。", "充电桩"),
                    ("接诉即办“首接负责”", "社区对12345工单首接负责，当日联系居民，复杂诉求48小时内提请街道协调。", "接诉即办"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建国志强海燕红梅伟丽军芳明华秀英晓东玉兰德胜春雷文静国庆立新"
COMMITTEE_KINDS = ("civil_affairs", "finance", "urban_construction", "human_resources", "housing")


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


def _title(region: Any, level: str, year: int, q: int) -> str:
    name = "党建联席会议" if level == "community" else "党建协调会议"
    return f"{region.name}{year}年第{q}季度{name}"


def build_meetings(ctx: DemoContext) -> None:
    rng = ctx.rng_for("meetings")
    schedule = meeting_schedule(ctx)
    coordination: dict[tuple[int, int, int], list[dict[str, Any]]] = ctx.data.get("matters_coordination", {})
    awaiting: dict[tuple[int, int, int], list[dict[str, Any]]] = ctx.data.get("matters_awaiting", {})
    depts_by_region: dict[int, list[Any]] = defaultdict(list)
    for d in ctx.data.get("departments", {}).values():
        if d.kind in COMMITTEE_KINDS:
            depts_by_region[d.region_id].append(d)
    units_by_community: dict[int, list[Any]] = defaultdict(list)
    for u in ctx.data.get("units", []):
        units_by_community[u.region_id].append(u)
    children: dict[int, list[Any]] = defaultdict(list)
    for r in ctx.regions.values():
        if r.parent_id:
            children[r.parent_id].append(r)
    city_admin = User.objects.filter(username="demo_city_admin", is_active=True).values_list("id", flat=True).first()

    meetings: list[Meeting] = []
    attendees: list[Attendee] = []
    agenda: list[AgendaItem] = []
    decisions: list[Decision] = []
    links: list[Any] = []
    tasks: list[DecisionTask] = []
    speakers: list[Speaker] = []
    experiences: list[Experience] = []
    through = Decision.assignments.through
    done_assignments = ctx.data.get("matters_assignment_done", {})

    for (region_id, year, q), (starts, status) in sorted(schedule.items(), key=lambda kv: kv[1][0]):
        region = ctx.region_by_id(region_id)
        level = region.level
        mid = ctx.new_id(Meeting)
        held = status == "held"
        held_at = starts + meeting_duration() if held else None
        lower = level in ("subdistrict", "community")
        m = ctx.make(Meeting, id=mid, kind=MeetingKind.COORDINATION, region_id=region.id, region_path=region.path, level=level, year=year,
                     quarter=q, title=_title(region, level, year, q), theme=rng.choice(THEMES), starts_at=starts,
                     place=f"{region.name}党群服务中心{rng.choice(('一楼会议室', '二楼议事厅', '多功能厅'))}",
                     is_video=not lower and rng.random() < 0.3, chair=f"{_person(rng)}（{region.name}党组织书记）",
                     status=MeetingStatus.HELD if held else MeetingStatus.PLANNED, held_at=held_at,
                     created_by_id=city_admin if level == "city" else None,
                     created_at=starts - dt.timedelta(days=rng.randint(10, 20)), updated_at=held_at or starts - dt.timedelta(days=5))
        if m.is_video:
            m.video_link = f"https://video.example.org/{region.code}/{year}q{q}"
        meetings.append(m)
        # attendees: departments of the level (a subdistrict and a community invite the district's), secretaries below, units
        first_attendee = len(attendees)
        dept_region = region if level in ("city", "district") else _district_of(ctx, region)
        for d in depts_by_region.get(dept_region.id if dept_region else -1, [])[: 5 if not lower else 3]:
            attendees.append(ctx.make(Attendee, id=ctx.new_id(Attendee), meeting_id=mid, kind=AttendeeKind.DEPARTMENT, department_id=d.id,
                                      name=f"{d.name}负责同志", present=rng.random() < 0.95))
        below = [c for c in children.get(region.id, []) if c.level in ("district", "subdistrict", "community")]
        for c in rng.sample(below, min(len(below), 4)):
            attendees.append(ctx.make(Attendee, id=ctx.new_id(Attendee), meeting_id=mid, kind=AttendeeKind.SECRETARY, region_id=c.id,
                                      name=f"{_person(rng)}（{c.name}书记）", present=rng.random() < 0.92))
        for u in rng.sample(units_by_community.get(region.id, []), min(len(units_by_community.get(region.id, [])), 3)):
            attendees.append(ctx.make(Attendee, id=ctx.new_id(Attendee), meeting_id=mid, kind=AttendeeKind.UNIT, unit_id=u.id,
                                      name=f"{u.name}联络员", present=True))
        # agenda: the escalated matters decided (held) or waiting (planned), then a standing item
        order = 0
        discussed: list[str] = []
        for item in coordination.get((region_id, year, q), []) if held else []:
            assert held_at is not None
            order += 1
            aid = ctx.new_id(AgendaItem)
            agenda.append(ctx.make(AgendaItem, id=aid, meeting_id=mid, matter_id=item["matter_id"], title=item["title"],
                                   source=AgendaSource.ESCALATED, sort_order=order, discussion="与会部门逐一发言，明确牵头和配合单位及办结时限。",
                                   created_at=item["agenda_at"], updated_at=held_at or starts))
            done = all(done_assignments.get(a) for a in item["assignments"])
            done_at = max((done_assignments[a] for a in item["assignments"]), default=None) if done else None
            did = ctx.new_id(Decision)
            decisions.append(ctx.make(Decision, id=did, meeting_id=mid, agenda_item_id=aid, matter_id=item["matter_id"], text=item["text"],
                                      status=DecisionStatus.DONE if done else DecisionStatus.OPEN, done_at=done_at,
                                      decided_by_id=city_admin if level == "city" else None, created_at=held_at, updated_at=done_at or held_at))
            links.extend(ctx.make(through, decision_id=did, assignment_id=a) for a in item["assignments"])
            discussed.append(item["title"])
        for item in awaiting.get((region_id, year, q), []) if not held else []:
            order += 1
            agenda.append(ctx.make(AgendaItem, id=ctx.new_id(AgendaItem), meeting_id=mid, matter_id=item["matter_id"], title=item["title"],
                                   source=AgendaSource.ESCALATED, sort_order=order, created_at=item["agenda_at"], updated_at=item["agenda_at"]))
        title, decision_text = rng.choice(STANDING_ITEMS)
        order += 1
        aid = ctx.new_id(AgendaItem)
        agenda.append(ctx.make(AgendaItem, id=aid, meeting_id=mid, title=title, source=AgendaSource.MANUAL, sort_order=order,
                               discussion="各单位汇报本季度工作情况。" if held else "", created_at=m.created_at, updated_at=m.updated_at))
        if held:
            assert held_at is not None
            did = ctx.new_id(Decision)
            task_depts = rng.sample(depts_by_region.get(dept_region.id if dept_region else -1, []),
                                    min(2, len(depts_by_region.get(dept_region.id if dept_region else -1, []))))
            task_states = []
            for d in task_depts:
                deadline = held_at + dt.timedelta(days=rng.choice((30, 45, 60)))
                finished = (deadline < NOW - dt.timedelta(days=10) and rng.random() < 0.9) or rng.random() < 0.3
                done_on = min(held_at + (deadline - held_at) * rng.uniform(0.3, 1.1), NOW - dt.timedelta(hours=1)) if finished else None
                tasks.append(ctx.make(DecisionTask, id=ctx.new_id(DecisionTask), decision_id=did, department_id=d.id, deadline=deadline,
                                      status=TaskStatus.DONE if finished else TaskStatus.ASSIGNED,
                                      result="已按会议要求完成。" if finished else "", done_at=done_on,
                                      is_overdue=not finished and deadline < NOW, created_at=held_at, updated_at=done_on or held_at))
                task_states.append(done_on)
            all_done = bool(task_states) and all(task_states)
            decided_at = max([s for s in task_states if s], default=None) if all_done else None
            decisions.append(ctx.make(Decision, id=did, meeting_id=mid, agenda_item_id=aid, text=decision_text,
                                      status=DecisionStatus.DONE if all_done else DecisionStatus.OPEN, done_at=decided_at,
                                      created_at=held_at, updated_at=decided_at or held_at))
            present = sum(1 for a in attendees[first_attendee:] if a.present)
            matters_text = (f"会议研究了{len(discussed)}件上报事项：{'；'.join(discussed[:5])}{'等' if len(discussed) > 5 else ''}。"
                            if discussed else "本季度无上报协调事项。")
            m.minutes = (f"{held_at:%Y年%m月%d日}，{m.title}召开，{m.chair}主持。会议主题：{m.theme}。"
                         f"{matters_text}会议还{title}，决定：{decision_text}"
                         + f"出席{present}人。")

    # secretaries' exchanges: the city, every quarter, by video
    cityr = ctx.regions[city.CITY_CODE]
    subs = ctx.by_level("subdistrict", "subdistrict") or ctx.by_level("subdistrict")
    quarters = sorted({(y, q) for (_r, y, q) in schedule})
    for i, (year, q) in enumerate(quarters):
        starts = dt.datetime.combine(_exchange_day(year, q), dt.time(15, 0), tzinfo=NOW.tzinfo)
        held = (year, q) != PLANNED_QUARTER and starts < NOW
        held_at = starts + dt.timedelta(hours=2) if held else None
        theme = EXCHANGE_THEMES[i % len(EXCHANGE_THEMES)]
        mid = ctx.new_id(Meeting)
        m = Meeting(id=mid, kind=MeetingKind.SECRETARY_EXCHANGE, region_id=cityr.id, region_path=cityr.path, level=cityr.level, year=year,
                    quarter=q, title=f"{year}年第{q}季度街道党工委书记交流会", theme=theme, starts_at=starts, place="市委组织部视频会议室",
                    is_video=True, video_link=f"https://video.example.org/exchange/{year}q{q}", chair=f"{_person(rng)}（市委组织部）",
                    status=MeetingStatus.HELD if held else MeetingStatus.PLANNED, held_at=held_at, created_by_id=city_admin,
                    created_at=starts - dt.timedelta(days=20), updated_at=held_at or starts - dt.timedelta(days=20))
        chosen = rng.sample(subs, min(5, len(subs)))
        for j, s in enumerate(chosen):
            sid = ctx.new_id(Speaker)
            name = _person(rng)
            speakers.append(Speaker(id=sid, meeting_id=mid, region_id=s.id, name=f"{name}（{s.name}党工委书记）", topic=f"{s.name}：{theme}",
                                    report=f"{s.name}围绕“{theme}”汇报本季度做法、成效和遇到的困难。" if held else "", sort_order=j + 1,
                                    created_at=m.created_at, updated_at=m.updated_at))
            if held and j < 2:
                assert held_at is not None
                title, summary, tags = EXPERIENCE_TEXTS[(i * 2 + j) % len(EXPERIENCE_TEXTS)]
                experiences.append(Experience(id=ctx.new_id(Experience), meeting_id=mid, speaker_id=sid, region_id=s.id,
                                              title=f"{s.name}：{title}", summary=summary, tags=tags, published=True,
                                              recorded_by_id=city_admin, created_at=held_at, updated_at=held_at))
            attendees.append(ctx.make(Attendee, id=ctx.new_id(Attendee), meeting_id=mid, kind=AttendeeKind.SECRETARY, region_id=s.id,
                                      name=f"{name}（{s.name}党工委书记）", present=True))
        if held:
            assert held_at is not None
            m.minutes = (f"{held_at:%Y年%m月%d日}，{m.title}以视频方式召开，主题为“{theme}”。"
                         f"{'、'.join(s.name for s in chosen)}党工委书记作交流发言，会议推广了其中的经验做法。")
        meetings.append(m)

    created = {m.id: m.created_at for m in meetings}
    for a in attendees:
        a.created_at = a.updated_at = created[a.meeting_id]
    with given_timestamps(Meeting, Attendee, AgendaItem, Decision, DecisionTask, Speaker, Experience):
        ctx.bulk(Meeting, meetings)
        ctx.bulk(Attendee, attendees)
        ctx.bulk(AgendaItem, agenda)
        ctx.bulk(Decision, decisions)
        ctx.bulk(through, links)
        ctx.bulk(DecisionTask, tasks)
        ctx.bulk(Speaker, speakers)
        ctx.bulk(Experience, experiences)
    held_this_year = sum(1 for m in meetings if m.status == MeetingStatus.HELD and m.held_at and m.held_at.year == NOW.year
                         and m.kind == MeetingKind.COORDINATION)
    ctx.say(f"{len(meetings):,} meetings ({held_this_year:,} coordination meetings held this year), {len(agenda):,} agenda items, "
            f"{len(decisions):,} decisions, {len(tasks):,} department tasks, {len(speakers)} speakers, {len(experiences)} experiences")


def _district_of(ctx: DemoContext, region: Region) -> Any:
    parts = region.path.strip("/").split("/")
    return ctx.regions.get(parts[1]) if len(parts) > 1 else None


def _exchange_day(year: int, q: int) -> dt.date:
    day = dt.date(year, 3 * q - 1, 20)  # the quarter's second month
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


MODELS = (Meeting, Attendee, AgendaItem, Decision, Decision.assignments.through, DecisionTask, Speaker, Experience)
