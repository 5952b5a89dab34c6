"""Reads of coordination meetings and secretaries' exchanges. Every read takes ``actor=``.

Visibility (see ``permissions``): administrators read the meetings of their region and below
(``region_path`` prefix) and every city-level secretaries' exchange; a department handler reads
the meetings where his department attends or has a decision task. Outside = NotFound (404).
Running a meeting belongs to the administrators of the meeting's own region (``managed_paths``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from gongjian.accounts.choices import ADMIN_ROLES, Role
from gongjian.core.errors import NotFound, PermissionDenied
from gongjian.core.kernel import Actor, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.scope import actor_scopes, path_prefix_q, region_paths, scope_q
from gongjian.matters import selectors as matter_selectors
from gongjian.matters.choices import AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import LEVEL_ORDER, Level
from gongjian.regions.models import Department, Region

from .choices import DecisionStatus, MeetingKind, MeetingStatus, TaskStatus
from .models import AgendaItem, Attendee, Decision, DecisionTask, Experience, Meeting, Speaker
from .permissions import (
    CALENDAR_VIEW,
    EXPERIENCE_MANAGE,
    EXPERIENCE_VIEW,
    MEETING_MANAGE,
    MEETING_VIEW,
    TASK_WORK,
)

FILTERS = ("q", "kind", "level", "year", "quarter", "status", "region")
TASK_FILTERS = ("status", "overdue", "q")
MEETING_LEVELS = (Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY)


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def current_quarter(now: dt.datetime | None = None) -> tuple[int, int]:
    today = timezone.localdate(now) if now else timezone.localdate()
    return today.year, quarter_of(today)


# --- who runs what ---------------------------------------------------------------------------


def managed_paths(actor: Actor) -> list[str]:
    """Region paths whose meetings the actor runs: the regions of his administrator scopes ([""] = all)."""
    if not can(actor, MEETING_MANAGE):
        return []
    if getattr(actor, "is_superuser", False):
        return [""]
    return sorted({s.region_path for s in actor_scopes(actor) if s.kind == "region" and s.role in ADMIN_ROLES and s.region_path})


def may_manage(actor: Actor, meeting: Meeting) -> bool:
    paths = managed_paths(actor)
    return "" in paths or meeting.region_path in paths


def managed_regions(actor: Actor) -> QuerySet[Region]:
    """The regions the actor may plan meetings for (his own administrator regions)."""
    paths = managed_paths(actor)
    if "" in paths:
        return Region.objects.filter(level__in=MEETING_LEVELS, is_active=True).order_by("path")
    return Region.objects.filter(path__in=paths, level__in=MEETING_LEVELS).order_by("path")


def handler_departments(actor: Actor) -> list[int]:
    return sorted({s.department_id for s in actor_scopes(actor)
                   if s.kind == "department" and s.role == Role.DEPARTMENT_HANDLER and s.department_id})


def is_admin(actor: Actor) -> bool:
    return bool(getattr(actor, "is_superuser", False)) or any(s.role in ADMIN_ROLES for s in actor_scopes(actor))


# --- meetings --------------------------------------------------------------------------------


def visible_q(actor: Actor) -> Q | None:
    """The meetings the actor may read; None = all (superuser)."""
    if not can(actor, MEETING_VIEW):
        return Q(pk__in=[])
    if getattr(actor, "is_superuser", False):
        return None
    q = scope_q(actor, MEETING_VIEW, Meeting.scope_fields)
    q = q if q is not None else Q(pk__in=[])
    if is_admin(actor):
        q |= Q(kind=MeetingKind.SECRETARY_EXCHANGE, level=Level.CITY)
    depts = handler_departments(actor)
    if depts:
        q |= Q(Exists(Attendee.objects.filter(meeting=OuterRef("pk"), department_id__in=depts)))
        q |= Q(Exists(DecisionTask.objects.filter(decision__meeting=OuterRef("pk"), department_id__in=depts)))
        q |= Q(Exists(Decision.objects.filter(meeting=OuterRef("pk"),
                                              assignments__in=matter_selectors.assignments_of_departments(department_ids=depts))))
    return q


def meeting_base(actor: Actor) -> QuerySet[Meeting]:
    q = visible_q(actor)
    qs = Meeting.objects.all()
    return qs if q is None else qs.filter(q)


def meeting_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Meeting]:
    """Filters: q (title/theme/place/chair), kind, level, year, quarter, status, region (id: that region and below)."""
    f = filters or {}
    qs = meeting_base(actor).select_related("region")
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"])[:100], "title", "theme", "place", "chair"))
    if f.get("kind") in MeetingKind.values:
        qs = qs.filter(kind=f["kind"])
    if f.get("level") in MEETING_LEVELS:
        qs = qs.filter(level=f["level"])
    year = int_param(f.get("year"))
    if f.get("year") and year is not None and year < 10000:
        qs = qs.filter(year=year)
    if str(f.get("quarter", "")) in ("1", "2", "3", "4"):
        qs = qs.filter(quarter=int(f["quarter"]))
    if f.get("status") in MeetingStatus.values:
        qs = qs.filter(status=f["status"])
    region = int_param(f.get("region"))
    if f.get("region") and region is not None:
        r = Region.objects.filter(pk=region).first()
        qs = qs.filter(path_prefix_q("region_path", r.path)) if r else qs.none()
    # The counts are correlated subqueries, not Count() over joins: the database computes them for the rows of the page
    # (after ORDER BY … LIMIT), and a paginator's COUNT(*) leaves them out; the joins counted every meeting of the scope.
    return qs.annotate(agenda_count=_count_of(AgendaItem), decision_count=_count_of(Decision)).order_by("-starts_at", "-id")


def _count_of(model: Any) -> Coalesce:
    """The number of ``model`` rows of the meeting (``meeting_id`` = the outer row), as a subquery."""
    n = model.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(n, output_field=IntegerField()), 0)


def meeting_get(*, actor: Actor, id: Any, manage: bool = False) -> Meeting:
    pk = int_param(id)
    m = meeting_base(actor).select_related("region", "created_by").filter(pk=pk).first() if pk else None
    if m is None:
        raise NotFound()
    if manage and not may_manage(actor, m):
        raise PermissionDenied()
    return m


def decision_tasks_qs() -> QuerySet[DecisionTask]:
    return DecisionTask.objects.select_related("department", "department__region").order_by("deadline", "id")


@dataclass
class MeetingDetail:
    meeting: Meeting
    attendees: list[Attendee]
    agenda: list[AgendaItem]
    decisions: list[Decision]
    speakers: list[Speaker]
    experiences: list[Experience]
    present: int = 0
    absent: int = 0
    matter_links: dict[int, str] = field(default_factory=dict)


def matter_url(matter_id: int) -> str:
    """The matter's page (the web part's URL), or "" until the route exists."""
    try:
        return reverse("matters:matter_detail", args=[matter_id])
    except NoReverseMatch:
        return ""


def meeting_detail(*, actor: Actor, id: Any) -> MeetingDetail:
    m = meeting_get(actor=actor, id=id)
    attendees = list(m.attendees.select_related("department", "department__region", "unit", "region"))
    agenda = list(m.agenda.select_related("matter", "matter__community", "matter__category"))
    decisions = list(m.decisions.select_related("matter", "matter__community", "agenda_item", "decided_by").prefetch_related(
        Prefetch("assignments", queryset=matter_selectors.assignments_for_decisions()),
        Prefetch("tasks", queryset=decision_tasks_qs()),
    ))
    speakers = list(m.speakers.select_related("region"))
    exps = list(experience_base(actor).filter(meeting=m).select_related("region"))
    links = {}
    for it in agenda:
        if it.matter_id:
            links[it.matter_id] = matter_url(it.matter_id)
    present = sum(1 for a in attendees if a.present)
    return MeetingDetail(m, attendees, agenda, decisions, speakers, exps, present, len(attendees) - present, links)


def _live_assignments(d: Decision) -> list[Assignment]:
    """The decision's matter assignments, the withdrawn ones left out (reads ``d.assignments``, prefetched in bulk)."""
    return [a for a in d.assignments.all() if a.status != AssignmentStatus.WITHDRAWN]


