"""Escalation: the owning level passes the matter one level up (active assignments are withdrawn)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import TransitionError
from gongjian.core.kernel import Actor, clean_reason
from gongjian.core.permissions import require
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import permissions as perms
from ..choices import ASSIGNMENT_ACTIVE, MATTER_TRANSITIONS, AssignmentStatus, EventKind, MatterStatus
from ..models import Assignment, Matter
from . import common
from .common import MODULE, _admins, _event, _handlers, _notify, _now, _owner_region, _save, _sync


def _withdraw_active(m: Matter, *, actor: Actor, now: dt.datetime, reason: Any, exclude: Assignment | None = None) -> list[Assignment]:
    qs = Assignment.objects.select_for_update().select_related("department").filter(matter=m, status__in=ASSIGNMENT_ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    rows = list(qs.order_by("id"))
    for a in rows:
        a.status = AssignmentStatus.WITHDRAWN
        a.save(update_fields=["status", "updated_at"])
        _notify(_handlers(a.department), actor, m, verb="matters.assignment_withdrawn", title=_("Assignment withdrawn"), body=reason)
    return rows


@transaction.atomic
def matter_escalate(*, actor: Actor, matter: Matter | int, reason: Any, version: Any = None) -> Matter:
    """The owning level passes the matter to its parent level (one level up; never above the city)."""
    require(actor, perms.ESCALATE)
    text = clean_reason(reason)
    m = common._lock(actor, matter, version=version)
    owner = m.owner
    if owner.level == Level.CITY or owner.parent_id is None:
        raise TransitionError(_("This matter is already with the city; it cannot be escalated any higher."), code="top_level")
    MATTER_TRANSITIONS.check(m, MatterStatus.ESCALATED)
    region = _owner_region(actor, perms.ESCALATE, m)
    parent = Region.objects.get(pk=owner.parent_id)
    now = _now()
    before: dict[str, Any] = {"status": m.status, "owner": owner.pk, "top_depth": m.top_depth}
    withdrawn = _withdraw_active(m, actor=actor, now=now, reason=text)
    m.status = MatterStatus.ESCALATED
    m.owner = parent
    m.owner_path = parent.path
    m.top_depth = min(m.top_depth, parent.depth)
    m.escalated_at = now
    m.escalation_count += 1
    _save(m, ["status", "owner", "owner_path", "top_depth", "escalated_at", "escalation_count"])
    _event(m, EventKind.ESCALATED, actor=actor, at=now, from_status=before["status"], to_status=m.status, region=region,
           note=f"{owner.name} → {parent.name}：{text}")
    audit.record(actor=actor, verb="matters.matter.escalate", target=m, changes={
        "status": {"before": before["status"], "after": m.status}, "owner": {"before": owner.pk, "after": parent.pk},
        "top_depth": {"before": before["top_depth"], "after": m.top_depth}, "reason": text, "withdrawn": [a.pk for a in withdrawn],
    })
    registry.bump(MODULE)
    _notify(_admins(parent), actor, m, verb="matters.escalated", title=_("Matter escalated to your level"), body=text)
    _sync(matter, m)
    return m
