"""Every place where meetings reaches into the matters app: one small port.

Meetings put matters on their agendas and decide them; the matters app owns the ``Matter`` and
``Assignment`` rows. Each function here names what meetings needs of matters. Today some of them
still query or lock matters' tables themselves (marked *direct* below); each body is meant to become
one call of a matters service or selector (``gongjian.matters.services`` / ``.selectors``) without
any caller changing.

* Locks and writes: ``lock_matter_for_agenda`` (*direct*), ``record_on_agenda``, ``assign_departments``,
  ``mark_coordinated``.
* Reads for the agenda: ``find_matter`` (*direct*), ``is_open``, ``escalated_matters_waiting``,
  ``open_matters_owned_by`` (*direct*), ``matter_page_url``.
* Reads for decisions: ``department_choices_for``, ``decision_work_done``, ``assignment_progress``,
  ``decision_assignments_queryset`` (*direct*), ``decision_assigned_to_q`` (*direct*),
  ``decision_has_overdue_assignments_q`` (*direct*).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from gongjian.core.kernel import Actor
from gongjian.core.params import int_param
from gongjian.matters import selectors as matter_selectors
from gongjian.matters import services as matter_services
from gongjian.matters.choices import MATTER_OPEN, AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter

__all__ = [
    "Matter", "assign_departments", "assignment_progress", "decision_assigned_to_q", "decision_assignments_queryset",
    "decision_has_overdue_assignments_q", "decision_work_done", "department_choices_for", "escalated_matters_waiting",
    "find_matter", "is_open", "lock_matter_for_agenda", "mark_coordinated", "matter_page_url", "open_matters_owned_by",
    "record_on_agenda",
]

# --- locks and writes ------------------------------------------------------------------------


def lock_matter_for_agenda(matter_id: int) -> Matter:
    """*Direct.* The matter row, locked (``SELECT … FOR UPDATE``) until the caller's transaction ends, so that two
    meetings never put it on their agendas at once. Raises ``Matter.DoesNotExist`` if it is gone."""
    return Matter.objects.select_for_update().get(pk=matter_id)


def record_on_agenda(*, actor: Actor, matter: Matter, meeting: Any) -> None:
    """The matter's timeline notes that it was put on the meeting's agenda (``matters.services.matter_record_agenda``)."""
    matter_services.matter_record_agenda(actor=actor, matter=matter, meeting=meeting)


def assign_departments(*, actor: Actor, matter: Matter, lead: Any, assist: Iterable[Any], deadline: Any, note: str,
                       decision: Any) -> None:
    """A meeting's decision assigns the matter's lead and assisting departments with a deadline; the assignments are
    linked to the decision and the matter counts as coordinated (``matters.services.matter_assign(decision=...)``)."""
    matter_services.matter_assign(actor=actor, matter=matter, lead=lead, assist=list(assist), deadline=deadline, note=note,
                                  decision=decision)


def mark_coordinated(*, actor: Actor, matter: Matter, decision: Any) -> None:
    """A decision on the matter without departments (e.g. handed back to its level): it counts as coordinated all the same
    (``matters.services.matter_mark_coordinated``)."""
    matter_services.matter_mark_coordinated(actor=actor, matter=matter, decision=decision)


# --- reads for the agenda --------------------------------------------------------------------


def find_matter(value: Any) -> Matter | Literal[False] | None:
    """*Direct.* A matter from an instance or a primary key: None when blank, False when there is none."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Matter) else int_param(value)
    if pk is None:
        return False
    return Matter.objects.filter(pk=pk).first() or False


def is_open(matter: Matter) -> bool:
    """The matter is still being handled (not resolved, closed …): it may go on an agenda or be decided."""
    return matter.status in MATTER_OPEN


def escalated_matters_waiting(region: Any) -> Any:
    """The matters escalated to this region's level that wait for its coordination meeting (not decided or resolved, not
    on another planned agenda): ``matters.selectors.matters_awaiting_coordination``."""
    return matter_selectors.matters_awaiting_coordination(actor=None, region=region)


def open_matters_owned_by(region_path: str, *, not_on_meeting: Any) -> QuerySet[Matter]:
    """*Direct.* Open matters the level (``owner_path``) owns that are not on this meeting's agenda yet, newest first
    (what a meeting may add to its agenda by hand)."""
    return (Matter.objects.filter(owner_path=region_path, status__in=MATTER_OPEN)
            .exclude(agenda_items__meeting=not_on_meeting).order_by("-reported_at", "-id"))


def matter_page_url(matter_id: int) -> str:
    """The matter's page, or "" while the matters pages are not routed."""
    try:
        return reverse("matters:matter_detail", args=[matter_id])
    except NoReverseMatch:
        return ""


# --- reads for decisions ---------------------------------------------------------------------


def department_choices_for(matter: Matter) -> Any:
    """The departments a decision may assign to the matter (``matters.selectors.department_choices``)."""
    return matter_selectors.department_choices(matter=matter)


def _live(decision: Any) -> list[Any]:
    return [a for a in decision.assignments.all() if a.status != AssignmentStatus.WITHDRAWN]


def decision_work_done(decision: Any) -> bool:
    """The department work of a decision on a matter is done: every assignment not withdrawn reported its result (at least
    one), or the matter is resolved or closed. Reads ``decision.assignments`` (prefetched where it is read in bulk)."""
    asg = _live(decision)
    if asg and all(a.status == AssignmentStatus.DONE for a in asg):
        return True
    return bool(decision.matter and decision.matter.status in (MatterStatus.RESOLVED, MatterStatus.CLOSED))


def assignment_progress(decision: Any) -> tuple[int, int]:
    """(done, total) of a decision's matter assignments, the withdrawn ones left out."""
    asg = _live(decision)
    return sum(1 for a in asg if a.status == AssignmentStatus.DONE), len(asg)


def decision_assignments_queryset() -> QuerySet[Assignment]:
    """*Direct.* The assignments of decisions as a meeting page shows them (with their departments), for a ``Prefetch``."""
    return Assignment.objects.select_related("department", "department__region").order_by("role", "id")


def decision_assigned_to_q(department_ids: Iterable[int]) -> Q:
    """*Direct.* A filter on ``Decision``: one of its matter assignments went to one of these departments."""
    return Q(assignments__department_id__in=list(department_ids))


def decision_has_overdue_assignments_q() -> Q:
    """*Direct.* A filter on ``Decision``: one of its matter assignments is still being carried out past its deadline."""
    return Q(Exists(Assignment.objects.filter(meeting_decisions=OuterRef("pk"), is_overdue=True,
                                              status__in=[AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS])))
