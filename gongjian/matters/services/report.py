"""Reporting a matter and its first receipt by the community (accept, or reject as not a governance matter)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.accounts.choices import Role
from gongjian.core import audit, notify, pii, registry
from gongjian.core.errors import ValidationError
from gongjian.core.kernel import Actor, account_of, clean_reason
from gongjian.core.params import int_param
from gongjian.core.permissions import can, require
from gongjian.core.scope import region_paths
from gongjian.core.validation import Errors, clean_text
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from .. import deadlines
from .. import permissions as perms
from ..choices import EventKind, MatterSource, MatterStatus, Urgency
from ..models import Matter, MatterCategory
from ..selectors import acting_paths
from . import common
from .common import MODULE, _admins, _event, _notify, _now, _save, _sync, make_number, matter_url


def _coordinate(value: Any, *, field: str, limit: int, errors: Errors) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors.add(field, _("Enter a number."))
        return None
    if not d.is_finite() or not -limit <= d <= limit:
        errors.add(field, _("Enter a value between %(low)s and %(high)s.") % {"low": -limit, "high": limit})
        return None
    return d


def _clean_report(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=200)
    out["description"] = clean_text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True)
    category = data.get("category")
    cat = None
    if category not in (None, ""):
        pk = int_param(category.pk if isinstance(category, MatterCategory) else category)
        cat = MatterCategory.objects.filter(pk=pk, is_active=True).first() if pk else None
        if cat is None:
            errors.add("category", _("Unknown or deactivated category."))
    out["category"] = cat
    urgency = str(data.get("urgency") or "").strip() or (cat.default_urgency if cat and cat.default_urgency else Urgency.GENERAL)
    if urgency not in Urgency.values:
        errors.add("urgency", _("Choose one of the listed options."))
    out["urgency"] = urgency
    community = data.get("community")
    region = None
    if community in (None, ""):
        errors.add("community", _("Choose the community."))
    else:
        pk = int_param(community.pk if isinstance(community, Region) else community)
        region = Region.objects.filter(pk=pk, is_active=True).first() if pk else None
        if region is None or region.level != Level.COMMUNITY:
            errors.add("community", _("Choose a community (a region of the community level)."))
            region = None
        else:
            paths = region_paths(actor, perms.REPORT)
            if "" not in paths and not any(region.path.startswith(p) for p in paths):
                errors.add("community", _("Choose a community within your area."))
                region = None
    out["community"] = region
    out["address"] = clean_text(data.get("address"), field="address", errors=errors, max_length=255)
    lat = _coordinate(data.get("lat"), field="lat", limit=90, errors=errors)
    lng = _coordinate(data.get("lng"), field="lng", limit=180, errors=errors)
    if (data.get("lat") in (None, "")) != (data.get("lng") in (None, "")):
        errors.add("lat" if data.get("lat") in (None, "") else "lng", _("Enter the latitude and the longitude together."))
    out["lat"], out["lng"] = lat, lng
    is_staff = bool(acting_paths(actor, perms.REPORT))
    source = str(data.get("source") or "").strip()
    if not is_staff:
        # a resident or a road chief reporting from a phone: the source is who he is
        roles = {str(r) for r in getattr(actor, "roles", set())}
        if Role.MEMBER in roles and (source == MatterSource.ROAD_CHIEF or Role.RESIDENT not in roles):
            source = MatterSource.ROAD_CHIEF
        else:
            source = MatterSource.RESIDENT
    elif not source:
        source = MatterSource.STAFF
    if source not in MatterSource.values:
        errors.add("source", _("Choose one of the listed options."))
    elif source == MatterSource.HOTLINE and not can(actor, perms.IMPORT):
        errors.add("source", _("Hotline work orders are entered by the hotline import."))
    out["source"] = source
    name = data.get("reporter_name")
    if not name and not is_staff:
        name = getattr(actor, "display_name", "") or ""
    out["reporter_name"] = clean_text(name, field="reporter_name", errors=errors, max_length=64)
    phone = ""
    try:
        phone = pii.normalize_phone(data.get("reporter_phone"), field="reporter_phone")
    except ValidationError as exc:
        errors.catch(exc)
    out["reporter_phone"] = phone
    ref = clean_text(data.get("external_ref"), field="external_ref", errors=errors, max_length=64)
    if ref and Matter.objects.filter(external_ref=ref).exists():
        errors.add("external_ref", _("A matter with this work-order number already exists."))
    out["external_ref"] = ref or None
    out["source_ref"] = clean_text(data.get("source_ref"), field="source_ref", errors=errors, max_length=64)
    now = _now()
    reported_at = data.get("reported_at") or now
    if not isinstance(reported_at, dt.datetime):
        errors.add("reported_at", _("Enter a date and time."))
        reported_at = now
    else:
        if timezone.is_naive(reported_at):
            reported_at = timezone.make_aware(reported_at)
        if reported_at > now + dt.timedelta(minutes=5):
            errors.add("reported_at", _("The time of the report cannot be in the future."))
        elif reported_at.year < 2000:
            errors.add("reported_at", _("Enter a date between 2000 and 2100."))
    out["reported_at"] = reported_at
    errors.raise_if_any()
    return out


@transaction.atomic
def matter_report(*, actor: Actor, title: Any, description: Any = "", category: Any = None, urgency: Any = None, community: Any,
                  address: Any = "", lat: Any = None, lng: Any = None, source: Any = MatterSource.STAFF, reporter_name: Any = "",
                  reporter_phone: Any = "", external_ref: Any = None, source_ref: Any = "", reported_at: Any = None) -> Matter:
    """Raise a matter in a community: status reported, owned by the community (the first receiver), deadlines from the rule."""
    require(actor, perms.REPORT)
    clean = _clean_report(actor, {
        "title": title, "description": description, "category": category, "urgency": urgency, "community": community,
        "address": address, "lat": lat, "lng": lng, "source": source, "reporter_name": reporter_name, "reporter_phone": reporter_phone,
        "external_ref": external_ref, "source_ref": source_ref, "reported_at": reported_at,
    })
    region: Region = clean["community"]
    accept_due, resolve_due = deadlines.deadline_for(clean["urgency"], clean["reported_at"])
    phone = clean.pop("reporter_phone")
    m = Matter(
        number=f"~{uuid.uuid4().hex[:30]}", status=MatterStatus.REPORTED, region_path=region.path, owner=region, owner_path=region.path,
        top_depth=region.depth, reporter_phone_enc=pii.encrypt(phone), reporter_phone_hash=pii.lookup_hash(phone),
        reported_by=account_of(actor), accept_due=accept_due, resolve_due=resolve_due, **clean,
    )
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError:
        raise ValidationError.for_field("external_ref", _("A matter with this work-order number already exists.")) from None
    m.number = make_number(m.pk, m.reported_at)
    m.save(update_fields=["number"])
    _event(m, EventKind.REPORTED, actor=actor, at=m.reported_at, to_status=m.status, region=region,
           note=str(MatterSource(m.source).label))
    audit.record(actor=actor, verb="matters.matter.report", target=m, changes={
        "number": m.number, "title": m.title, "category": m.category_id, "urgency": m.urgency, "source": m.source,
        "community": region.pk, "reporter_name": m.reporter_name, "reporter_phone": "***" if phone else "",
        "external_ref": m.external_ref, "accept_due": m.accept_due, "resolve_due": m.resolve_due,
    })
    registry.bump(MODULE)
    _notify(_admins(region), actor, m, verb="matters.reported", title=_("New matter to accept"))
    return m


@transaction.atomic
def matter_accept(*, actor: Actor, matter: Matter | int, version: Any = None) -> Matter:
    """The first receiver (the community) takes the matter up."""
    require(actor, perms.ACCEPT)
    m, region = common._lock_to(actor, matter, version=version, to=MatterStatus.ACCEPTED, action=perms.ACCEPT)
    now = _now()
    before = m.status
    m.status = MatterStatus.ACCEPTED
    m.accepted_at = now
    _save(m, ["status", "accepted_at"])
    _event(m, EventKind.ACCEPTED, actor=actor, at=now, from_status=before, to_status=m.status, region=region)
    audit.record(actor=actor, verb="matters.matter.accept", target=m, changes={"status": {"before": before, "after": m.status},
                                                                               "in_time": now <= m.accept_due})
    registry.bump(MODULE)
    _sync(matter, m)
    return m


@transaction.atomic
def matter_reject(*, actor: Actor, matter: Matter | int, reason: Any, version: Any = None) -> Matter:
    """Not a governance matter (不属于治理事项): closed with a reason, from reported, accepted or escalated."""
    require(actor, perms.REJECT)
    text = clean_reason(reason)
    m, region = common._lock_to(actor, matter, version=version, to=MatterStatus.REJECTED, action=perms.REJECT)
    now = _now()
    before = m.status
    m.status = MatterStatus.REJECTED
    m.rejected_at = now
    m.reject_reason = text
    _save(m, ["status", "rejected_at", "reject_reason"])
    _event(m, EventKind.REJECTED, actor=actor, at=now, from_status=before, to_status=m.status, region=region, note=text)
    audit.record(actor=actor, verb="matters.matter.reject", target=m, changes={"status": {"before": before, "after": m.status}, "reason": text})
    registry.bump(MODULE)
    if m.reported_by_id:
        notify.send([m.reported_by], verb="matters.rejected", title=f"{_('Your matter was not taken up')}：{m.title}"[:200], body=text,
                    url=matter_url(m.pk), target=m)
    _sync(matter, m)
    return m