def matter_work_done(d: Decision) -> bool:
    """The department work of a decision on a matter is done: every assignment not withdrawn reported its result (at least
    one), or the matter is resolved or closed."""
    asg = _live_assignments(d)
    if asg and all(a.status == AssignmentStatus.DONE for a in asg):
        return True
    return bool(d.matter and d.matter.status in (MatterStatus.RESOLVED, MatterStatus.CLOSED))


def decision_progress(d: Decision) -> tuple[int, int]:
    """(done, total) of the decision's department work: the matter's assignments (the withdrawn ones left out), or its
    tasks."""
    if d.matter_id:
        asg = _live_assignments(d)
        return sum(1 for a in asg if a.status == AssignmentStatus.DONE), len(asg)
    tasks = list(d.tasks.all())
    return sum(1 for t in tasks if t.status == TaskStatus.DONE), len(tasks)


def decision_for(*, id: Any) -> Decision | None:
    """One decision by its key (its meeting loaded), or None: e.g. to pass to ``matters.services.matter_assign``."""
    pk = int_param(id.pk if isinstance(id, Decision) else id)
    return Decision.objects.select_related("meeting").filter(pk=pk).first() if pk else None


def planned_agenda_items() -> QuerySet[AgendaItem]:
    """The agenda items of planned meetings: their matters are taken (not proposed to another meeting)."""
    return AgendaItem.objects.filter(meeting__status=MeetingStatus.PLANNED)


