"""Reads of matters. Every read takes ``actor=`` and starts from the visibility rule (issue #5).

A matter is visible

* to an administrator whose region scope lies on its escalation path — from its community up to
  the highest level reached: scope path ``p`` sees it iff ``region_path`` starts with ``p`` and
  ``depth(p) >= top_depth`` (one indexed prefix comparison plus a column comparison);
* to the handlers of a department with an assignment on it (any status: a department that sent a
  matter back still sees what it sent back) — ``EXISTS`` an assignment of that department;
* to the account that entered it (a resident's or a road chief's own reports);

and to no one else: outside it every single-record read is ``NotFound`` (404).

List selectors own their ``select_related``, so a page of any length costs a fixed number of
queries (asserted in ``tests/test_selectors.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import re
from functools import reduce
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from gongjian.accounts.choices import ADMIN_ROLES
from gongjian.core.errors import NotFound
from gongjian.core.kernel import Actor, actor_key, text_q
from gongjian.core.params import int_param
from gongjian.core.permissions import Reach, can, is_registered, rules_for
from gongjian.core.scope import actor_scopes, path_prefix_q
from gongjian.regions.models import Department, Region

from . import permissions as perms
from .choices import ASSIGNMENT_ACTIVE, MATTER_OPEN, MATTER_TRANSITIONS, AssignmentRole, AssignmentStatus, MatterSource, MatterStatus, Urgency
from .models import Assignment, DeadlineRule, FollowUp, Holiday, Matter, MatterAttachment, MatterCategory, MatterEvent

ADMIN_ROLE_VALUES = frozenset(str(r) for r in ADMIN_ROLES)
LIST_RELATED = ("category", "community", "owner")


def path_depth(path: str) -> int:
    """Region.depth of a path: ``/410100/`` is 0 (city), ``/410100/410103/`` 1 (district) …"""
    return path.count("/") - 2


def _is_super(actor: Actor | None) -> bool:
    return bool(getattr(actor, "is_superuser", False)) and bool(getattr(actor, "is_active", False))


def _usable(actor: Actor | None) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "is_active", False)


def ancestor_paths(path: str) -> list[str]:
    """The path of every region from the top down to ``path`` itself."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def region_scope_q(path: str) -> Q:
    """Matters on the escalation path of the scope ``path``: under it and reached its level (``top_depth <= depth``).

    Ownership only moves up, so the owner is the highest level reached (its depth is ``top_depth``) and such a
    matter's owner is ``path`` itself or one of its ancestors. Saying so (``owner_path IN …``) lets the database
    start from the (owner_path, status) index — a district reads the few hundred matters it or the city owns, not
    the hundred thousand under it; the prefix and depth conditions keep the rule exact."""
    return Q(owner_path__in=ancestor_paths(path)) & path_prefix_q("region_path", path) & Q(top_depth__lte=path_depth(path))


def visible_q(actor: Actor, action: str = perms.VIEW) -> Q | None:
    """The matters ``actor`` may see, as one filter; None means all (a superuser)."""
    if not _usable(actor) or not is_registered(action):
        return Q(pk__in=[])
    if _is_super(actor):
        return None
    allowed = rules_for(action)
    q = Q(pk__in=[])
    departments: set[int] = set()
    for s in actor_scopes(actor):
        reach = allowed.get(s.role)
        if reach is None:
            continue
        if reach is Reach.SELF:
            q |= Q(reported_by_id=actor_key(actor))
        elif s.kind == "region" and s.region_path:
            q |= region_scope_q(s.region_path)
        elif s.kind == "department" and s.department_id:
            departments.add(s.department_id)
    if departments:
        q |= Q(Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), department_id__in=sorted(departments))))
    return q


def visible_matters(actor: Actor, action: str = perms.VIEW) -> QuerySet[Matter]:
    q = visible_q(actor, action)
    return Matter.objects.all() if q is None else Matter.objects.filter(q)


