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
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import Conflict, NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.params import int_param
from gongjian.core.permissions import can, require
from gongjian.core.validation import Errors
from gongjian.core.validation import clean_text as _clean_text
from gongjian.matters.choices import MATTER_OPEN, AssignmentStatus
from gongjian.matters.models import Matter
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Department, Region

from . import selectors as sel
from .choices import (
    MEETING_TRANSITIONS,
    AgendaSource,
    AttendeeKind,
    DecisionStatus,
    MeetingKind,
    MeetingStatus,
    TaskStatus,
)
from .models import AgendaItem, Attendee, Decision, DecisionTask, Experience, Meeting, Speaker
from .permissions import EXPERIENCE_MANAGE, MEETING_MANAGE, TASK_WORK

MODULE = "meetings"
MAX_AGENDA = 200
MAX_ATTENDEES = 500
MAX_TASKS = 20
MAX_SPEAKERS = 50
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
MIN_YEAR, MAX_YEAR = 2000, 2100
DEADLINE_MAX_DAYS = 3 * 366


# --- helpers ---------------------------------------------------------------------------------


def clean_text(value: Any, *, field: str, errors: Errors, required: Any = None, max_length: int = 200, multiline: bool = False) -> str:
    """``core.validation.clean_text`` with this app's default length (titles, themes and places are 200 characters)."""
    return _clean_text(value, field=field, errors=errors, required=required, max_length=max_length, multiline=multiline)


def clean_datetime(value: Any, *, field: str, errors: Errors, required: Any = None, end_of_day: bool = False) -> dt.datetime | None:
    """An aware datetime from a datetime, a date (start or end of that day, local time) or ISO text."""
    if value in (None, ""):
        if required is not None:
            errors.add(field, required)
        return None
    tz = timezone.get_current_timezone()
    out: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        out = value
    elif isinstance(value, dt.date):
        out = dt.datetime.combine(value, dt.time(23, 59) if end_of_day else dt.time(9, 0))
    else:
        text = str(value).strip().replace("/", "-")
        if "\x00" in text or len(text) > 40:
            errors.add(field, _("Enter a valid date and time."))
            return None
        try:
            if len(text) <= 10:
                day = dt.date.fromisoformat(text)
                out = dt.datetime.combine(day, dt.time(23, 59) if end_of_day else dt.time(9, 0))
            else:
                out = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
        except ValueError:
            errors.add(field, _("Enter a valid date and time."))
            return None
    if timezone.is_naive(out):
        out = timezone.make_aware(out, tz)
    local_year = timezone.localtime(out).year
    if not MIN_YEAR <= local_year <= MAX_YEAR:
        errors.add(field, _("Enter a date between %(low)s and %(high)s.") % {"low": MIN_YEAR, "high": MAX_YEAR})
        return None
    return out