def decision_get(*, actor: Actor, meeting: Meeting, id: Any) -> Decision:
    pk = int_param(id)
    d = Decision.objects.filter(meeting=meeting, pk=pk).first() if pk else None
    if d is None:
        raise NotFound()
    return d


# --- departments, regions and matters for the forms ------------------------------------------


def department_choices(meeting: Meeting) -> QuerySet[Department]:
    """Departments a meeting can call on: those of its region's district and city, or of districts below it."""
    ancestors = [p for p in _ancestor_paths(meeting.region_path)]
    return (Department.objects.filter(is_active=True)
            .filter(Q(region_path__in=ancestors) | path_prefix_q("region_path", meeting.region_path))
            .select_related("region").order_by("region__path", "name"))


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def secretary_regions(meeting: Meeting) -> QuerySet[Region]:
    """Regions whose secretaries can attend: the level below the meeting's region (a city meeting: the subdistricts)."""
    level_below: dict[str, str] = {Level.CITY: Level.DISTRICT, Level.DISTRICT: Level.SUBDISTRICT, Level.SUBDISTRICT: Level.COMMUNITY}
    lv: str = Level.SUBDISTRICT if meeting.kind == MeetingKind.SECRETARY_EXCHANGE else level_below.get(meeting.level, "")
    if not lv:
        return Region.objects.none()
    return Region.objects.filter(path_prefix_q("path", meeting.region_path), level=lv, is_active=True).order_by("path")


def subdistricts_of(meeting: Meeting) -> QuerySet[Region]:
    return Region.objects.filter(path_prefix_q("path", meeting.region_path), level=Level.SUBDISTRICT, is_active=True).order_by("path")


def unit_choices(meeting: Meeting) -> Any:
    return ResidentUnit.objects.filter(path_prefix_q("region_path", meeting.region_path), is_active=True).order_by("name")


def proposable_matters(meeting: Meeting) -> QuerySet[Matter]:
    """Matters waiting for this meeting's coordination (the matters app decides which), not on a planned agenda yet."""
    return matter_selectors.matters_awaiting_coordination(region=meeting.region, taken=planned_agenda_items())


def addable_matters(meeting: Meeting) -> QuerySet[Matter]:
    """Matters the meeting can put on its agenda by hand: open matters its level owns, not on the agenda yet."""
    return matter_selectors.matters_for_agenda(region_path=meeting.region_path).exclude(
        Exists(AgendaItem.objects.filter(meeting=meeting, matter_id=OuterRef("pk"))))


# --- decision tasks --------------------------------------------------------------------------


def task_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[DecisionTask]:
    """The department handler's decision tasks (his departments); filters: status, overdue=1, q."""
    f = filters or {}
    if not can(actor, TASK_WORK):
        return DecisionTask.objects.none()
    qs = DecisionTask.objects.all()
    if not getattr(actor, "is_superuser", False):
        qs = qs.filter(department_id__in=handler_departments(actor))
    if f.get("status") in TaskStatus.values:
        qs = qs.filter(status=f["status"])
    if f.get("overdue") == "1":
        qs = qs.filter(is_overdue=True, status=TaskStatus.ASSIGNED)
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"])[:100], "decision__text", "decision__meeting__title"))
    # the department's name is drawn with its region's (``Department.__str__``): joined, not read once per row; of the
    # joined records only what a task's row and ``api.task_out`` show (not a meeting's minutes, say)
    return (qs.select_related("department__region", "decision__meeting").only(*TASK_ROW_FIELDS)
            .order_by("status", "deadline", "id"))