def acting_paths(actor: Actor | None, action: str) -> list[str]:
    """Region paths the actor acts *as* (administrator scopes of a role allowed ``action``); [""] = any (superuser)."""
    if not _usable(actor) or not can(actor, action):
        return []
    if _is_super(actor):
        return [""]
    allowed = rules_for(action)
    return sorted({s.region_path for s in actor_scopes(actor)
                   if s.kind == "region" and s.region_path and s.role in ADMIN_ROLE_VALUES and allowed.get(s.role) is Reach.SCOPE})


def actor_departments(actor: Actor | None, action: str = perms.HANDLE) -> list[int]:
    """Departments the actor handles for (department scopes of a role allowed ``action``)."""
    if not _usable(actor) or not is_registered(action):
        return []
    allowed = rules_for(action)
    return sorted({s.department_id for s in actor_scopes(actor)
                   if s.kind == "department" and s.department_id and allowed.get(s.role) is Reach.SCOPE})


def _owner_q(paths: list[str]) -> Q:
    if "" in paths:
        return Q()
    return Q(owner_path__in=paths) if paths else Q(pk__in=[])


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


# --- matters ---------------------------------------------------------------------------------

# ``services.make_number``: SX + yyyymmdd + the id (six digits at least).
MATTER_NUMBER_RE = re.compile(r"^SX\d{14,}$")

FILTER_KEYS = ("q", "status", "urgency", "category", "source", "region", "community", "owner", "overdue", "department",
               "from", "to", "mine")


def apply_filters(qs: QuerySet[Matter], filters: dict[str, Any] | None, *, actor: Actor | None = None) -> QuerySet[Matter]:
    """Filters: q (number/title/description/address), status (or ``open``), urgency, category (with its
    sub-categories), source, region or community (a region id: everything under it), owner (a region id:
    owned by it; ``me``: by the actor's levels), overdue (1), department (an id: with an assignment of
    it), from/to (reported date, inclusive), mine (1: entered by the actor). Bad values are ignored."""
    f = filters or {}
    if f.get("q"):
        text = str(f["q"]).strip()[:100]
        number_like = text.replace(" ", "").upper()
        if MATTER_NUMBER_RE.match(number_like):
            # A matter number is looked up alone (one probe of its unique index), not also as text in every visible row.
            qs = qs.filter(number=number_like)
        else:
            qs = qs.filter(Q(number=number_like) | Q(external_ref=text) | text_q(text, "title", "description", "address"))
    status = f.get("status")
    if status == "open":
        qs = qs.filter(status__in=MATTER_OPEN)
    elif status in MatterStatus.values:
        qs = qs.filter(status=status)
    if f.get("urgency") in Urgency.values:
        qs = qs.filter(urgency=f["urgency"])
    if f.get("source") in MatterSource.values:
        qs = qs.filter(source=f["source"])
    if f.get("category"):
        cat = MatterCategory.objects.filter(pk=int_param(f["category"]) or 0).first()
        if cat is None:
            qs = qs.none()
        else:
            ids = [cat.pk, *MatterCategory.objects.filter(Q(parent=cat) | Q(parent__parent=cat)).values_list("pk", flat=True)]
            qs = qs.filter(category_id__in=ids)
    for key in ("region", "community"):
        if f.get(key):
            region = Region.objects.filter(pk=int_param(f[key]) or 0).first()
            qs = qs.filter(path_prefix_q("region_path", region.path)) if region else qs.none()
    owner = f.get("owner")
    if owner == "me":
        qs = qs.filter(_owner_q(acting_paths(actor, perms.ASSIGN)))
    elif owner:
        region = Region.objects.filter(pk=int_param(owner) or 0).first()
        qs = qs.filter(owner_path=region.path) if region else qs.none()
    if str(f.get("overdue", "")) in ("1", "true"):
        qs = qs.filter(is_overdue=True, status__in=MATTER_OPEN)
    if f.get("department"):
        dept = int_param(f["department"]) or 0
        qs = qs.filter(Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), department_id=dept)))
    start, end = _date(f.get("from")), _date(f.get("to"))
    if start:
        qs = qs.filter(reported_at__gte=_day_start(start))
    if end:
        qs = qs.filter(reported_at__lt=_day_start(end + dt.timedelta(days=1)))
    if str(f.get("mine", "")) in ("1", "true") and actor is not None:
        qs = qs.filter(reported_by_id=actor_key(actor))
    return qs