def _resolve(model: type[Model], value: Any, qs: QuerySet[Any] | None = None) -> Any:
    """An instance from an instance or a primary key, looked up in ``qs``; None if blank, False if not found."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else int_param(value)
    if pk is None:
        return False
    base = qs if qs is not None else model._default_manager.all()
    return base.filter(pk=pk).first() or False


def _meeting(actor: Any, meeting: Meeting | int | Any, *, lock: bool = True) -> Meeting:
    """The meeting among those the actor reads (else 404), run by the actor (else 403), locked."""
    pk = meeting.pk if isinstance(meeting, Meeting) else int_param(meeting)
    found = sel.meeting_base(actor).filter(pk=pk).first() if pk else None
    if found is None:
        raise NotFound()
    if not can(actor, MEETING_MANAGE) or not sel.may_manage(actor, found):
        raise PermissionDenied()
    if lock:
        return Meeting.objects.select_for_update(of=("self",)).select_related("region").get(pk=found.pk)
    return found


def _require_planned(m: Meeting, what: Any = None) -> None:
    if m.status != MeetingStatus.PLANNED:
        raise TransitionError(what or _("The meeting is “%(status)s”; only a planned meeting can be changed.")
                              % {"status": m.get_status_display()})


def _transition(m: Meeting, to: str) -> None:
    if to not in MEETING_TRANSITIONS[m.status]:
        raise TransitionError(_("A meeting that is “%(status)s” cannot be held or cancelled any more.")
                              % {"status": m.get_status_display()})


def _bump() -> None:
    registry.bump(MODULE)


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def meeting_snapshot(m: Meeting) -> dict[str, Any]:
    return {"kind": m.kind, "region": m.region_id, "year": m.year, "quarter": m.quarter, "title": m.title, "theme": m.theme,
            "starts_at": m.starts_at, "place": m.place, "is_video": m.is_video, "video_link": m.video_link, "chair": m.chair,
            "status": m.status}


# --- planning --------------------------------------------------------------------------------


def _clean_meeting(actor: Any, data: dict[str, Any], *, current: Meeting | None = None) -> dict[str, Any]:
    errors = Errors()
    kind = str(data.get("kind") or (current.kind if current else MeetingKind.COORDINATION))
    if kind not in MeetingKind.values:
        errors.add("kind", _("Choose one of the listed options."))
        kind = MeetingKind.COORDINATION
    region: Region | None
    if current is not None:
        region = current.region
    else:
        region = _resolve(Region, data.get("region"), Region.objects.filter(is_active=True))
        if region is None:
            errors.add("region", _("Choose the level (region) of the meeting."))
        elif region is False:
            errors.add("region", _("Unknown region."))
            region = None
        elif region.level not in sel.MEETING_LEVELS:
            errors.add("region", _("Meetings are held by a city, district, subdistrict or community."))
            region = None
        else:
            paths = sel.managed_paths(actor)
            if "" not in paths and region.path not in paths:
                errors.add("region", _("You can plan meetings only for your own level and region."))
                region = None
    title = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."))
    theme = clean_text(data.get("theme"), field="theme", errors=errors)
    place = clean_text(data.get("place"), field="place", errors=errors)
    chair = clean_text(data.get("chair"), field="chair", errors=errors, max_length=64)
    link = clean_text(data.get("video_link"), field="video_link", errors=errors, max_length=200)
    if link and not (link.startswith("https://") or link.startswith("http://")):
        errors.add("video_link", _("Enter a web address starting with https://."))
    is_video = str(data.get("is_video")).lower() in ("true", "1", "on", "yes")
    starts_at = clean_datetime(data.get("starts_at"), field="starts_at", errors=errors, required=_("Enter the date and time."))
    year = quarter = None
    if starts_at is not None:
        day = timezone.localtime(starts_at).date()
        year, quarter = day.year, sel.quarter_of(day)
        given_year, given_q = data.get("year"), data.get("quarter")
        if given_year not in (None, "") and int_param(given_year) != year:
            errors.add("year", _("The date %(day)s is in %(year)s, not in the year given.") % {"day": day, "year": year})
        if given_q not in (None, "") and int_param(given_q) != quarter:
            errors.add("quarter", _("The date %(day)s is in quarter %(q)s of %(year)s, not in the quarter given.")
                       % {"day": day, "q": quarter, "year": year})
    if kind == MeetingKind.SECRETARY_EXCHANGE:
        if region is not None and region.level != Level.CITY:
            errors.add("region", _("A secretaries' exchange is held at city level."))
        if not theme:
            errors.add("theme", _("A secretaries' exchange has a theme."))
        if not is_video:
            errors.add("is_video", _("A secretaries' exchange is held by video."))
    if not place and not is_video:
        errors.add("place", _("Enter the place, or hold the meeting by video."))
    errors.raise_if_any()
    return {"kind": kind, "region": region, "title": title, "theme": theme, "place": place, "chair": chair,
            "video_link": link, "is_video": is_video, "starts_at": starts_at, "year": year, "quarter": quarter}


@transaction.atomic
def meeting_plan(*, actor: Any, kind: Any = MeetingKind.COORDINATION, region: Any, title: Any, starts_at: Any, theme: Any = "",
                 place: Any = "", is_video: Any = False, video_link: Any = "", chair: Any = "", year: Any = None,
                 quarter: Any = None) -> Meeting:
    """Plan a meeting of the actor's own region; a coordination meeting gets its agenda proposed."""
    require(actor, MEETING_MANAGE)
    clean = _clean_meeting(actor, {"kind": kind, "region": region, "title": title, "starts_at": starts_at, "theme": theme,
                                   "place": place, "is_video": is_video, "video_link": video_link, "chair": chair,
                                   "year": year, "quarter": quarter})
    r: Region = clean.pop("region")
    m = Meeting.objects.create(region=r, region_path=r.path, level=r.level, created_by=_actor_or_none(actor), **clean)
    audit.record(actor=actor, verb="meetings.meeting.plan", target=m, changes=audit.diff({}, meeting_snapshot(m)))
    if m.kind == MeetingKind.COORDINATION:
        _propose(actor, m)
    _bump()
    return m


@transaction.atomic
def meeting_update(*, actor: Any, meeting: Meeting | int, **data: Any) -> Meeting:
    """Change the facts of a planned meeting (not its kind or region)."""
    m = _meeting(actor, meeting)
    _require_planned(m)
    before = meeting_snapshot(m)
    merged = {k: data.get(k, getattr(m, k)) for k in ("title", "theme", "place", "is_video", "video_link", "chair", "starts_at")}
    merged.update({"year": data.get("year"), "quarter": data.get("quarter")})
    clean = _clean_meeting(actor, merged, current=m)
    clean.pop("region")
    clean.pop("kind")
    for k, v in clean.items():
        setattr(m, k, v)
    m.save()
    changes = audit.diff(before, meeting_snapshot(m))
    if changes:
        audit.record(actor=actor, verb="meetings.meeting.update", target=m, changes=changes)
        _bump()
    return m