# Every column of a task; of its decision, meeting, department and the department's region what a row of the list shows.
TASK_ROW_FIELDS = (
    *(f.name for f in DecisionTask._meta.concrete_fields),
    "decision__text", "decision__meeting", "decision__meeting__title",
    "department__name", "department__region", "department__region__name",
)


def task_get(*, actor: Actor, id: Any) -> DecisionTask:
    """A task the actor may work on (his department) or read (through the meeting); else NotFound."""
    pk = int_param(id)
    t = DecisionTask.objects.select_related("decision", "decision__meeting", "department").filter(pk=pk).first() if pk else None
    if t is None:
        raise NotFound()
    if t.department_id in handler_departments(actor) and can(actor, TASK_WORK):
        return t
    if meeting_base(actor).filter(pk=t.decision.meeting_id).exists():
        return t
    raise NotFound()


def overdue_decisions(*, actor: Actor) -> QuerySet[Decision]:
    """Open decisions of meetings the actor runs with overdue department work."""
    paths = managed_paths(actor)
    if not paths:
        return Decision.objects.none()
    qs = Decision.objects.filter(status=DecisionStatus.OPEN)
    if "" not in paths:
        qs = qs.filter(meeting__region_path__in=paths)
    return qs.filter(Q(Exists(DecisionTask.objects.filter(decision=OuterRef("pk"), is_overdue=True, status=TaskStatus.ASSIGNED)))
                     | Q(Exists(matter_selectors.overdue_active_assignments().filter(meeting_decisions=OuterRef("pk")))))


# --- the quarterly calendar ------------------------------------------------------------------


@dataclass
class CalendarRow:
    region: Region
    status: str  # "held" | "planned" | "none"
    meeting: Meeting | None


@dataclass
class Calendar:
    year: int
    quarter: int
    root: Region | None
    roots: list[Region]
    level: str
    levels: list[str]
    rows: list[CalendarRow]
    counts: dict[str, int]
    by_level: list[dict[str, Any]]


def calendar_roots(actor: Actor) -> list[Region]:
    paths = region_paths(actor, CALENDAR_VIEW)
    if "" in paths:
        return list(Region.objects.filter(level=Level.CITY).order_by("path"))
    return list(Region.objects.filter(path__in=paths).order_by("path"))


def calendar_root(actor: Actor, root: Any = None) -> tuple[list[Region], Region | None]:
    """The regions whose calendars the actor may open, and the one asked for (``root``: a region's pk, one of them or
    below one of them; else the first of them)."""
    roots = calendar_roots(actor)
    rid = int_param(root)
    chosen = next((r for r in roots if r.pk == rid), None) if rid else None
    if chosen is None and rid:
        # a region below one of the roots
        r = Region.objects.filter(pk=rid).first()
        if r and any(r.path.startswith(x.path) for x in roots):
            chosen = r
    return roots, chosen or (roots[0] if roots else None)


