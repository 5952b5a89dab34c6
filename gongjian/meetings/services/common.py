"""What every meetings service shares: limits, cleaners, finding the meeting the actor runs, links."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError
from gongjian.core.kernel import Actor, key_of, snapshot
from gongjian.core.params import int_param
from gongjian.core.permissions import can
from gongjian.core.validation import Errors
from gongjian.core.validation import clean_text as _clean_text

from .. import selectors as sel
from ..choices import MeetingStatus
from ..models import DecisionTask, Meeting
from ..permissions import MEETING_MANAGE

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


def resolve(model: type[Model], value: Any, qs: QuerySet[Any] | None = None) -> Any:
    """An instance from an instance or a primary key, looked up in ``qs``; None if blank, False if not found."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else int_param(value)
    if pk is None:
        return False
    base = qs if qs is not None else model._default_manager.all()
    return base.filter(pk=pk).first() or False


def managed_meeting(actor: Actor, meeting: Meeting | int | Any, *, lock: bool = True, cancelled: Any = None) -> Meeting:
    """The meeting among those the actor reads (else 404), run by the actor (else 403), locked; with ``cancelled``,
    a cancelled meeting is refused with that message (409)."""
    found = sel.meeting_base(actor).filter(pk=key_of(meeting, Meeting)).first()
    if found is None:
        raise NotFound()
    if not can(actor, MEETING_MANAGE) or not sel.may_manage(actor, found):
        raise PermissionDenied()
    m = Meeting.objects.select_for_update(of=("self",)).select_related("region").get(pk=found.pk) if lock else found
    if cancelled is not None and m.status == MeetingStatus.CANCELLED:
        raise TransitionError(cancelled)
    return m


def require_planned(m: Meeting, what: Any = None) -> None:
    if m.status != MeetingStatus.PLANNED:
        raise TransitionError(what or _("The meeting is “%(status)s”; only a planned meeting can be changed.")
                              % {"status": m.get_status_display()})


def bump() -> None:
    """The module's figures are counted again once the transaction commits."""
    registry.bump(MODULE)


MEETING_FIELDS = ("kind", "region", "year", "quarter", "title", "theme", "starts_at", "place", "is_video", "video_link", "chair",
                  "status")


def meeting_snapshot(m: Meeting) -> dict[str, Any]:
    return snapshot(m, MEETING_FIELDS)


def meeting_url(m: Meeting) -> str:
    try:
        return reverse("meetings:meeting_detail", args=[m.pk])
    except NoReverseMatch:
        return ""


def task_url(t: DecisionTask) -> str:
    try:
        return reverse("meetings:task_detail", args=[t.pk])
    except NoReverseMatch:
        return ""