@transaction.atomic
def meeting_hold(*, actor: Any, meeting: Meeting | int, minutes: Any, held_at: Any = None) -> Meeting:
    """The meeting took place: minutes required; held_at defaults to now and is not in the future."""
    m = _meeting(actor, meeting)
    _transition(m, MeetingStatus.HELD)
    errors = Errors()
    text = clean_text(minutes, field="minutes", errors=errors, required=_("Write the minutes of the meeting."), max_length=20000,
                      multiline=True)
    when = clean_datetime(held_at, field="held_at", errors=errors) or timezone.now()
    if when > timezone.now() + dt.timedelta(minutes=5):
        errors.add("held_at", _("A meeting cannot be recorded as held in the future."))
    errors.raise_if_any()
    m.status, m.minutes, m.held_at = MeetingStatus.HELD, text, when
    m.save(update_fields=["status", "minutes", "held_at", "updated_at"])
    audit.record(actor=actor, verb="meetings.meeting.hold", target=m,
                 changes={"status": {"before": MeetingStatus.PLANNED, "after": MeetingStatus.HELD}, "held_at": when,
                          "minutes": text[:500]})
    _bump()
    return m


@transaction.atomic
def meeting_minutes_update(*, actor: Any, meeting: Meeting | int, minutes: Any) -> Meeting:
    """Correct the minutes of a held meeting."""
    m = _meeting(actor, meeting)
    if m.status != MeetingStatus.HELD:
        raise TransitionError(_("Minutes belong to a held meeting."))
    errors = Errors()
    text = clean_text(minutes, field="minutes", errors=errors, required=_("Write the minutes of the meeting."), max_length=20000,
                      multiline=True)
    errors.raise_if_any()
    if text != m.minutes:
        before = m.minutes
        m.minutes = text
        m.save(update_fields=["minutes", "updated_at"])
        audit.record(actor=actor, verb="meetings.meeting.minutes", target=m, changes={"minutes": {"before": before[:500], "after": text[:500]}})
    return m


@transaction.atomic
def meeting_cancel(*, actor: Any, meeting: Meeting | int, reason: Any) -> Meeting:
    m = _meeting(actor, meeting)
    _transition(m, MeetingStatus.CANCELLED)
    errors = Errors()
    text = clean_text(reason, field="reason", errors=errors, required=_("Give the reason for cancelling."), max_length=500,
                      multiline=True)
    errors.raise_if_any()
    m.status, m.cancelled_reason = MeetingStatus.CANCELLED, text
    m.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit.record(actor=actor, verb="meetings.meeting.cancel", target=m,
                 changes={"status": {"before": MeetingStatus.PLANNED, "after": MeetingStatus.CANCELLED}, "reason": text})
    _bump()
    return m


# --- attendees -------------------------------------------------------------------------------


def attendee_label(a: Attendee) -> str:
    if a.kind == AttendeeKind.DEPARTMENT and a.department_id:
        return str(a.department)
    if a.kind == AttendeeKind.UNIT and a.unit_id:
        return a.unit.name if a.unit else ""
    if a.kind == AttendeeKind.SECRETARY and a.region_id:
        return f"{a.region.name if a.region else ''} {a.name}".strip()
    return a.name


@transaction.atomic
def attendee_add(*, actor: Any, meeting: Meeting | int, kind: Any, department: Any = None, unit: Any = None, region: Any = None,
                 name: Any = "", present: Any = True) -> Attendee:
    """A department, a resident unit, a lower-level secretary (by region, with a name) or another person."""
    m = _meeting(actor, meeting)
    if m.status == MeetingStatus.CANCELLED:
        raise TransitionError(_("A cancelled meeting has no attendees to record."))
    errors = Errors()
    kind = str(kind or "")
    if kind not in AttendeeKind.values:
        errors.add("kind", _("Choose one of the listed options."))
    person = clean_text(name, field="name", errors=errors, max_length=64)
    dept = unit_obj = reg = None
    existing = Attendee.objects.filter(meeting=m)
    if kind == AttendeeKind.DEPARTMENT:
        dept = _resolve(Department, department, sel.department_choices(m))
        if not dept:
            errors.add("department", _("Choose a department of this level or of the levels above it."))
        elif existing.filter(department=dept).exists():
            errors.add("department", _("This department is already on the list."))
    elif kind == AttendeeKind.UNIT:
        unit_obj = _resolve(ResidentUnit, unit, sel.unit_choices(m))
        if not unit_obj:
            errors.add("unit", _("Choose a resident unit located in this meeting's region."))
        elif existing.filter(unit=unit_obj).exists():
            errors.add("unit", _("This unit is already on the list."))
    elif kind == AttendeeKind.SECRETARY:
        reg = _resolve(Region, region, sel.secretary_regions(m))
        if not reg:
            errors.add("region", _("Choose a region of the level below this meeting."))
        elif existing.filter(kind=AttendeeKind.SECRETARY, region=reg).exists():
            errors.add("region", _("The secretary of this region is already on the list."))
    elif kind == AttendeeKind.PERSON and not person:
        errors.add("name", _("Enter the person's name."))
    if existing.count() >= MAX_ATTENDEES:
        errors.add("kind", _("A meeting has at most %(n)s attendees.") % {"n": MAX_ATTENDEES})
    errors.raise_if_any()
    a = Attendee.objects.create(meeting=m, kind=kind, department=dept or None, unit=unit_obj or None, region=reg or None,
                                name=person, present=str(present).lower() not in ("false", "0", "off", "no"))
    audit.record(actor=actor, verb="meetings.attendee.add", target=m,
                 changes={"attendee": a.pk, "kind": kind, "label": attendee_label(a), "present": a.present})
    return a


