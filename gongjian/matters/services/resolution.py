"""Resolution and the callback to the reporter; the 12345 hotline's own outcome of its work orders."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, notify, registry
from gongjian.core.errors import NotFound, PermissionDenied, TransitionError, ValidationError
from gongjian.core.kernel import Actor, key_of
from gongjian.core.permissions import require
from gongjian.core.scope import region_paths
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.models import Region

from .. import deadlines
from .. import permissions as perms
from ..choices import MATTER_TRANSITIONS, AssignmentRole, AssignmentStatus, EventKind, MatterSource, MatterStatus, Satisfaction
from ..models import Assignment, Matter
from ..selectors import acting_paths
from . import common
from .common import MODULE, _admins, _event, _notify, _now, _save, _sync, matter_url
from .escalation import _withdraw_active


@transaction.atomic
def matter_resolve(*, actor: Actor, matter: Matter | int, resolution: Any, version: Any = None) -> Matter:
    """The owning level marks the matter resolved (with departments: only after the lead reported its result)."""
    require(actor, perms.RESOLVE)
    text = common._text(resolution, field="resolution", required=_("Describe how the matter was resolved."), max_length=4000)
    m, region = common._lock_to(actor, matter, version=version, to=MatterStatus.RESOLVED, action=perms.RESOLVE)
    if m.status == MatterStatus.ASSIGNED and not Assignment.objects.filter(
        matter=m, role=AssignmentRole.LEAD, status=AssignmentStatus.DONE
    ).exists():
        raise TransitionError(_("The lead department has not reported its result yet."), code="lead_pending")
    now = _now()
    before = m.status
    withdrawn = _withdraw_active(m, actor=actor, now=now, reason=_("The matter was resolved."))
    m.status = MatterStatus.RESOLVED
    m.resolved_at = now
    m.resolution = text
    _save(m, ["status", "resolved_at", "resolution"])
    _event(m, EventKind.RESOLVED, actor=actor, at=now, from_status=before, to_status=m.status, region=region, note=text)
    audit.record(actor=actor, verb="matters.matter.resolve", target=m, changes={
        "status": {"before": before, "after": m.status}, "resolution": text, "in_time": bool(m.resolve_due and now <= m.resolve_due),
        "withdrawn": [a.pk for a in withdrawn],
    })
    registry.bump(MODULE)
    community = m.community if m.community_id != m.owner_id else None
    _notify(_admins(community), actor, m, verb="matters.resolved", title=_("Matter resolved; callback due"))
    if m.reported_by_id:
        notify.send([m.reported_by], verb="matters.resolved", title=f"{_('Your matter was resolved')}：{m.title}"[:200], body=text,
                    url=matter_url(m.pk), target=m)
    _sync(matter, m)
    return m


def _apply_callback(m: Matter, sat: str, text: str, *, actor: Actor, region: Region | None, note: str) -> tuple[str, str]:
    """Record the callback on the locked matter: satisfied → closed, unsatisfied → reopened with a new resolve deadline;
    two timeline entries (the callback, then closed or reopened). Returns (status before, status after)."""
    now = _now()
    before = m.status
    to = MatterStatus.REOPENED if sat == Satisfaction.UNSATISFIED else MatterStatus.CLOSED
    MATTER_TRANSITIONS.check(m, to)
    m.satisfaction, m.callback_at, m.callback_note, m.status = sat, now, text, to
    fields = ["satisfaction", "callback_at", "callback_note", "status"]
    if to == MatterStatus.CLOSED:
        m.closed_at = now
        fields.append("closed_at")
    else:
        m.reopen_count += 1
        m.resolve_due = deadlines.resolve_due(m.urgency, now)
        m.is_overdue = False
        fields += ["reopen_count", "resolve_due", "is_overdue"]
    _save(m, fields)
    _event(m, EventKind.CALLBACK, actor=actor, at=now, from_status=before, to_status=to, region=region, note=note)
    _event(m, EventKind.CLOSED if to == MatterStatus.CLOSED else EventKind.REOPENED, actor=actor, at=now, from_status=before,
           to_status=to, region=region)
    return before, to


@transaction.atomic
def matter_callback(*, actor: Actor, matter: Matter | int, satisfaction: Any, note: Any = "", version: Any = None) -> Matter:
    """The callback to the reporter: satisfied / basically satisfied → closed; unsatisfied → reopened at the owning level."""
    require(actor, perms.CALLBACK)
    errors = Errors()
    sat = str(satisfaction or "").strip()
    if sat not in Satisfaction.values:
        errors.add("satisfaction", _("Choose one of the listed options."))
    text = clean_text(note, field="note", errors=errors, max_length=500, multiline=True)
    errors.raise_if_any()
    m = common._lock(actor, matter, version=version)
    if m.status != MatterStatus.RESOLVED:
        raise TransitionError(_("A callback is recorded only for a resolved matter; this one is “%(status)s”.")
                              % {"status": m.get_status_display()})
    paths = acting_paths(actor, perms.CALLBACK)
    if "" not in paths and m.owner_path not in paths and m.region_path not in paths:
        raise PermissionDenied(_("The callback is recorded by the owning level or by the community the matter comes from."),
                               code="not_owner")
    acting = m.owner if ("" in paths or m.owner_path in paths) else m.community
    label = Satisfaction(sat).label
    before, to = _apply_callback(m, sat, text, actor=actor, region=acting, note=f"{label}；{text}" if text else str(label))
    audit.record(actor=actor, verb="matters.matter.callback", target=m, changes={
        "status": {"before": before, "after": to}, "satisfaction": sat, "note": text,
    })
    registry.bump(MODULE)
    if to == MatterStatus.REOPENED:
        _notify(_admins(m.owner), actor, m, verb="matters.reopened", title=_("Matter reopened after an unsatisfied callback"), body=text)
    _sync(matter, m)
    return m


HOTLINE_LABEL = "12345热线"


@transaction.atomic
def matter_hotline_outcome(*, actor: Actor, matter: Matter | int, resolution: Any, satisfaction: Any = "") -> Matter:
    """Record what the 12345 hotline reports about one of its work orders: handled (办理结果) and, when given, the
    hotline's own callback (是否满意).

    The hotline, not a level of the city, did the work: the timeline says “12345热线” with the importing administrator as
    the one who entered it, so a finished work order imported by a district or the city closes without anyone acting in the
    community's name. Only for hotline work orders not yet taken further by the city's own workflow: a reported or
    accepted one becomes resolved; a resolved one gets the callback (satisfied → closed, unsatisfied → reopened at the
    owning level, which then handles it like any other). Anything else is refused and nothing changes."""
    require(actor, perms.IMPORT)
    errors = Errors()
    text = clean_text(resolution, field="resolution", errors=errors, max_length=4000, multiline=True)
    sat = str(satisfaction or "").strip()
    if sat and sat not in Satisfaction.values:
        errors.add("satisfaction", _("Choose one of the listed options."))
    errors.raise_if_any()
    # the importer's area, not the escalation path: a district imports its communities' work orders without seeing them
    # in its own queue (they have not reached the district)
    paths = region_paths(actor, perms.IMPORT)
    m = Matter.objects.select_for_update().filter(pk=key_of(matter, Matter)).first()
    if m is None or not any(m.region_path.startswith(p) for p in paths):
        raise NotFound()
    if m.source != MatterSource.HOTLINE:
        raise TransitionError(_("Only a hotline work order takes the hotline's outcome."), code="not_hotline")
    now = _now()
    changes: dict[str, Any] = {}
    if m.status in (MatterStatus.REPORTED, MatterStatus.ACCEPTED):
        if not text:
            raise ValidationError.for_field("resolution", _("Describe how the matter was resolved."))
        before = m.status
        m.status, m.resolved_at, m.resolution = MatterStatus.RESOLVED, now, text
        _save(m, ["status", "resolved_at", "resolution"])
        _event(m, EventKind.RESOLVED, actor=actor, at=now, from_status=before, to_status=m.status,
               note=f"{HOTLINE_LABEL}：{text}")
        changes["status"] = {"before": before, "after": m.status}
        changes["resolution"] = text
    elif not (m.status == MatterStatus.RESOLVED and sat):
        raise TransitionError(_("This work order is already being handled here (%(status)s); its outcome is recorded by the level that "
                                "owns it.") % {"status": m.get_status_display()}, code="in_workflow")
    if sat:
        before, to = _apply_callback(m, sat, HOTLINE_LABEL, actor=actor, region=None, note=f"{HOTLINE_LABEL}：{Satisfaction(sat).label}")
        changes["status"] = {"before": changes.get("status", {}).get("before", before), "after": to}
        changes["satisfaction"] = sat
    audit.record(actor=actor, verb="matters.matter.hotline_outcome", target=m, changes=changes)
    registry.bump(MODULE)
    if m.status == MatterStatus.REOPENED:
        _notify(_admins(m.owner), actor, m, verb="matters.reopened", title=_("Matter reopened after an unsatisfied callback"))
    _sync(matter, m)
    return m
