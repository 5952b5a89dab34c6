"""What the meetings app asks of matters: locking the matters an agenda takes, and their timeline entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, key_of
from gongjian.regions.models import Region

from ..choices import MATTER_OPEN, EventKind, MatterStatus
from ..models import Matter, MatterEvent
from . import common
from .assignment import _decision
from .common import MODULE, _event, _now, _save, _sync


def matters_lock_for_agenda(*, actor: Actor, ids: Iterable[Any]) -> list[Matter]:
    """The matters an agenda takes, locked (``select_for_update``) in the caller's transaction, in id order (one lock
    order for everyone); NotFound when one does not exist. The meetings app locks through this before it adds them to
    an agenda and re-checks them on the locked rows; whether ``actor`` may run the meeting is its own check."""
    keys = sorted({key_of(i, Matter) for i in ids})
    rows = {m.pk: m for m in Matter.objects.select_for_update().filter(pk__in=keys).order_by("pk")}
    if len(rows) != len(keys):
        raise NotFound()
    return [rows[k] for k in keys]


def _meeting_region(meeting: Any) -> Region | None:
    return Region.objects.filter(pk=getattr(meeting, "region_id", None) or 0).first()


@transaction.atomic
def matter_record_agenda(*, actor: Actor, matter: Matter | int, meeting: Any) -> MatterEvent:
    """Timeline: the matter was put on a meeting's agenda (the meetings app writes the agenda item)."""
    m = common._lock(actor, key_of(matter, Matter))
    if m.status not in MATTER_OPEN:
        raise TransitionError(_("Only an open matter can be put on a meeting agenda; this one is “%(status)s”.")
                              % {"status": m.get_status_display()})
    now = _now()
    when = getattr(meeting, "starts_at", None)
    note = f"{meeting.title}（{timezone.localtime(when):%Y-%m-%d}）" if when else str(meeting.title)
    ev = _event(m, EventKind.AGENDA, actor=actor, at=now, region=_meeting_region(meeting), note=note[:500])
    audit.record(actor=actor, verb="matters.matter.agenda", target=m, changes={"meeting": meeting.pk})
    _sync(matter, m)
    return ev


@transaction.atomic
def matter_mark_coordinated(*, actor: Actor, matter: Matter | int, decision: Any) -> Matter:
    """Timeline: a meeting decided on the matter; it counts as coordinated (first time only sets the date)."""
    m = common._lock(actor, key_of(matter, Matter))
    dec = _decision(decision, m)
    if dec is None:
        raise ValidationError.for_field("decision", _("Choose the decision."))
    if m.status in (MatterStatus.REJECTED,):
        raise TransitionError(_("A rejected matter cannot be coordinated."))
    now = _now()
    if m.coordinated_at is None:
        m.coordinated_at = now
        _save(m, ["coordinated_at"], bump_version=False)
    _event(m, EventKind.COORDINATED, actor=actor, at=now, region=_meeting_region(dec.meeting), note=str(dec.text)[:500])
    audit.record(actor=actor, verb="matters.matter.coordinated", target=m, changes={"decision": dec.pk})
    registry.bump(MODULE)
    _sync(matter, m)
    return m
