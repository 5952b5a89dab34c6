"""Planning, holding and cancelling a meeting; its attendees and its agenda (with the matters proposed for it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import Conflict, NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, account_of, audited_save, key_of
from gongjian.core.params import int_param
from gongjian.core.permissions import require
from gongjian.core.validation import Errors
from gongjian.matters import selectors as matter_selectors
from gongjian.matters import services as matter_services
from gongjian.matters.choices import MATTER_OPEN
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Department, Region

from .. import selectors as sel
from ..choices import MEETING_TRANSITIONS, AgendaSource, AttendeeKind, MeetingKind, MeetingStatus
from ..models import AgendaItem, Attendee, Meeting
from ..permissions import MEETING_MANAGE
from .common import (
    MAX_AGENDA,
    MAX_ATTENDEES,
    MEETING_FIELDS,
    MODULE,
    bump,
    clean_datetime,
    clean_text,
    managed_meeting,
    meeting_snapshot,
    require_planned,
    resolve,
)

# --- planning --------------------------------------------------------------------------------


def _clean_meeting(actor: Actor, data: dict[str, Any], *, current: Meeting | None = None) -> dict[str, Any]:
    errors = Errors()
    kind = str(data.get("kind") or (current.kind if current else MeetingKind.COORDINATION))
    if kind not in MeetingKind.values:
        errors.add("kind", _("Choose one of the listed options."))
        kind = MeetingKind.COORDINATION
    region: Region | None
    if current is not None:
        region = current.region
    else:
        region = resolve(Region, data.get("region"), Region.objects.filter(is_active=True))
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
def meeting_plan(*, actor: Actor, kind: Any = MeetingKind.COORDINATION, region: Any, title: Any, starts_at: Any, theme: Any = "",
                 place: Any = "", is_video: Any = False, video_link: Any = "", chair: Any = "", year: Any = None,
                 quarter: Any = None) -> Meeting:
    """Plan a meeting of the actor's own region; a coordination meeting gets its agenda proposed."""
    require(actor, MEETING_MANAGE)
    clean = _clean_meeting(actor, {"kind": kind, "region": region, "title": title, "starts_at": starts_at, "theme": theme,
                                   "place": place, "is_video": is_video, "video_link": video_link, "chair": chair,
                                   "year": year, "quarter": quarter})
    r: Region = clean.pop("region")
    m = Meeting.objects.create(region=r, region_path=r.path, level=r.level, created_by=account_of(actor), **clean)
    audit.record(actor=actor, verb="meetings.meeting.plan", target=m, changes=audit.diff({}, meeting_snapshot(m)))
    if m.kind == MeetingKind.COORDINATION:
        _propose(actor, m)
    bump()
    return m


@transaction.atomic
def meeting_update(*, actor: Actor, meeting: Meeting | int, **data: Any) -> Meeting:
    """Change the facts of a planned meeting (not its kind or region)."""
    m = managed_meeting(actor, meeting)
    require_planned(m)
    merged = {k: data.get(k, getattr(m, k)) for k in ("title", "theme", "place", "is_video", "video_link", "chair", "starts_at")}
    merged.update({"year": data.get("year"), "quarter": data.get("quarter")})
    clean = _clean_meeting(actor, merged, current=m)
    clean.pop("region")
    clean.pop("kind")
    audited_save(m, actor=actor, verb="meetings.meeting.update", changes=clean, fields=MEETING_FIELDS, module=MODULE)
    return m


@transaction.atomic
def meeting_hold(*, actor: Actor, meeting: Meeting | int, minutes: Any, held_at: Any = None) -> Meeting:
    """The meeting took place: minutes required; held_at defaults to now and is not in the future."""
    m = managed_meeting(actor, meeting)
    MEETING_TRANSITIONS.check(m, MeetingStatus.HELD)
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
    bump()
    return m


