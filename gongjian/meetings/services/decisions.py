"""Decisions of a held meeting and the department work they set: a matter's assignments (through the matters app) or
decision tasks, completed, followed up (督办), swept for overdue and reminded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError
from gongjian.core.kernel import Actor, account_of, key_of
from gongjian.core.models import AuditEvent
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.validation import Errors
from gongjian.matters import selectors as matter_selectors
from gongjian.matters import services as matter_services
from gongjian.matters.choices import MATTER_OPEN
from gongjian.regions.models import Department

from .. import selectors as sel
from ..choices import DecisionStatus, MeetingStatus, TaskStatus
from ..models import AgendaItem, Decision, DecisionTask, Meeting
from ..permissions import TASK_WORK
from .common import DEADLINE_MAX_DAYS, MAX_TASKS, bump, clean_datetime, clean_text, managed_meeting, meeting_url, resolve, task_url

# --- decisions -------------------------------------------------------------------------------


def _clean_deadline(value: Any, *, field: str, errors: Errors, after: dt.datetime) -> dt.datetime | None:
    d = clean_datetime(value, field=field, errors=errors, required=_("Enter the deadline."), end_of_day=True)
    if d is None:
        return None
    if d <= max(after, timezone.now()):
        errors.add(field, _("The deadline must be later than now."))
        return None
    if d > timezone.now() + dt.timedelta(days=DEADLINE_MAX_DAYS):
        errors.add(field, _("The deadline must be within three years."))
        return None
    return d


def _dept(value: Any, choices: QuerySet[Department], *, field: str, errors: Errors) -> Department | None:
    d = resolve(Department, value, choices)
    if not d:
        errors.add(field, _("Choose a department of this level or of the levels above it."))
        return None
    return d


@transaction.atomic
def decision_record(*, actor: Actor, meeting: Meeting | int, text: Any, agenda_item: Any = None, lead: Any = None,
                    assist: Iterable[Any] = (), deadline: Any = None, tasks: Iterable[Any] = ()) -> Decision:
    """A decision of a held meeting.

    On an agenda item with a matter: ``lead`` (+ ``assist``) departments and one ``deadline`` — the
    matter's departments are assigned through the matters app and the matter counts as coordinated.
    Otherwise: ``tasks`` = [(department, deadline), …] (or dicts with those keys), one task each.
    """
    m = managed_meeting(actor, meeting)
    if m.status != MeetingStatus.HELD:
        raise TransitionError(_("Decisions are recorded once the meeting has been held."))
    errors = Errors()
    body = clean_text(text, field="text", errors=errors, required=_("Write the decision."), max_length=4000, multiline=True)
    item = None
    if agenda_item not in (None, ""):
        pk = agenda_item.pk if isinstance(agenda_item, AgendaItem) else int_param(agenda_item)
        item = AgendaItem.objects.filter(meeting=m, pk=pk).select_related("matter").first() if pk else None
        if item is None:
            errors.add("agenda_item", _("Choose an item of this meeting's agenda."))
    choices = sel.department_choices(m)
    matter = item.matter if item is not None and item.matter_id else None
    clean_tasks: list[tuple[Department, dt.datetime]] = []
    lead_dept: Department | None = None
    assist_depts: list[Department] = []
    due: dt.datetime | None = None
    base_time = m.held_at or timezone.now()
    if matter is not None:
        if matter.status not in MATTER_OPEN:
            errors.add("agenda_item", _("This matter is “%(status)s”; a decision can no longer assign it.")
                       % {"status": matter.get_status_display()})
        choices = matter_selectors.department_choices(matter=matter)
        helpers = [a for a in list(assist or [])[:MAX_TASKS] if a not in (None, "")]
        if lead not in (None, ""):
            lead_dept = _dept(lead, choices, field="lead", errors=errors)
            for a in helpers:
                d = _dept(a, choices, field="assist", errors=errors)
                if d is not None and (d == lead_dept or d in assist_depts):
                    errors.add("assist", _("Each department is named once."))
                elif d is not None:
                    assist_depts.append(d)
            due = _clean_deadline(deadline, field="deadline", errors=errors, after=base_time)
        elif helpers or deadline not in (None, ""):
            errors.add("lead", _("Choose the lead department."))
        if list(tasks or []):
            errors.add("tasks", _("A decision on a matter assigns departments to the matter; it has no separate tasks."))
    else:
        rows = list(tasks or [])
        if not rows:
            errors.add("tasks", _("Name at least one department with a deadline."))
        if len(rows) > MAX_TASKS:
            errors.add("tasks", _("At most %(n)s departments.") % {"n": MAX_TASKS})
            rows = rows[:MAX_TASKS]
        seen: set[int] = set()
        for row in rows:
            if isinstance(row, dict):
                dv, dl = row.get("department"), row.get("deadline")
            else:
                dv, dl = row
            d = _dept(dv, choices, field="tasks", errors=errors)
            when = _clean_deadline(dl, field="tasks", errors=errors, after=base_time)
            if d is not None and d.pk in seen:
                errors.add("tasks", _("Each department is named once."))
                continue
            if d is not None and when is not None:
                seen.add(d.pk)
                clean_tasks.append((d, when))
        if lead not in (None, "") or list(assist or []):
            errors.add("lead", _("Departments are assigned to a matter; this decision has no matter — name its tasks instead."))
    errors.raise_if_any()
    decision = Decision.objects.create(meeting=m, agenda_item=item, matter=matter, text=body, decided_by=account_of(actor))
    if matter is not None:
        if lead_dept is not None:
            # the matters app assigns the departments and counts the matter coordinated; the decision's link to the
            # assignments is this app's table
            rows = matter_services.matter_assign(actor=actor, matter=matter, lead=lead_dept, assist=assist_depts, deadline=due,
                                                 note=body[:500], decision=decision)
            decision.assignments.add(*rows)
        else:
            # decided without departments (e.g. handed back to be handled at this level): coordinated all the same
            matter_services.matter_mark_coordinated(actor=actor, matter=matter, decision=decision)
    url = meeting_url(m)
    for d, when in clean_tasks:
        t = DecisionTask.objects.create(decision=decision, department=d, deadline=when)
        notify.send(notify.recipients(roles=["department_handler"], department=d), verb="meetings.task.assigned",
                    title=str(_("New task from %(meeting)s") % {"meeting": m.title}), body=body[:300], url=task_url(t), target=t)
    audit.record(actor=actor, verb="meetings.decision.record", target=m, changes={
        "decision": decision.pk, "text": body[:500], "matter": matter.pk if matter else None,
        "lead": lead_dept.pk if lead_dept else None, "assist": [d.pk for d in assist_depts], "deadline": due,
        "tasks": [{"department": d.pk, "deadline": w} for d, w in clean_tasks], "url": url,
    })
    bump()
    return decision



def decision_is_done(d: Decision) -> bool:
    """All the department work is done: every non-withdrawn assignment reported its result (at least one),
    or the matter is resolved/closed; a decision without a matter: every task done."""
    if d.matter_id:
        return sel.matter_work_done(d)
    tasks = list(d.tasks.all())
    return bool(tasks) and all(t.status == TaskStatus.DONE for t in tasks)


def decision_refresh(decision: Decision, *, now: dt.datetime | None = None) -> bool:
    """Set the decision's status from its department work; True when it changed. (No actor: derived state.)"""
    done = decision_is_done(decision)
    status = DecisionStatus.DONE if done else DecisionStatus.OPEN
    if status == decision.status:
        return False
    decision.status = status
    decision.done_at = (now or timezone.now()) if done else None
    decision.save(update_fields=["status", "done_at", "updated_at"])
    audit.record(actor=None, verb="meetings.decision.status", target=decision.meeting,
                 changes={"decision": decision.pk, "status": status})
    return True