def matter_list(*, actor: Actor, filters: dict[str, Any] | None = None, page: bool = False) -> QuerySet[Matter]:
    """The matters the actor sees, newest first, with the given filters (see ``apply_filters``).

    ``page=True`` (a list page of 20–100 rows): the category and regions are fetched for the page's rows afterwards
    (``prefetch_related``, three small queries) instead of joined, so PostgreSQL sorts the matching matters alone and
    never joins every match before the ``LIMIT`` (bench/bench_matters.py: a district's text search matching 10,942
    matters spent 150 ms of 190 ms in those joins). Exports keep the joins (one query for any number of rows)."""
    qs = apply_filters(visible_matters(actor), filters, actor=actor).order_by("-reported_at", "-id")
    return qs.prefetch_related(*LIST_RELATED) if page else qs.select_related(*LIST_RELATED)


# What the residents' phone form lists of each of their own reports.
OWN_REPORT_FIELDS = ("id", "number", "title", "status", "reported_at", "resolution", "reject_reason", "community", "community__name")


def own_reports(*, actor: Actor, limit: int = 30) -> list[Matter]:
    """The last ``limit`` matters the actor entered himself (among those he sees: ``matter_list``'s ``mine``), newest
    first, with their community's name and only the columns ``OWN_REPORT_FIELDS`` (the phone form's list)."""
    if not _usable(actor):
        return []
    qs = visible_matters(actor).filter(reported_by_id=actor_key(actor)).select_related("community").only(*OWN_REPORT_FIELDS)
    return list(qs.order_by("-reported_at", "-id")[:limit])


def matter_get(*, actor: Actor, id: Any) -> Matter:
    """One matter in the actor's sight (NotFound otherwise), with its category, places and reporter account."""
    pk = int_param(id.pk if isinstance(id, Matter) else id)
    if pk is None:
        raise NotFound()
    m = visible_matters(actor).select_related("category__parent__parent", "community__parent", "owner", "reported_by").filter(pk=pk).first()
    if m is None:
        raise NotFound()
    return m


def matter_events(*, actor: Actor, matter: Matter | int) -> QuerySet[MatterEvent]:
    """The timeline, oldest first."""
    m = matter if isinstance(matter, Matter) else matter_get(actor=actor, id=matter)
    if not isinstance(matter, Matter) or not visible_matters(actor).filter(pk=m.pk).exists():
        m = matter_get(actor=actor, id=m.pk)
    return MatterEvent.objects.filter(matter=m).select_related("actor", "region", "department").order_by("at", "id")


def matter_assignments(*, actor: Actor, matter: Matter | int) -> QuerySet[Assignment]:
    """The matter's assignments (all of them, the lead first), for the matter page."""
    m = matter_get(actor=actor, id=matter.pk if isinstance(matter, Matter) else matter)
    return (Assignment.objects.filter(matter=m).select_related("department__region", "by_region", "assigned_by")
            .order_by("-role", "assigned_at", "id"))  # "lead" sorts after "assist": the lead first


def matter_attachments(*, actor: Actor, matter: Matter | int) -> QuerySet[MatterAttachment]:
    m = matter_get(actor=actor, id=matter.pk if isinstance(matter, Matter) else matter)
    return MatterAttachment.objects.filter(matter=m).select_related("uploaded_by").order_by("id")


def attachment_get(*, actor: Actor, id: Any, matter: Any = None) -> MatterAttachment:
    """An attachment whose matter the actor sees (NotFound otherwise); with ``matter`` it must belong to it.

    The file is served by a view that calls this (never from a public media URL)."""
    pk = int_param(id)
    if pk is None:
        raise NotFound()
    qs = MatterAttachment.objects.filter(pk=pk, matter__in=visible_matters(actor).values("pk")).select_related("matter")
    if matter is not None:
        qs = qs.filter(matter_id=int_param(matter.pk if isinstance(matter, Matter) else matter) or 0)
    a = qs.first()
    if a is None:
        raise NotFound()
    return a


# --- work queues -----------------------------------------------------------------------------