def _attendee(m: Meeting, attendee: Any) -> Attendee:
    pk = attendee.pk if isinstance(attendee, Attendee) else int_param(attendee)
    a = Attendee.objects.filter(meeting=m, pk=pk).select_related("department", "unit", "region").first() if pk else None
    if a is None:
        raise NotFound()
    return a


@transaction.atomic
def attendee_set_present(*, actor: Any, meeting: Meeting | int, attendee: Any, present: bool) -> Attendee:
    """Mark present / absent (also after the meeting was held, to correct the record)."""
    m = _meeting(actor, meeting)
    if m.status == MeetingStatus.CANCELLED:
        raise TransitionError(_("A cancelled meeting has no attendees to record."))
    a = _attendee(m, attendee)
    if a.present != bool(present):
        a.present = bool(present)
        a.save(update_fields=["present", "updated_at"])
        audit.record(actor=actor, verb="meetings.attendee.present", target=m,
                     changes={"attendee": a.pk, "label": attendee_label(a), "present": {"before": not a.present, "after": a.present}})
    return a


@transaction.atomic
def attendee_remove(*, actor: Any, meeting: Meeting | int, attendee: Any) -> None:
    m = _meeting(actor, meeting)
    _require_planned(m)
    a = _attendee(m, attendee)
    audit.record(actor=actor, verb="meetings.attendee.remove", target=m, changes={"attendee": a.pk, "label": attendee_label(a)})
    a.delete()


# --- agenda ----------------------------------------------------------------------------------


def _next_order(m: Meeting) -> int:
    return int(AgendaItem.objects.filter(meeting=m).aggregate(n=Max("sort_order"))["n"] or 0) + 10


def _on_other_planned_agenda(matter_id: int, m: Meeting) -> bool:
    return AgendaItem.objects.filter(matter_id=matter_id, meeting__status=MeetingStatus.PLANNED).exclude(meeting=m).exists()


def _put_matter(actor: Any, m: Meeting, matter: Matter, source: str) -> AgendaItem | None:
    """Lock the matter, re-check, add it; None when it is already on this or another planned agenda."""
    locked = Matter.objects.select_for_update().get(pk=matter.pk)
    if AgendaItem.objects.filter(meeting=m, matter=locked).exists() or _on_other_planned_agenda(locked.pk, m):
        return None
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(meeting=m, matter=locked, title=locked.title[:200], source=source, sort_order=_next_order(m))
    except IntegrityError:
        return None
    from gongjian.matters import services as matter_services

    matter_services.matter_record_agenda(actor=actor, matter=locked, meeting=m)
    return item


def _propose(actor: Any, m: Meeting) -> list[AgendaItem]:
    added: list[AgendaItem] = []
    count = AgendaItem.objects.filter(meeting=m).count()
    for matter in list(sel.proposable_matters(m)[: MAX_AGENDA]):
        if count + len(added) >= MAX_AGENDA:
            break
        item = _put_matter(actor, m, matter, AgendaSource.ESCALATED)
        if item is not None:
            added.append(item)
    if added:
        audit.record(actor=actor, verb="meetings.agenda.propose", target=m,
                     changes={"matters": [i.matter_id for i in added], "count": len(added)})
    return added


@transaction.atomic
def agenda_refresh(*, actor: Any, meeting: Meeting | int) -> list[AgendaItem]:
    """Propose the matters that have come to wait for this meeting since it was planned."""
    m = _meeting(actor, meeting)
    _require_planned(m)
    if m.kind != MeetingKind.COORDINATION:
        raise TransitionError(_("Escalated matters are proposed for coordination meetings only."))
    return _propose(actor, m)


@transaction.atomic
def agenda_add(*, actor: Any, meeting: Meeting | int, title: Any = "", matter: Any = None, discussion: Any = "") -> AgendaItem:
    """An item added by hand: a topic (title), or an open matter this level owns (its title by default)."""
    m = _meeting(actor, meeting)
    _require_planned(m)
    errors = Errors()
    text = clean_text(title, field="title", errors=errors, max_length=200)
    note = clean_text(discussion, field="discussion", errors=errors, max_length=4000, multiline=True)
    mt = _resolve(Matter, matter)
    if mt is False:
        errors.add("matter", _("Unknown matter."))
    elif mt is not None:
        if mt.owner_path != m.region_path:
            errors.add("matter", _("Only matters this level owns can be put on its agenda."))
        elif mt.status not in MATTER_OPEN:
            errors.add("matter", _("This matter is “%(status)s”; only open matters can be put on an agenda.")
                       % {"status": mt.get_status_display()})
    elif not text:
        errors.add("title", _("Enter the topic, or choose a matter."))
    if AgendaItem.objects.filter(meeting=m).count() >= MAX_AGENDA:
        errors.add("title", _("An agenda has at most %(n)s items.") % {"n": MAX_AGENDA})
    errors.raise_if_any()
    if mt:
        item = _put_matter(actor, m, mt, AgendaSource.MANUAL)
        if item is None:
            raise Conflict(_("This matter is already on this meeting's agenda or on another planned meeting's agenda."),
                           details={"matter": [_("This matter is already on an agenda.")]})
        changed = []
        if text and text != item.title:
            item.title = text
            changed.append("title")
        if note:
            item.discussion = note
            changed.append("discussion")
        if changed:
            item.save(update_fields=[*changed, "updated_at"])
    else:
        item = AgendaItem.objects.create(meeting=m, title=text, discussion=note, source=AgendaSource.MANUAL, sort_order=_next_order(m))
    audit.record(actor=actor, verb="meetings.agenda.add", target=m, changes={"item": item.pk, "title": item.title, "matter": item.matter_id})
    return item