# --- decision tasks --------------------------------------------------------------------------


def _task(actor: Actor, task: Any) -> DecisionTask:
    """The actor's department's task (else 404 if not visible at all, 403 if only readable), locked."""
    t = sel.task_get(actor=actor, id=task.pk if isinstance(task, DecisionTask) else task)
    if not can(actor, TASK_WORK) or t.department_id not in sel.handler_departments(actor):
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied()
    return DecisionTask.objects.select_for_update(of=("self",)).select_related("decision", "decision__meeting", "department").get(pk=t.pk)


@transaction.atomic
def task_complete(*, actor: Actor, task: Any, result: Any) -> DecisionTask:
    """The department reports its result; the decision is done when all its tasks are."""
    t = _task(actor, task)
    if t.status != TaskStatus.ASSIGNED:
        raise TransitionError(_("This task is already done."))
    errors = Errors()
    text = clean_text(result, field="result", errors=errors, required=_("Write what was done."), max_length=4000, multiline=True)
    errors.raise_if_any()
    t.status, t.result, t.done_at, t.is_overdue = TaskStatus.DONE, text, timezone.now(), False
    t.save(update_fields=["status", "result", "done_at", "is_overdue", "updated_at"])
    audit.record(actor=actor, verb="meetings.task.complete", target=t.decision.meeting,
                 changes={"task": t.pk, "department": t.department_id, "result": text[:500]})
    d = Decision.objects.select_for_update().get(pk=t.decision_id)
    decision_refresh(d)
    m = t.decision.meeting
    notify.send(notify.recipients(roles=[f"{m.level}_admin"], region=m.region), verb="meetings.task.done",
                title=str(_("%(department)s reported its result") % {"department": t.department}), body=text[:300],
                url=meeting_url(m), target=m)
    bump()
    return t