def _lead_done_q() -> Q:
    return Q(assignments__role=AssignmentRole.LEAD, assignments__status=AssignmentStatus.DONE)


# Each queue's order (the most urgent first; one's own reports newest first).
QUEUE_ORDER: dict[str, tuple[str, str]] = {
    "to_accept": ("accept_due", "id"), "to_decide": ("resolve_due", "id"), "assigned": ("resolve_due", "id"),
    "to_resolve": ("resolve_due", "id"), "to_callback": ("resolved_at", "id"), "overdue": ("resolve_due", "id"),
    "assigned_to_me": ("resolve_due", "id"), "mine": ("-reported_at", "-id"),
}


def _queue_conditions(actor: Actor) -> dict[str, Q | None]:
    """The condition of each of the actor's work queues (see ``work_queue``); None = a queue that is always empty."""
    own = acting_paths(actor, perms.ASSIGN)
    out: dict[str, Q | None] = {}
    if own:
        owner = _owner_q(own)
        accept_paths = acting_paths(actor, perms.ACCEPT)
        out["to_accept"] = _owner_q(accept_paths) & Q(status=MatterStatus.REPORTED) if accept_paths else None
        out["to_decide"] = owner & Q(status__in=(MatterStatus.ACCEPTED, MatterStatus.ESCALATED, MatterStatus.REOPENED))
        out["assigned"] = owner & Q(status=MatterStatus.ASSIGNED)
        out["to_resolve"] = owner & Q(status=MatterStatus.ASSIGNED) & Q(
            Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), role=AssignmentRole.LEAD, status=AssignmentStatus.DONE)))
        callback_paths = acting_paths(actor, perms.CALLBACK)
        if "" in callback_paths:
            out["to_callback"] = Q(status=MatterStatus.RESOLVED)
        elif callback_paths:
            out["to_callback"] = (Q(owner_path__in=callback_paths) | Q(region_path__in=callback_paths)) & Q(status=MatterStatus.RESOLVED)
        else:
            out["to_callback"] = None
        out["overdue"] = owner & Q(is_overdue=True, status__in=MATTER_OPEN)
    depts = actor_departments(actor)
    if depts:
        out["assigned_to_me"] = Q(
            Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), department_id__in=depts, status__in=ASSIGNMENT_ACTIVE)))
        out.setdefault("overdue", Q(
            Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), department_id__in=depts, status__in=ASSIGNMENT_ACTIVE,
                                             is_overdue=True))))
    if can(actor, perms.REPORT) and not _is_super(actor):
        out["mine"] = Q(reported_by_id=actor_key(actor), status__in=(*MATTER_OPEN, MatterStatus.RESOLVED))
    return out


def work_queue(*, actor: Actor, page: bool = False) -> dict[str, QuerySet[Matter]]:
    """What waits for the actor, by kind. Administrators: of the levels they own (``owner_path``);
    department handlers: matters of their open assignments; residents and road chiefs: their own open reports.

    Keys: ``to_accept`` (reported, the community to accept), ``to_decide`` (accepted / escalated to this
    level / reopened: handle, assign, escalate, put on a meeting), ``assigned`` (with departments),
    ``to_resolve`` (the lead department reported its result), ``to_callback`` (resolved, callback due; also
    for the community the matter comes from), ``overdue`` (open and past a deadline), ``assigned_to_me``
    (department handlers), ``mine`` (own open reports). Their sizes in one query: ``work_queue_counts``.

    ``page=True`` (one page of a queue): the category and regions are fetched for the page's rows afterwards, as
    ``matter_list(page=True)`` does."""
    base = Matter.objects.prefetch_related(*LIST_RELATED) if page else Matter.objects.select_related(*LIST_RELATED)
    return {k: (base.filter(q) if q is not None else Matter.objects.none()).order_by(*QUEUE_ORDER[k])
            for k, q in _queue_conditions(actor).items()}