def _item(m: Meeting, item: Any) -> AgendaItem:
    pk = item.pk if isinstance(item, AgendaItem) else int_param(item)
    it = AgendaItem.objects.filter(meeting=m, pk=pk).first() if pk else None
    if it is None:
        raise NotFound()
    return it


@transaction.atomic
def agenda_move(*, actor: Any, meeting: Meeting | int, item: Any, direction: str) -> AgendaItem:
    """Move an item one place up or down."""
    m = _meeting(actor, meeting)
    _require_planned(m)
    it = _item(m, item)
    if direction not in ("up", "down"):
        raise ValidationError.for_field("direction", _("Choose one of the listed options."))
    items = list(AgendaItem.objects.filter(meeting=m).order_by("sort_order", "id"))
    i = next(k for k, x in enumerate(items) if x.pk == it.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(items):
        items[i], items[j] = items[j], items[i]
        for n, x in enumerate(items, 1):
            if x.sort_order != n * 10:
                x.sort_order = n * 10
                x.save(update_fields=["sort_order", "updated_at"])
        audit.record(actor=actor, verb="meetings.agenda.move", target=m, changes={"item": it.pk, "direction": direction})
    return AgendaItem.objects.get(pk=it.pk)


@transaction.atomic
def agenda_reorder(*, actor: Any, meeting: Meeting | int, order: Iterable[Any]) -> list[AgendaItem]:
    """Put the items in the given order (every item id exactly once)."""
    m = _meeting(actor, meeting)
    _require_planned(m)
    ids = [int_param(x) for x in list(order)[: MAX_AGENDA + 1]]
    items = {x.pk: x for x in AgendaItem.objects.filter(meeting=m)}
    if None in ids or len(set(ids)) != len(ids) or set(ids) != set(items):
        raise ValidationError.for_field("order", _("List every agenda item exactly once."))
    for n, pk in enumerate(ids, 1):
        x = items[pk]  # type: ignore[index]
        if x.sort_order != n * 10:
            x.sort_order = n * 10
            x.save(update_fields=["sort_order", "updated_at"])
    audit.record(actor=actor, verb="meetings.agenda.reorder", target=m, changes={"order": ids})
    return list(AgendaItem.objects.filter(meeting=m).order_by("sort_order", "id"))


@transaction.atomic
def agenda_remove(*, actor: Any, meeting: Meeting | int, item: Any) -> None:
    m = _meeting(actor, meeting)
    _require_planned(m)
    it = _item(m, item)
    audit.record(actor=actor, verb="meetings.agenda.remove", target=m, changes={"item": it.pk, "title": it.title, "matter": it.matter_id})
    it.delete()


@transaction.atomic
def agenda_discussion(*, actor: Any, meeting: Meeting | int, item: Any, discussion: Any) -> AgendaItem:
    """What was said about an item (planned or held meeting)."""
    m = _meeting(actor, meeting)
    if m.status == MeetingStatus.CANCELLED:
        raise TransitionError(_("The meeting was cancelled."))
    it = _item(m, item)
    errors = Errors()
    note = clean_text(discussion, field="discussion", errors=errors, max_length=4000, multiline=True)
    errors.raise_if_any()
    if note != it.discussion:
        it.discussion = note
        it.save(update_fields=["discussion", "updated_at"])
        audit.record(actor=actor, verb="meetings.agenda.discussion", target=m, changes={"item": it.pk, "discussion": note[:500]})
    return it


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
    d = _resolve(Department, value, choices)
    if not d:
        errors.add(field, _("Choose a department of this level or of the levels above it."))
        return None
    return d  # type: ignore[no-any-return]


@transaction.atomic
def decision_record(*, actor: Any, meeting: Meeting | int, text: Any, agenda_item: Any = None, lead: Any = None,
                    assist: Iterable[Any] = (), deadline: Any = None, tasks: Iterable[Any] = ()) -> Decision:
    """A decision of a held meeting.

    On an agenda item with a matter: ``lead`` (+ ``assist``) departments and one ``deadline`` — the
    matter's departments are assigned through the matters app and the matter counts as coordinated.
    Otherwise: ``tasks`` = [(department, deadline), …] (or dicts with those keys), one task each.
    """
    m = _meeting(actor, meeting)
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
        from gongjian.matters import selectors as matter_selectors

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
    decision = Decision.objects.create(meeting=m, agenda_item=item, matter=matter, text=body, decided_by=_actor_or_none(actor))
    if matter is not None:
        from gongjian.matters import services as matter_services

        if lead_dept is not None:
            # assigns the departments, links the assignments to the decision and counts the matter coordinated
            matter_services.matter_assign(actor=actor, matter=matter, lead=lead_dept, assist=assist_depts, deadline=due,
                                          note=body[:500], decision=decision)
        else:
            # decided without departments (e.g. handed back to be handled at this level): coordinated all the same
            matter_services.matter_mark_coordinated(actor=actor, matter=matter, decision=decision)
    url = _meeting_url(m)
    for d, when in clean_tasks:
        t = DecisionTask.objects.create(decision=decision, department=d, deadline=when)
        notify.send(notify.recipients(roles=["department_handler"], department=d), verb="meetings.task.assigned",
                    title=str(_("New task from %(meeting)s") % {"meeting": m.title}), body=body[:300], url=_task_url(t), target=t)
    audit.record(actor=actor, verb="meetings.decision.record", target=m, changes={
        "decision": decision.pk, "text": body[:500], "matter": matter.pk if matter else None,
        "lead": lead_dept.pk if lead_dept else None, "assist": [d.pk for d in assist_depts], "deadline": due,
        "tasks": [{"department": d.pk, "deadline": w} for d, w in clean_tasks], "url": url,
    })
    _bump()
    return decision


def _meeting_url(m: Meeting) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("meetings:meeting_detail", args=[m.pk])
    except NoReverseMatch:
        return ""


def _task_url(t: DecisionTask) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("meetings:task_detail", args=[t.pk])
    except NoReverseMatch:
        return ""


def decision_is_done(d: Decision) -> bool:
    """All the department work is done: every non-withdrawn assignment reported its result (at least one),
    or the matter is resolved/closed; a decision without a matter: every task done."""
    if d.matter_id:
        asg = [a for a in d.assignments.all() if a.status != AssignmentStatus.WITHDRAWN]
        if asg and all(a.status == AssignmentStatus.DONE for a in asg):
            return True
        from gongjian.matters.choices import MatterStatus

        return bool(d.matter and d.matter.status in (MatterStatus.RESOLVED, MatterStatus.CLOSED))
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


def _task(actor: Any, task: Any) -> DecisionTask:
    """The actor's department's task (else 404 if not visible at all, 403 if only readable), locked."""
    t = sel.task_get(actor=actor, id=task.pk if isinstance(task, DecisionTask) else task)
    if not can(actor, TASK_WORK) or t.department_id not in sel.handler_departments(actor):
        if not getattr(actor, "is_superuser", False):
            raise PermissionDenied()
    return DecisionTask.objects.select_for_update(of=("self",)).select_related("decision", "decision__meeting", "department").get(pk=t.pk)


@transaction.atomic
def task_complete(*, actor: Any, task: Any, result: Any) -> DecisionTask:
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
                url=_meeting_url(m), target=m)
    _bump()
    return t


