"""Writes of coordination meetings and secretaries' exchanges.

Every function takes ``actor=`` keyword-only, finds the meeting among those the actor may read
(outside = NotFound, 404), checks that the actor runs it (the administrators of the meeting's own
region; otherwise PermissionDenied, 403), locks the meeting row (``select_for_update``) before
checking its status, validates every field before writing (nothing is written on error), writes
one audit event and bumps the module's figures on commit.

Rules (issue #5, point 4):

* **Kinds.** A coordination meeting at any level (city, district, subdistrict, community), planned
  by that level's administrators. A secretaries' exchange is city-level only, has a theme and is
  held by video. The year and quarter come from the date (a given year/quarter must match it).
* **Planned → held | cancelled** (``MEETING_TRANSITIONS``). Facts, attendees and agenda change
  only while planned (attendance — present/absent — can still be corrected after it is held).
  Holding needs the minutes; cancelling needs a reason.
* **Agenda.** Planning a coordination meeting (and "refresh proposals") puts on its agenda every
  matter the matters app says waits for coordination at this meeting's region
  (``matters_awaiting_coordination``: escalated to this level, not decided or resolved, not on
  another planned meeting's agenda). The matter row is locked and re-checked, so a matter is never
  proposed twice, even by two meetings planned at once. Items can be added by hand (a topic, or an
  open matter the level owns), moved and removed while planned. Each matter put on an agenda gets
  a timeline entry (``matter_record_agenda``).
* **Decisions** are recorded on a held meeting. A decision on an agenda item with a matter assigns
  a lead and assisting departments with a deadline through ``matters.services.matter_assign
  (decision=...)``, which links the assignments to the decision and counts the matter coordinated
  (its timeline gets the "coordinated" entry); the assignments are then tracked in the matters app.
  A decision on a matter without departments (e.g. handed back to be handled at this level) only
  marks it coordinated (``matter_mark_coordinated``). A decision without a matter gets one
  ``DecisionTask`` per department (department + deadline), which the department handler completes
  with a result. A decision is done when all its assignments / tasks are done.
* **Tasks** are swept for overdue (``sweep_overdue``), followed up (督办, notified, optional new
  deadline) by the meeting's administrators.
* **Speakers** (exchange only): a subdistrict, a name, a topic, a report text and an attachment
  (PDF or image, checked by content, ≤ 10 MB, served only through the scoped view).
* **Experiences** are exemplars recorded from an exchange (title, summary, tags, published) by the
  city administrators; once published every level reads them.

The services are split by capability; every public name stays importable from here:

* ``meetings`` — plan, change, hold, minutes, cancel; attendees; the agenda;
* ``decisions`` — decisions and their department work (assignments through the matters app, decision tasks),
  follow-ups, the overdue sweep and the reminders;
* ``exchanges`` — the speakers of a secretaries' exchange and their reports;
* ``experiences`` — the experiences library;
* ``common`` — limits and cleaners they share.

What meetings asks of the matters app is a call of its public services and selectors: locks and timeline writes
(``matters_lock_for_agenda``, ``matter_record_agenda``, ``matter_assign``, ``matter_mark_coordinated``) and reads
(``matters_awaiting_coordination``, ``matters_for_agenda``, ``matter_for_agenda``, ``department_choices``,
``assignments_for_decisions``, ``assignments_of_departments``, ``overdue_active_assignments``). Meetings never writes
or locks matters' rows itself; matters never reads meetings' tables (it sits below): meetings passes it the decision
object and the planned agenda items (``selectors.planned_agenda_items``), and links a decision to the assignments
``matter_assign`` returns (``Decision.assignments`` is meetings' table).
"""

from __future__ import annotations

from .common import (
    ATTACHMENT_MAX_BYTES,
    DEADLINE_MAX_DAYS,
    MAX_AGENDA,
    MAX_ATTENDEES,
    MAX_SPEAKERS,
    MAX_TASKS,
    MAX_YEAR,
    MIN_YEAR,
    MODULE,
    clean_datetime,
    clean_text,
    meeting_snapshot,
)
from .decisions import (
    decision_is_done,
    decision_record,
    decision_refresh,
    send_reminders,
    sweep_overdue,
    task_complete,
    task_follow_up,
    task_follow_ups,
)
from .exchanges import ATTACHMENT_TYPES, attachment_content_type, clean_attachment, speaker_add, speaker_remove, speaker_update
from .experiences import experience_record, experience_update
from .meetings import (
    agenda_add,
    agenda_discussion,
    agenda_move,
    agenda_refresh,
    agenda_remove,
    agenda_reorder,
    attendee_add,
    attendee_label,
    attendee_remove,
    attendee_set_present,
    meeting_cancel,
    meeting_hold,
    meeting_minutes_update,
    meeting_plan,
    meeting_update,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES", "ATTACHMENT_TYPES", "DEADLINE_MAX_DAYS", "MAX_AGENDA", "MAX_ATTENDEES", "MAX_SPEAKERS", "MAX_TASKS",
    "MAX_YEAR", "MIN_YEAR", "MODULE", "agenda_add", "agenda_discussion", "agenda_move", "agenda_refresh", "agenda_remove",
    "agenda_reorder", "attachment_content_type", "attendee_add", "attendee_label", "attendee_remove", "attendee_set_present",
    "clean_attachment", "clean_datetime", "clean_text", "decision_is_done", "decision_record", "decision_refresh",
    "experience_record", "experience_update", "meeting_cancel", "meeting_hold", "meeting_minutes_update", "meeting_plan",
    "meeting_snapshot", "meeting_update", "send_reminders", "speaker_add", "speaker_remove", "speaker_update", "sweep_overdue",
    "task_complete", "task_follow_up", "task_follow_ups",
]