@transaction.atomic
def meeting_minutes_update(*, actor: Actor, meeting: Meeting | int, minutes: Any) -> Meeting:
    """Correct the minutes of a held meeting."""
    m = managed_meeting(actor, meeting)
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
def meeting_cancel(*, actor: Actor, meeting: Meeting | int, reason: Any) -> Meeting:
    m = managed_meeting(actor, meeting)
    MEETING_TRANSITIONS.check(m, MeetingStatus.CANCELLED)
    errors = Errors()
    text = clean_text(reason, field="reason", errors=errors, required=_("Give the reason for cancelling."), max_length=500,
                      multiline=True)
    errors.raise_if_any()
    m.status, m.cancelled_reason = MeetingStatus.CANCELLED, text
    m.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit.record(actor=actor, verb="meetings.meeting.cancel", target=m,
                 changes={"status": {"before": MeetingStatus.PLANNED, "after": MeetingStatus.CANCELLED}, "reason": text})
    bump()
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
def attendee_add(*, actor: Actor, meeting: Meeting | int, kind: Any, department: Any = None, unit: Any = None, region: Any = None,
                 name: Any = "", present: Any = True) -> Attendee:
    """A department, a resident unit, a lower-level secretary (by region, with a name) or another person."""
    m = managed_meeting(actor, meeting, cancelled=_("A cancelled meeting has no attendees to record."))
    errors = Errors()
    kind = str(kind or "")
    if kind not in AttendeeKind.values:
        errors.add("kind", _("Choose one of the listed options."))
    person = clean_text(name, field="name", errors=errors, max_length=64)
    existing = Attendee.objects.filter(meeting=m)
    # who the attendee is, by kind: (field, model, value, choices, refused, already listed)
    whom: dict[str, tuple[str, Any, Any, Any, Any, Any]] = {
        AttendeeKind.DEPARTMENT: ("department", Department, department, sel.department_choices,
                                  _("Choose a department of this level or of the levels above it."),
                                  _("This department is already on the list.")),
        AttendeeKind.UNIT: ("unit", ResidentUnit, unit, sel.unit_choices, _("Choose a resident unit located in this meeting's region."),
                            _("This unit is already on the list.")),
        AttendeeKind.SECRETARY: ("region", Region, region, sel.secretary_regions, _("Choose a region of the level below this meeting."),
                                 _("The secretary of this region is already on the list.")),
    }
    picked: dict[str, Any] = {}
    if kind in whom:
        fld, model, value, choices, refused, listed = whom[kind]
        obj = resolve(model, value, choices(m))
        if not obj:
            errors.add(fld, refused)
        elif existing.filter(**{fld: obj}, **({"kind": kind} if kind == AttendeeKind.SECRETARY else {})).exists():
            errors.add(fld, listed)
        picked[fld] = obj or None
    elif kind == AttendeeKind.PERSON and not person:
        errors.add("name", _("Enter the person's name."))
    if existing.count() >= MAX_ATTENDEES:
        errors.add("kind", _("A meeting has at most %(n)s attendees.") % {"n": MAX_ATTENDEES})
    errors.raise_if_any()
    a = Attendee.objects.create(meeting=m, kind=kind, name=person, present=str(present).lower() not in ("false", "0", "off", "no"),
                                **picked)
    audit.record(actor=actor, verb="meetings.attendee.add", target=m,
                 changes={"attendee": a.pk, "kind": kind, "label": attendee_label(a), "present": a.present})
    return a


Row = TypeVar("Row", Attendee, AgendaItem)


def _of_meeting(model: type[Row], m: Meeting, key: Any, *related: str) -> Row:
    """One row of the meeting (an attendee, an agenda item) by its key; NotFound otherwise."""
    qs = model.objects.filter(meeting=m, pk=key_of(key, model))
    row = (qs.select_related(*related) if related else qs).first()
    if row is None:
        raise NotFound()
    return row


def _attendee(m: Meeting, attendee: Any) -> Attendee:
    return _of_meeting(Attendee, m, attendee, "department", "unit", "region")


@transaction.atomic
def attendee_set_present(*, actor: Actor, meeting: Meeting | int, attendee: Any, present: bool) -> Attendee:
    """Mark present / absent (also after the meeting was held, to correct the record)."""
    m = managed_meeting(actor, meeting, cancelled=_("A cancelled meeting has no attendees to record."))
    a = _attendee(m, attendee)
    if a.present != bool(present):
        a.present = bool(present)
        a.save(update_fields=["present", "updated_at"])
        audit.record(actor=actor, verb="meetings.attendee.present", target=m,
                     changes={"attendee": a.pk, "label": attendee_label(a), "present": {"before": not a.present, "after": a.present}})
    return a