def calendar(*, actor: Actor, year: int, quarter: int, root: Any = None, level: str = "") -> Calendar:
    """For a quarter: which regions of the actor's area (his own and the levels below) held their
    coordination meeting, which have one planned, and which have none yet; with counts per level."""
    roots, chosen = calendar_root(actor, root)
    if chosen is None:
        return Calendar(year, quarter, None, roots, "", [], [], {"held": 0, "planned": 0, "none": 0}, [])
    order: list[str] = [str(x) for x in LEVEL_ORDER]
    idx = order.index(chosen.level) if chosen.level in order else 0
    levels: list[str] = [lv for lv in order[idx:] if lv in MEETING_LEVELS]
    if level not in levels:
        level = levels[1] if len(levels) > 1 else levels[0]
    regions = Region.objects.filter(path_prefix_q("path", chosen.path), is_active=True)
    meetings = Meeting.objects.filter(path_prefix_q("region_path", chosen.path), kind=MeetingKind.COORDINATION, year=year,
                                      quarter=quarter).exclude(status=MeetingStatus.CANCELLED)
    # per level: regions, held, planned (status by region: held wins over planned)
    held_ids = set(meetings.filter(status=MeetingStatus.HELD).values_list("region_id", flat=True))
    planned_ids = set(meetings.filter(status=MeetingStatus.PLANNED).values_list("region_id", flat=True)) - held_ids
    by_level = []
    level_counts = dict(regions.filter(level__in=levels).values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    held_by_level = dict(meetings.filter(status=MeetingStatus.HELD).values_list("level").annotate(n=Count("region_id", distinct=True))
                         .values_list("level", "n"))
    planned_by_level: dict[str, int] = {}
    for lv in Region.objects.filter(pk__in=planned_ids).values_list("level", flat=True):
        planned_by_level[lv] = planned_by_level.get(lv, 0) + 1
    for lv in levels:
        total = level_counts.get(lv, 0)
        held = held_by_level.get(lv, 0)
        planned = planned_by_level.get(lv, 0)
        by_level.append({"level": lv, "label": Level(lv).label, "total": total, "held": held, "planned": planned,
                         "none": max(total - held - planned, 0)})
    rows_qs = regions.filter(level=level).order_by("path")
    shown = {m.region_id: m for m in meetings.filter(level=level).order_by("status", "-starts_at")}
    rows = []
    for r in rows_qs[:2000]:
        if r.pk in held_ids:
            status = "held"
        elif r.pk in planned_ids:
            status = "planned"
        else:
            status = "none"
        rows.append(CalendarRow(r, status, shown.get(r.pk)))
    counts = {"held": sum(1 for x in rows if x.status == "held"), "planned": sum(1 for x in rows if x.status == "planned"),
              "none": sum(1 for x in rows if x.status == "none")}
    return Calendar(year, quarter, chosen, roots, level, levels, rows, counts, by_level)


def my_level_not_met(actor: Actor) -> list[Region]:
    """The actor's own regions with no coordination meeting held this quarter."""
    year, quarter = current_quarter()
    regions = list(managed_regions(actor)[:50])
    held = set(Meeting.objects.filter(region__in=regions, kind=MeetingKind.COORDINATION, year=year, quarter=quarter,
                                      status=MeetingStatus.HELD).values_list("region_id", flat=True))
    return [r for r in regions if r.pk not in held]


# --- speakers and experiences ----------------------------------------------------------------


def speaker_get(*, meeting: Meeting, id: Any) -> Speaker:
    pk = int_param(id)
    s = Speaker.objects.filter(meeting=meeting, pk=pk).select_related("region").first() if pk else None
    if s is None:
        raise NotFound()
    return s


def speaker_file(*, meeting: Meeting, id: Any) -> tuple[Speaker, Any]:
    """A speaker of the meeting and its report attachment opened for reading; NotFound when there is none (or it is gone)."""
    s = speaker_get(meeting=meeting, id=id)
    if not s.attachment:
        raise NotFound()
    try:
        return s, s.attachment.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound() from None


def experience_base(actor: Actor) -> QuerySet[Experience]:
    if not can(actor, EXPERIENCE_VIEW):
        return Experience.objects.none()
    if can(actor, EXPERIENCE_MANAGE):
        return Experience.objects.all()
    return Experience.objects.filter(published=True)


def experience_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Experience]:
    """Filters: q (title, summary, tags; every word), tag, region (id: that region and below), year."""
    f = filters or {}
    qs = experience_base(actor).select_related("region", "meeting", "speaker")
    if f.get("q"):
        qs = qs.filter(text_q(str(f["q"])[:100], "title", "summary", "tags", "region__name"))
    if f.get("tag"):
        qs = qs.filter(tags__icontains=str(f["tag"])[:50])
    region = int_param(f.get("region"))
    if f.get("region") and region is not None:
        r = Region.objects.filter(pk=region).first()
        qs = qs.filter(path_prefix_q("region__path", r.path)) if r else qs.none()
    year = int_param(f.get("year"))
    if f.get("year") and year is not None and year < 10000:
        qs = qs.filter(meeting__year=year)
    if f.get("published") in ("0", "1"):
        qs = qs.filter(published=f["published"] == "1")
    return qs.order_by("-created_at", "-id")


def experience_get(*, actor: Actor, id: Any) -> Experience:
    pk = int_param(id)
    e = experience_list(actor=actor).filter(pk=pk).first() if pk else None
    if e is None:
        raise NotFound()
    return e


def tag_cloud(*, actor: Actor, limit: int = 30) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for tags in experience_base(actor).values_list("tags", flat=True)[:5000]:
        for t in split_tags(tags):
            counts[t] = counts.get(t, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def split_tags(tags: str) -> list[str]:
    return [t for t in (x.strip() for x in re.split(r"[,，、;；\s]+", tags or "")) if t]
