"""Core reads: the audit log, filtered by the actor's scope first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date

from .models import AuditEvent
from .permissions import require
from .scope import ScopeFields, scoped

AUDIT_FIELDS = ScopeFields(region=("region_path",))


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date((value or "").strip())
    except ValueError:  # well-formed but impossible, e.g. 2024-02-30
        return None


def audit_event_list(*, actor: Any, filters: Mapping[str, str] | None = None) -> QuerySet[AuditEvent]:
    """Audit events the actor may see (events of its region subtree), newest first.

    Filters: ``actor`` (part of the account name), ``verb`` (prefix), ``target_type``, ``target_id``,
    ``start``/``end`` (dates, inclusive, local time). Unreadable dates are ignored.
    """
    require(actor, "core.audit_view")
    qs = scoped(AuditEvent.objects.all(), actor, "core.audit_view", AUDIT_FIELDS)
    f = filters or {}
    if (who := (f.get("actor") or "").strip()):
        qs = qs.filter(actor_label__icontains=who)
    if (verb := (f.get("verb") or "").strip()):
        qs = qs.filter(verb__startswith=verb)
    if (target_type := (f.get("target_type") or "").strip()):
        qs = qs.filter(target_type=target_type)
    if (target_id := (f.get("target_id") or "").strip()):
        qs = qs.filter(target_id=target_id)
    tz = timezone.get_current_timezone()
    if start := _date(f.get("start")):
        qs = qs.filter(at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end := _date(f.get("end")):
        qs = qs.filter(at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return qs.order_by("-at", "-id")