@transaction.atomic
def task_follow_up(*, actor: Any, task: Any, note: Any, new_deadline: Any = None) -> DecisionTask:
    """督办: the meeting's administrators press a department on its task (optionally a new deadline)."""
    pk = task.pk if isinstance(task, DecisionTask) else int_param(task)
    t = DecisionTask.objects.select_related("decision__meeting").filter(pk=pk).first() if pk else None
    if t is None:
        raise NotFound()
    m = _meeting(actor, t.decision.meeting, lock=False)
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
                title=str(_("Follow-up on your task from %(meeting)s") % {"meeting": m.title}), body=text, url=_task_url(t), target=t)
    return t


def task_follow_ups(task: DecisionTask) -> list[dict[str, Any]]:
    """The follow-ups of a task, newest first (from the audit log)."""
    from gongjian.core.models import AuditEvent

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
                        body=t.decision.text[:300], url=_task_url(t), target=t)
            flagged += 1
        cleared = DecisionTask.objects.filter(is_overdue=True).exclude(status=TaskStatus.ASSIGNED, deadline__lt=now).update(is_overdue=False)
        changed = 0
        for d in (Decision.objects.filter(status=DecisionStatus.OPEN).select_related("matter", "meeting")
                  .prefetch_related("assignments", "tasks").iterator(chunk_size=500)):
            if decision_is_done(d):
                changed += int(decision_refresh(d, now=now))
        if flagged or cleared or changed:
            audit.record(actor=None, verb="meetings.sweep", changes={"flagged": flagged, "cleared": cleared, "decisions_done": changed})
            _bump()
    return {"tasks_overdue": flagged, "tasks_cleared": cleared, "decisions_done": changed}