@transaction.atomic
def task_follow_up(*, actor: Actor, task: Any, note: Any, new_deadline: Any = None) -> DecisionTask:
    """督办: the meeting's administrators press a department on its task (optionally a new deadline)."""
    t = DecisionTask.objects.select_related("decision__meeting").filter(pk=key_of(task, DecisionTask)).first()
    if t is None:
        raise NotFound()
    m = managed_meeting(actor, t.decision.meeting, lock=False)
    t = DecisionTask.objects.select_for_update(of=("self",)).select_related("decision", "department").get(pk=t.pk)
    if t.status != TaskStatus.ASSIGNED:
        raise TransitionError(_("This task is already done."))
    errors = Errors()
    text = clean_text(note, field="note", errors=errors, required=_("Write what you ask the department to do."), max_length=500,
                      multiline=True)
    when = _clean_deadline(new_deadline, field="new_deadline", errors=errors, after=timezone.now()) if new_deadline not in (None, "") else None
    errors.raise_if_any()
    changes: dict[str, Any] = {"task": t.pk, "department": t.department_id, "note": text}
    if when is not None:
        changes["deadline"] = {"before": t.deadline, "after": when}
        t.deadline, t.is_overdue = when, False
        t.save(update_fields=["deadline", "is_overdue", "updated_at"])
    audit.record(actor=actor, verb="meetings.task.follow_up", target=m, changes=changes)
    notify.send(notify.recipients(roles=["department_handler"], department=t.department), verb="meetings.task.follow_up",
                title=str(_("Follow-up on your task from %(meeting)s") % {"meeting": m.title}), body=text, url=task_url(t), target=t)
    return t


def task_follow_ups(task: DecisionTask) -> list[dict[str, Any]]:
    """The follow-ups of a task, newest first (from the audit log)."""
    events = (AuditEvent.objects.filter(verb="meetings.task.follow_up", target_type="meetings.meeting",
                                        target_id=str(task.decision.meeting_id), changes__task=task.pk)
              .select_related("actor").order_by("-at", "-id"))
    out = []
    for e in events[:50]:
        ch = e.changes or {}
        dl = ch.get("deadline") or {}
        out.append({"at": e.at, "by": str(e.actor) if e.actor else e.actor_label, "note": ch.get("note", ""),
                    "new_deadline": dl.get("after") if isinstance(dl, dict) else None})
    return out


def sweep_overdue(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag tasks past their deadline (and notify their departments once), clear the flag of done or
    extended ones, and bring decisions' status in line with their department work. No actor: system."""
    now = now or timezone.now()
    flagged = 0
    with transaction.atomic():
        newly = list(DecisionTask.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(status=TaskStatus.ASSIGNED, is_overdue=False, deadline__lt=now).select_related("department", "decision__meeting"))
        for t in newly:
            t.is_overdue = True
            t.save(update_fields=["is_overdue", "updated_at"])
            notify.send(notify.recipients(roles=["department_handler"], department=t.department), verb="meetings.task.overdue",
                        title=str(_("Your task from %(meeting)s is overdue") % {"meeting": t.decision.meeting.title}),
                        body=t.decision.text[:300], url=task_url(t), target=t)
            flagged += 1
        cleared = DecisionTask.objects.filter(is_overdue=True).exclude(status=TaskStatus.ASSIGNED, deadline__lt=now).update(is_overdue=False)
        changed = 0
        for d in (Decision.objects.filter(status=DecisionStatus.OPEN).select_related("matter", "meeting")
                  .prefetch_related("assignments", "tasks").iterator(chunk_size=500)):
            if decision_is_done(d):
                changed += int(decision_refresh(d, now=now))
        if flagged or cleared or changed:
            audit.record(actor=None, verb="meetings.sweep", changes={"flagged": flagged, "cleared": cleared, "decisions_done": changed})
            bump()
    return {"tasks_overdue": flagged, "tasks_cleared": cleared, "decisions_done": changed}


def send_reminders(*, now: dt.datetime | None = None, hours: int = 24) -> int:
    """Remind departments of open tasks due within ``hours`` (once: the reminder is remembered in the audit log)."""
    now = now or timezone.now()
    due = list(DecisionTask.objects.filter(status=TaskStatus.ASSIGNED, is_overdue=False, deadline__gte=now,
                                           deadline__lt=now + dt.timedelta(hours=hours)).select_related("department", "decision__meeting"))
    if not due:
        return 0
    reminded = set(AuditEvent.objects.filter(verb="meetings.task.reminder", changes__task__in=[t.pk for t in due])
                   .values_list("changes__task", flat=True))
    sent = 0
    with transaction.atomic():
        for t in due:
            if t.pk in reminded:
                continue
            notify.send(notify.recipients(roles=["department_handler"], department=t.department), verb="meetings.task.reminder",
                        title=str(_("Your task from %(meeting)s is due soon") % {"meeting": t.decision.meeting.title}),
                        body=t.decision.text[:300], url=task_url(t), target=t)
            audit.record(actor=None, verb="meetings.task.reminder", target=t.decision.meeting, changes={"task": t.pk, "deadline": t.deadline})
            sent += 1
    return sent