def work_queue_counts(*, actor: Actor) -> dict[str, int]:
    """The size of each of the actor's work queues (the keys of ``work_queue``), counted in one query: the matters of
    any queue (the owner, callback, department and reporter conditions through their indexes), each queue a
    ``COUNT(*) FILTER (WHERE …)`` of them."""
    conditions = _queue_conditions(actor)
    live = {k: q for k, q in conditions.items() if q is not None}
    counts = dict.fromkeys(conditions, 0)
    if not live:
        return counts
    if any(not q for q in live.values()):  # a condition that matches every matter (a superuser's levels)
        qs = Matter.objects.all()
    else:
        qs = Matter.objects.filter(reduce(operator.or_, live.values()))
    counts.update(qs.aggregate(**{k: Count("pk", filter=q) if q else Count("pk") for k, q in live.items()}))
    return counts


def own_report_count(*, actor: Actor) -> int:
    """The size of the actor's ``mine`` queue (own open reports), alone: the one queue that depends on the account
    itself rather than on its scope rows (0 for an actor without it)."""
    q = _queue_conditions(actor).get("mine")
    return Matter.objects.filter(q).count() if q is not None else 0


def _assignment_base() -> QuerySet[Assignment]:
    return Assignment.objects.select_related("matter__category", "matter__community", "department", "by_region")


# The department queue's tabs: which of the departments' assignments each holds, and in which order.
DEPARTMENT_QUEUES: dict[str, tuple[Q, tuple[str, ...]]] = {
    "to_accept": (Q(status=AssignmentStatus.ASSIGNED), ("deadline", "id")),
    "in_progress": (Q(status=AssignmentStatus.IN_PROGRESS), ("deadline", "id")),
    "overdue": (Q(status__in=ASSIGNMENT_ACTIVE, is_overdue=True), ("deadline", "id")),
    "followed_up": (Q(status__in=ASSIGNMENT_ACTIVE, follow_up_count__gt=0), ("deadline", "id")),
    "done": (Q(status=AssignmentStatus.DONE), ("-done_at", "-id")),
    "returned": (Q(status=AssignmentStatus.RETURNED), ("-returned_at", "-id")),
}


def department_queue(*, actor: Actor, rows: bool = False) -> dict[str, QuerySet[Assignment]]:
    """A department handler's assignments: ``to_accept`` (new), ``in_progress``, ``overdue`` (active and past
    the deadline), ``followed_up`` (active with a 督办), ``done`` (result reported, newest first),
    ``returned`` (sent back). Empty querysets for an actor without a department scope.

    ``rows=True`` (the queue page's rows): each assignment with its matter's title and number and its community's name
    only (``DEPARTMENT_ROW_FIELDS``), not every column of the matter, its category, the department and the issuing region."""
    depts = actor_departments(actor)
    if not depts:
        base = Assignment.objects.none()
    elif rows:
        base = (Assignment.objects.filter(department_id__in=depts).select_related("matter__community")
                .only(*DEPARTMENT_ROW_FIELDS))
    else:
        base = _assignment_base().filter(department_id__in=depts)
    return {key: base.filter(cond).order_by(*order) for key, (cond, order) in DEPARTMENT_QUEUES.items()}


# Every column of an assignment; of its matter the title, number and community name a row of the queue shows.
DEPARTMENT_ROW_FIELDS = (
    *(f.name for f in Assignment._meta.concrete_fields),
    "matter__title", "matter__number", "matter__community", "matter__community__name",
)


def department_queue_counts(*, actor: Actor) -> dict[str, int]:
    """The size of each of ``department_queue``'s tabs, counted in one query (``COUNT(*) FILTER (WHERE …)`` over the
    departments' assignments); zeros for an actor without a department scope."""
    depts = actor_departments(actor)
    counts = dict.fromkeys(DEPARTMENT_QUEUES, 0)
    if depts:
        counts.update(Assignment.objects.filter(department_id__in=depts).aggregate(
            **{key: Count("pk", filter=cond) for key, (cond, _order) in DEPARTMENT_QUEUES.items()}))
    return counts


ASSIGNMENT_PAGE_RELATED = ("matter", "department__region", "by_region")