def send_reminders(*, now: dt.datetime | None = None, hours: int = 24) -> int:
    """Remind departments of open tasks due within ``hours`` (once: the reminder is remembered in the audit log)."""
    from gongjian.core.models import AuditEvent

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
                        body=t.decision.text[:300], url=_task_url(t), target=t)
            audit.record(actor=None, verb="meetings.task.reminder", target=t.decision.meeting, changes={"task": t.pk, "deadline": t.deadline})
            sent += 1
    return sent


# --- secretaries' exchange: speakers and reports --------------------------------------------


ATTACHMENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def clean_attachment(upload: Any, *, field: str = "attachment") -> tuple[bytes, str, str]:
    """(bytes, extension, content type) of a PDF or an image, decided by its content; ≤ 10 MB.

    Images are re-encoded from their pixels (no metadata) by ``core.images``; a PDF must start with
    ``%PDF-`` and end with ``%%EOF``. Anything else is refused."""
    from gongjian.core.images import clean_image, read_limited

    try:
        data = read_limited(upload, ATTACHMENT_MAX_BYTES, field=field)
    except ValidationError:
        raise ValidationError.for_field(field, _("The file is larger than %(mb)s MB.") % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}) from None
    if not data:
        raise ValidationError.for_field(field, _("The file is empty."))
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError.for_field(field, _("The PDF file is damaged or incomplete."))
        return data, "pdf", ATTACHMENT_TYPES["pdf"]
    try:
        img = clean_image(data, field=field, max_bytes=ATTACHMENT_MAX_BYTES)
    except ValidationError:
        raise ValidationError.for_field(field, _("Attach a PDF file or a photo (JPEG, PNG or WebP).")) from None
    return img.content, img.extension, img.content_type


def _speaker_data(m: Meeting, data: dict[str, Any], errors: Errors, current: Speaker | None = None) -> dict[str, Any]:
    reg = _resolve(Region, data.get("region", current.region_id if current else None), sel.subdistricts_of(m))
    if not reg:
        errors.add("region", _("Choose a subdistrict."))
    name = clean_text(data.get("name", current.name if current else ""), field="name", errors=errors,
                      required=_("Enter the speaker's name."), max_length=64)
    topic = clean_text(data.get("topic", current.topic if current else ""), field="topic", errors=errors,
                       required=_("Enter the topic."))
    report = clean_text(data.get("report", current.report if current else ""), field="report", errors=errors, max_length=20000,
                        multiline=True)
    return {"region": reg or None, "name": name, "topic": topic, "report": report}


def _save_attachment(s: Speaker, clean: tuple[bytes, str, str] | None) -> None:
    if clean is None:
        return
    data, ext, _ctype = clean
    old = s.attachment.name if s.attachment else ""
    s.attachment.save(f"{secrets.token_hex(16)}.{ext}", ContentFile(data), save=False)
    s.save(update_fields=["attachment", "updated_at"])
    if old:
        transaction.on_commit(lambda: s.attachment.storage.delete(old))


def _require_exchange(m: Meeting) -> None:
    if m.kind != MeetingKind.SECRETARY_EXCHANGE:
        raise TransitionError(_("Speakers belong to a secretaries' exchange."))
    if m.status == MeetingStatus.CANCELLED:
        raise TransitionError(_("The meeting was cancelled."))


@transaction.atomic
def speaker_add(*, actor: Any, meeting: Meeting | int, region: Any, name: Any, topic: Any, report: Any = "",
                attachment: Any = None) -> Speaker:
    m = _meeting(actor, meeting)
    _require_exchange(m)
    errors = Errors()
    clean = _speaker_data(m, {"region": region, "name": name, "topic": topic, "report": report}, errors)
    file = None
    if attachment is not None:
        try:
            file = clean_attachment(attachment)
        except ValidationError as exc:
            errors.catch(exc)
    if Speaker.objects.filter(meeting=m).count() >= MAX_SPEAKERS:
        errors.add("name", _("An exchange has at most %(n)s speakers.") % {"n": MAX_SPEAKERS})
    errors.raise_if_any()
    last = Speaker.objects.filter(meeting=m).aggregate(n=Max("sort_order"))["n"] or 0
    s = Speaker.objects.create(meeting=m, sort_order=int(last) + 10, **clean)
    _save_attachment(s, file)
    audit.record(actor=actor, verb="meetings.speaker.add", target=m,
                 changes={"speaker": s.pk, "region": s.region_id, "name": s.name, "topic": s.topic, "attachment": bool(file)})
    return s