@transaction.atomic
def attendee_remove(*, actor: Actor, meeting: Meeting | int, attendee: Any) -> None:
    m = managed_meeting(actor, meeting)
    require_planned(m)
    a = _attendee(m, attendee)
    audit.record(actor=actor, verb="meetings.attendee.remove", target=m, changes={"attendee": a.pk, "label": attendee_label(a)})
    a.delete()


# --- agenda ----------------------------------------------------------------------------------


def _next_order(m: Meeting) -> int:
    return int(AgendaItem.objects.filter(meeting=m).aggregate(n=Max("sort_order"))["n"] or 0) + 10


def _on_other_planned_agenda(matter_id: int, m: Meeting) -> bool:
    return sel.planned_agenda_items().filter(matter_id=matter_id).exclude(meeting=m).exists()


def _put_matter(actor: Actor, m: Meeting, matter: Any, source: str) -> AgendaItem | None:
    """Lock the matter (the matters app locks its rows), re-check, add it; None when it is already on this or another
    planned agenda."""
    [locked] = matter_services.matters_lock_for_agenda(actor=actor, ids=[matter.pk])
    if AgendaItem.objects.filter(meeting=m, matter=locked).exists() or _on_other_planned_agenda(locked.pk, m):
        return None
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(meeting=m, matter=locked, title=locked.title[:200], source=source, sort_order=_next_order(m))
    except IntegrityError:
        return None
    matter_services.matter_record_agenda(actor=actor, matter=locked, meeting=m)
    return item


def _propose(actor: Actor, m: Meeting) -> list[AgendaItem]:
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
def agenda_refresh(*, actor: Actor, meeting: Meeting | int) -> list[AgendaItem]:
    """Propose the matters that have come to wait for this meeting since it was planned."""
    m = managed_meeting(actor, meeting)
    require_planned(m)
    if m.kind != MeetingKind.COORDINATION:
        raise TransitionError(_("Escalated matters are proposed for coordination meetings only."))
    return _propose(actor, m)


@transaction.atomic
def agenda_add(*, actor: Actor, meeting: Meeting | int, title: Any = "", matter: Any = None, discussion: Any = "") -> AgendaItem:
    """An item added by hand: a topic (title), or an open matter this level owns (its title by default)."""
    m = managed_meeting(actor, meeting)
    require_planned(m)
    errors = Errors()
    text = clean_text(title, field="title", errors=errors, max_length=200)
    note = clean_text(discussion, field="discussion", errors=errors, max_length=4000, multiline=True)
    mt = None if matter in (None, "") else matter_selectors.matter_for_agenda(id=matter)
    if matter not in (None, "") and mt is None:
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
    return _of_meeting(AgendaItem, m, item)


@transaction.atomic
def agenda_move(*, actor: Actor, meeting: Meeting | int, item: Any, direction: str) -> AgendaItem:
    """Move an item one place up or down."""
    m = managed_meeting(actor, meeting)
    require_planned(m)
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
def agenda_reorder(*, actor: Actor, meeting: Meeting | int, order: Iterable[Any]) -> list[AgendaItem]:
    """Put the items in the given order (every item id exactly once)."""
    m = managed_meeting(actor, meeting)
    require_planned(m)
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
def agenda_remove(*, actor: Actor, meeting: Meeting | int, item: Any) -> None:
    m = managed_meeting(actor, meeting)
    require_planned(m)
    it = _item(m, item)
    audit.record(actor=actor, verb="meetings.agenda.remove", target=m, changes={"item": it.pk, "title": it.title, "matter": it.matter_id})
    it.delete()


@transaction.atomic
def agenda_discussion(*, actor: Actor, meeting: Meeting | int, item: Any, discussion: Any) -> AgendaItem:
    """What was said about an item (planned or held meeting)."""
    m = managed_meeting(actor, meeting, cancelled=_("The meeting was cancelled."))
    it = _item(m, item)
    errors = Errors()
    note = clean_text(discussion, field="discussion", errors=errors, max_length=4000, multiline=True)
    errors.raise_if_any()
    if note != it.discussion:
        it.discussion = note
        it.save(update_fields=["discussion", "updated_at"])
        audit.record(actor=actor, verb="meetings.agenda.discussion", target=m, changes={"item": it.pk, "discussion": note[:500]})
    return it