def assignment_list(*, actor: Actor, filters: dict[str, Any] | None = None, page: bool = False) -> QuerySet[Assignment]:
    """Assignments the actor sees: his departments' ones, and those on matters he sees. Filters: status
    (or ``active``), department, overdue (1), matter.

    ``page=True`` (one page of a list): the matter, department and issuing region are fetched for the page's rows
    afterwards (``prefetch_related``) instead of joined, so PostgreSQL sorts the matching assignments alone: joined, a
    city's 900 assignments were each joined to five tables (and the plan took 10–20 ms to make) before the ``LIMIT``."""
    f = filters or {}
    q = visible_q(actor)
    depts = actor_departments(actor)
    qs = Assignment.objects.prefetch_related(*ASSIGNMENT_PAGE_RELATED) if page else _assignment_base()
    if q is not None:
        cond = Q(matter__in=Matter.objects.filter(q).values("pk"))
        if depts:
            cond |= Q(department_id__in=depts)
        qs = qs.filter(cond)
    status = f.get("status")
    if status == "active":
        qs = qs.filter(status__in=ASSIGNMENT_ACTIVE)
    elif status in AssignmentStatus.values:
        qs = qs.filter(status=status)
    if f.get("department"):
        qs = qs.filter(department_id=int_param(f["department"]) or 0)
    if str(f.get("overdue", "")) in ("1", "true"):
        qs = qs.filter(is_overdue=True, status__in=ASSIGNMENT_ACTIVE)
    if f.get("matter"):
        qs = qs.filter(matter_id=int_param(f["matter"]) or 0)
    return qs.order_by("deadline", "id")


def assignment_get(*, actor: Actor, id: Any) -> Assignment:
    """One assignment: its department's handlers and everyone who sees the matter (NotFound otherwise)."""
    pk = int_param(id.pk if isinstance(id, Assignment) else id)
    if pk is None:
        raise NotFound()
    a = assignment_list(actor=actor).select_related("assigned_by", "matter__owner").filter(pk=pk).first()
    if a is None:
        raise NotFound()
    return a


def follow_ups(*, actor: Actor, assignment: Assignment | int) -> QuerySet[FollowUp]:
    a = assignment_get(actor=actor, id=assignment.pk if isinstance(assignment, Assignment) else assignment)
    return FollowUp.objects.filter(assignment=a).select_related("by", "by_region").order_by("-created_at", "-id")


# --- overdue lists ---------------------------------------------------------------------------


def overdue_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Matter]:
    """Open overdue matters the actor sees (a level: everything on its paths; a department: the matters of its
    overdue assignments), most overdue first. Filters as ``matter_list``; ``owner=me`` narrows to the actor's
    own levels."""
    qs = apply_filters(visible_matters(actor), filters, actor=actor)
    depts = actor_departments(actor)
    cond = Q(is_overdue=True)
    if depts:
        cond |= Q(Exists(Assignment.objects.filter(matter_id=OuterRef("pk"), department_id__in=depts, status__in=ASSIGNMENT_ACTIVE,
                                                    is_overdue=True)))
    return qs.filter(cond, status__in=MATTER_OPEN).select_related(*LIST_RELATED).order_by("resolve_due", "id")


