"""Writes of matters (民生事项): the workflow as explicit services.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds the matter inside
the actor's sight (outside = NotFound), locks its row (``select_for_update``) and then checks, on
the locked row, that the actor's level owns it and that the transition is allowed
(``choices.MATTER_TRANSITIONS``). It writes the change, one timeline ``MatterEvent``, one audit
event, bumps the module's figures and notifies the next actor on commit. Errors are Chinese and
nothing is written when one is raised.

**Concurrency.** Two people acting on one matter at once: the second waits for the row lock and
then sees the first one's result. Each state-changing service increments ``Matter.version``; the
caller's expected version is ``version=`` when given, otherwise the ``version`` of the ``Matter``
instance it passed (a bare id checks nothing). A different version on the locked row raises
``Conflict`` ("该事项已被他人处理，请刷新后再试", HTTP 409) — so the loser of a race gets that answer,
never a fork. Services on assignments lock the matter first, then the assignment (one lock order
for everyone), and compare the assignment status the caller saw with the locked one. On success
the ``Matter``/``Assignment`` instance the caller passed is updated in place. A department's result or
return also increments the matter's version (the owner's open form is stale then); taking an
assignment up, progress notes, follow-ups, attachments and meeting entries do not.

**Decisions.**

* *Who acts*: only the owning level (``owner_path`` is one of the actor's administrator scopes); the
  community accepts (first receiver); departments act on their own assignments only.
* *Escalation* moves the owner one level up (community → subdistrict → district → city), never above
  the city, and withdraws any active assignment (the new owner decides again). The resolve deadline
  keeps running from the report (a matter does not get more time by being escalated).
* *Which departments* a level may assign: departments of a region on the matter's path (the
  matter's district for communities, subdistricts and districts); only the city assigns city
  departments. One active lead, any number of assisting departments (not the lead again).
* *Assignment deadline*: by default the matter's resolve deadline, or a new span from the rule when
  that has passed; it must lie in the future and within a year.
* *Sent back*: an assisting department's return only ends its assignment; when the lead returns the
  matter, the remaining assisting assignments are withdrawn and the matter goes back to its owner
  (status accepted) to decide again.
* *Resolve*: the owner resolves a matter it handled itself; a matter with departments only once the
  lead has reported its result (the assisting ones still open are then withdrawn).
* *Callback*: satisfied / basically satisfied closes the matter; unsatisfied reopens it at the
  owning level with a new resolve deadline from the rule (``reopen_count`` + 1).
* *Overdue* (``sweep_overdue``) is sticky: a matter resolved late stays marked overdue (figures
  count it); a reopened matter starts clean.
* Timeline entries for meetings (agenda, coordinated) and attachments do not change ``version``:
  they never invalidate someone's open form.

**The package**, by capability (every public name importable from ``gongjian.matters.services``):
``report`` (report, accept, reject), ``escalation``, ``assignment`` (departments a level may assign, deadlines,
assign), ``resolution`` (resolve, callback, the hotline's outcome), ``departments`` (the departments' work and the
follow-up), ``attachments`` (attachments, the reporter's phone), ``agenda`` (what the meetings app asks of
matters), ``sweep`` (overdue sweep, reminders), ``catalogue`` (catalogue, rules, holidays); ``common`` holds the
locking and timeline helpers they share.
"""

from __future__ import annotations

from ..selectors import acting_paths, actor_departments, assignable_departments, path_depth, visible_matters
from .agenda import matter_mark_coordinated, matter_record_agenda, matters_lock_for_agenda
from .assignment import MAX_DEADLINE_DAYS, clean_deadline, default_deadline, matter_assign
from .attachments import MAX_ATTACHMENTS, MAX_PDF_BYTES, MAX_PHOTO_BYTES, attachment_read, matter_attach, reporter_phone, reporter_phone_masked
from .catalogue import category_save, holiday_delete, holiday_save, rule_update
from .common import CONFLICT_MESSAGE, MODULE, NUMBER_PREFIX, make_number, matter_url
from .departments import assignment_accept, assignment_follow_up, assignment_progress, assignment_result, assignment_return
from .escalation import matter_escalate
from .report import matter_accept, matter_reject, matter_report
from .resolution import HOTLINE_LABEL, matter_callback, matter_hotline_outcome, matter_resolve
from .sweep import SWEEP_BATCH, send_reminders, sweep_overdue

__all__ = [
    "CONFLICT_MESSAGE", "HOTLINE_LABEL", "MAX_ATTACHMENTS", "MAX_DEADLINE_DAYS", "MAX_PDF_BYTES", "MAX_PHOTO_BYTES", "MODULE",
    "NUMBER_PREFIX", "SWEEP_BATCH", "acting_paths", "actor_departments", "assignable_departments", "assignment_accept",
    "assignment_follow_up", "assignment_progress", "assignment_result", "assignment_return", "attachment_read", "category_save",
    "clean_deadline", "default_deadline", "holiday_delete", "holiday_save", "make_number", "matter_accept", "matter_assign",
    "matter_attach", "matter_callback", "matter_escalate", "matter_hotline_outcome", "matter_mark_coordinated",
    "matter_record_agenda", "matter_reject", "matter_report", "matter_resolve", "matter_url",
    "matters_lock_for_agenda", "path_depth", "reporter_phone", "reporter_phone_masked", "rule_update", "send_reminders",
    "sweep_overdue", "visible_matters",
]