@transaction.atomic
def speaker_update(*, actor: Any, meeting: Meeting | int, speaker: Any, attachment: Any = None, remove_attachment: bool = False,
                   **data: Any) -> Speaker:
    """Change a speaker's facts or report (also after the exchange, when the reports come in)."""
    m = _meeting(actor, meeting)
    _require_exchange(m)
    s = sel.speaker_get(meeting=m, id=speaker.pk if isinstance(speaker, Speaker) else speaker)
    errors = Errors()
    clean = _speaker_data(m, data, errors, current=s)
    file = None
    if attachment is not None:
        try:
            file = clean_attachment(attachment)
        except ValidationError as exc:
            errors.catch(exc)
    errors.raise_if_any()
    before = {"region": s.region_id, "name": s.name, "topic": s.topic, "report": s.report[:200]}
    s.region, s.name, s.topic, s.report = clean["region"], clean["name"], clean["topic"], clean["report"]
    s.save()
    if remove_attachment and s.attachment and file is None:
        old = str(s.attachment.name)
        s.attachment = ""  # type: ignore[assignment]
        s.save(update_fields=["attachment", "updated_at"])
        transaction.on_commit(lambda: s.attachment.storage.delete(old))
    _save_attachment(s, file)
    changes = audit.diff(before, {"region": s.region_id, "name": s.name, "topic": s.topic, "report": s.report[:200]})
    if file or remove_attachment:
        changes["attachment"] = "replaced" if file else "removed"
    if changes:
        audit.record(actor=actor, verb="meetings.speaker.update", target=m, changes={"speaker": s.pk, **changes})
    return s


@transaction.atomic
def speaker_remove(*, actor: Any, meeting: Meeting | int, speaker: Any) -> None:
    m = _meeting(actor, meeting)
    _require_exchange(m)
    s = sel.speaker_get(meeting=m, id=speaker.pk if isinstance(speaker, Speaker) else speaker)
    name = s.attachment.name if s.attachment else ""
    audit.record(actor=actor, verb="meetings.speaker.remove", target=m, changes={"speaker": s.pk, "name": s.name, "topic": s.topic})
    s.delete()
    if name:
        storage = Speaker._meta.get_field("attachment").storage  # type: ignore[attr-defined]
        transaction.on_commit(lambda: storage.delete(name))


def attachment_content_type(s: Speaker) -> str:
    ext = str(s.attachment.name).rsplit(".", 1)[-1].lower()
    return ATTACHMENT_TYPES.get(ext, "application/octet-stream")


# --- experiences -----------------------------------------------------------------------------


def _clean_experience(data: dict[str, Any], errors: Errors, current: Experience | None = None) -> dict[str, Any]:
    def get(k: str, default: Any = "") -> Any:
        return data[k] if k in data else (getattr(current, k) if current else default)

    title = clean_text(get("title"), field="title", errors=errors, required=_("The title is required."))
    summary = clean_text(get("summary"), field="summary", errors=errors, required=_("Write the summary of the experience."),
                         max_length=8000, multiline=True)
    raw_tags = clean_text(get("tags"), field="tags", errors=errors, max_length=200)
    tags = "、".join(dict.fromkeys(sel.split_tags(raw_tags)))
    if len(tags) > 200:
        errors.add("tags", _("At most %(n)s characters.") % {"n": 200})
    published = get("published", False)
    return {"title": title, "summary": summary, "tags": tags,
            "published": published if isinstance(published, bool) else str(published).lower() in ("true", "1", "on", "yes")}


@transaction.atomic
def experience_record(*, actor: Any, title: Any, summary: Any, region: Any = None, meeting: Any = None, speaker: Any = None,
                      tags: Any = "", published: Any = False) -> Experience:
    """An exemplar experience from an exchange (the speaker's subdistrict by default)."""
    require(actor, EXPERIENCE_MANAGE)
    errors = Errors()
    m = None
    if meeting not in (None, ""):
        m = _meeting(actor, meeting, lock=False)
        if m.kind != MeetingKind.SECRETARY_EXCHANGE:
            errors.add("meeting", _("Experiences are recorded from a secretaries' exchange."))
    sp = None
    if speaker not in (None, ""):
        sp = _resolve(Speaker, speaker, Speaker.objects.filter(meeting=m) if m else Speaker.objects.none())
        if not sp:
            errors.add("speaker", _("Choose a speaker of this exchange."))
            sp = None
    reg = _resolve(Region, region, Region.objects.filter(is_active=True)) if region not in (None, "") else (sp.region if sp else None)
    if not reg:
        errors.add("region", _("Choose the region the experience comes from."))
    clean = _clean_experience({"title": title, "summary": summary, "tags": tags, "published": published}, errors)
    errors.raise_if_any()
    assert reg
    e = Experience.objects.create(meeting=m, speaker=sp, region=reg, recorded_by=_actor_or_none(actor), **clean)
    audit.record(actor=actor, verb="meetings.experience.record", target=e,
                 changes={"title": e.title, "region": e.region_id, "meeting": e.meeting_id, "published": e.published})
    return e


@transaction.atomic
def experience_update(*, actor: Any, experience: Any, **data: Any) -> Experience:
    require(actor, EXPERIENCE_MANAGE)
    e = _resolve(Experience, experience)
    if not e:
        raise NotFound()
    e = Experience.objects.select_for_update().get(pk=e.pk)
    errors = Errors()
    clean = _clean_experience(data, errors, current=e)
    errors.raise_if_any()
    before = {k: getattr(e, k) for k in clean}
    for k, v in clean.items():
        setattr(e, k, v)
    e.save()
    changes = audit.diff(before, clean)
    if changes:
        audit.record(actor=actor, verb="meetings.experience.update", target=e, changes=changes)
    return e