def overdue_assignments(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[Assignment]:
    """Active overdue assignments the actor sees (for a department: its own; for a level: those on matters it sees)."""
    return assignment_list(actor=actor, filters={**(filters or {}), "overdue": "1"})


# --- meetings --------------------------------------------------------------------------------


def matters_awaiting_coordination(*, actor: Actor | None = None, region: Region | int,
                                  taken: QuerySet[Any] | None = None) -> QuerySet[Matter]:
    """Matters escalated to ``region``'s level and waiting for it (owned by it, status escalated — or reopened
    after an escalation), not coordinated at a meeting since they arrived (a decision without departments leaves
    the matter with the level, but it is not proposed again). With ``actor`` the actor's sight applies too. For the
    meetings app's proposed agenda: ``taken`` is a queryset of rows with a ``matter_id`` (the meetings app passes the
    agenda items of its planned meetings, ``meetings.selectors.planned_agenda_items()``) whose matters are left out —
    matters does not read the meetings' tables itself (it sits below meetings)."""
    reg = region if isinstance(region, Region) else Region.objects.filter(pk=int_param(region) or 0).first()
    if reg is None:
        return Matter.objects.none()
    qs = visible_matters(actor) if actor is not None else Matter.objects.all()
    # not coordinated since it last arrived here (escalated, or reopened after a callback)
    waiting = (Q(status=MatterStatus.ESCALATED) & (Q(coordinated_at__isnull=True) | Q(coordinated_at__lt=F("escalated_at")))) | (
        Q(status=MatterStatus.REOPENED, escalation_count__gt=0) & (Q(coordinated_at__isnull=True) | Q(coordinated_at__lt=F("callback_at"))))
    qs = qs.filter(waiting, owner_path=reg.path)
    if taken is not None:
        qs = qs.exclude(Exists(taken.filter(matter_id=OuterRef("pk"))))
    return qs.select_related(*LIST_RELATED).order_by("escalated_at", "id")


def matters_for_agenda(*, region_path: str) -> QuerySet[Matter]:
    """Open matters the level at ``region_path`` owns, newest first: what a meeting of that level may put on its agenda
    by hand (the meetings app leaves out those already on the meeting's agenda)."""
    return Matter.objects.filter(owner_path=region_path, status__in=MATTER_OPEN).order_by("-reported_at", "-id")


def matter_for_agenda(*, id: Any) -> Matter | None:
    """One matter by its key for a meeting's agenda form (None when there is none); the meetings app checks the level owns
    it and that it is open."""
    pk = int_param(id.pk if isinstance(id, Matter) else id)
    return Matter.objects.filter(pk=pk).first() if pk else None


def assignments_for_decisions() -> QuerySet[Assignment]:
    """Assignments as a meeting's decisions list them (department and its region loaded; lead first)."""
    return Assignment.objects.select_related("department", "department__region").order_by("role", "id")


def assignments_of_departments(*, department_ids: Any) -> QuerySet[Assignment]:
    """Assignments given to any of these departments (whatever their state), e.g. to find the meeting decisions that
    tasked a department handler's departments."""
    return Assignment.objects.filter(department_id__in=list(department_ids))


def overdue_active_assignments() -> QuerySet[Assignment]:
    """Assignments still being handled and past their deadline (the sweep's flag), e.g. to find decisions with overdue work."""
    return Assignment.objects.filter(is_overdue=True, status__in=ASSIGNMENT_ACTIVE)


# --- catalogue, rules, calendar ----------------------------------------------------------------


def category_tree(*, active_only: bool = True) -> list[MatterCategory]:
    """Every category in catalogue order (parents before children), for pickers and the catalogue page."""
    qs = MatterCategory.objects.select_related("parent")
    if active_only:
        qs = qs.filter(is_active=True)
    return sorted(qs, key=lambda c: (c.full_name.split(" › ")[:1], c.level > 1, c.sort_order, c.full_name))


def catalogue_version() -> str:
    """A digest of what the pickers show of the catalogue (every category's place, name, order and state): it changes
    whenever a category is added, renamed, moved, reordered or switched off, whoever wrote it, so a picker built from
    ``category_tree`` may be kept until it does. One small query (150 short rows), a fraction of building the picker."""
    rows = MatterCategory.objects.order_by("id").values_list("id", "parent_id", "level", "name", "full_name", "sort_order", "is_active")
    return hashlib.sha1(repr(list(rows)).encode(), usedforsecurity=False).hexdigest()


def category_choices(*, leaves_only: bool = True) -> QuerySet[MatterCategory]:
    qs = MatterCategory.objects.filter(is_active=True)
    if leaves_only:
        qs = qs.filter(level=3)
    return qs.order_by("sort_order", "full_name")


def category_list(*, actor: Actor, filters: dict[str, Any] | None = None) -> QuerySet[MatterCategory]:
    if not can(actor, perms.CATALOGUE_VIEW):
        return MatterCategory.objects.none()
    f = filters or {}
    qs = MatterCategory.objects.select_related("parent")
    if f.get("active", "1") == "1":
        qs = qs.filter(is_active=True)
    if f.get("level") in ("1", "2", "3"):
        qs = qs.filter(level=int(f["level"]))
    if f.get("q"):
        qs = qs.filter(full_name__icontains=str(f["q"]).strip()[:50])
    return qs.order_by("sort_order", "full_name")


def rule_list(*, actor: Actor) -> QuerySet[DeadlineRule]:
    if not can(actor, perms.CATALOGUE_VIEW):
        return DeadlineRule.objects.none()
    return DeadlineRule.objects.order_by("id")


def holiday_list(*, actor: Actor, year: int | None = None) -> QuerySet[Holiday]:
    if not can(actor, perms.CATALOGUE_VIEW):
        return Holiday.objects.none()
    qs = Holiday.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return qs.order_by("date")


def assignable_departments(matter: Matter) -> QuerySet[Department]:
    """Active departments of a region on the matter's path; only a city owner may assign city departments."""
    parts = [p for p in matter.region_path.strip("/").split("/") if p]
    prefixes = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    qs = Department.objects.filter(is_active=True, region_path__in=prefixes).select_related("region")
    if path_depth(matter.owner_path) > 0:
        qs = qs.exclude(region__depth=0)
    return qs.order_by("region__depth", "name")


def department_choices(*, matter: Matter) -> QuerySet[Department]:
    """Departments the matter's owning level may assign (``assignable_departments``)."""
    return assignable_departments(matter)


# --- what the actor may do on one matter (the page's buttons) -------------------------------------


def available_actions(*, actor: Actor, matter: Matter) -> dict[str, Any]:
    """What ``actor`` may do on ``matter`` now (a matter he sees), for the page's buttons and the API.

    Keys with True: ``accept``, ``reject``, ``escalate``, ``assign``, ``resolve``, ``callback``, ``attach``,
    ``read_phone``; ``follow_up``: the active assignments the actor's level may press (list of ids);
    ``handle``: the actor's departments' active assignments on it (list of ids). The services check the
    same rules again on the locked row, so a button shown on a stale page still gets a clear answer."""
    st = matter.status

    def owner_may(action: str) -> bool:
        paths = acting_paths(actor, action)
        return "" in paths or matter.owner_path in paths

    out: dict[str, Any] = {
        "accept": MATTER_TRANSITIONS.allows(st, MatterStatus.ACCEPTED) and st == MatterStatus.REPORTED and owner_may(perms.ACCEPT),
        "reject": MATTER_TRANSITIONS.allows(st, MatterStatus.REJECTED) and owner_may(perms.REJECT),
        "escalate": MATTER_TRANSITIONS.allows(st, MatterStatus.ESCALATED) and path_depth(matter.owner_path) > 0 and owner_may(perms.ESCALATE),
        "assign": MATTER_TRANSITIONS.allows(st, MatterStatus.ASSIGNED) and owner_may(perms.ASSIGN),
        "resolve": False,
        "callback": False,
        "attach": False,
        "read_phone": bool(matter.reporter_phone_enc) and bool(acting_paths(actor, perms.READ_PHONE)),
        "follow_up": [],
        "handle": [],
    }
    if MATTER_TRANSITIONS.allows(st, MatterStatus.RESOLVED) and owner_may(perms.RESOLVE):
        out["resolve"] = st != MatterStatus.ASSIGNED or Assignment.objects.filter(
            matter=matter, role=AssignmentRole.LEAD, status=AssignmentStatus.DONE).exists()
    if st == MatterStatus.RESOLVED:
        cb = acting_paths(actor, perms.CALLBACK)
        out["callback"] = "" in cb or matter.owner_path in cb or matter.region_path in cb
    active = list(Assignment.objects.filter(matter=matter, status__in=ASSIGNMENT_ACTIVE).values_list("pk", "department_id"))
    if active and owner_may(perms.FOLLOW_UP):
        out["follow_up"] = [pk for pk, _d in active]
    depts = set(actor_departments(actor))
    out["handle"] = [pk for pk, d in active if d in depts]
    if st not in (MatterStatus.CLOSED, MatterStatus.REJECTED) and can(actor, perms.ATTACH):
        on_path = any(matter.region_path.startswith(p) for p in acting_paths(actor, perms.ATTACH))
        own = matter.reported_by_id is not None and matter.reported_by_id == actor_key(actor)
        out["attach"] = on_path or bool(out["handle"]) or own
    return out
