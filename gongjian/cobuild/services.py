"""Writes of the co-building module: categories, needs (incl. micro-wishes) and resources.

Every function takes ``actor=`` keyword-only, checks the permission matrix, finds records inside
the actor's scope (outside = NotFound), validates all fields before writing (nothing is written on
error, every field error reported at once), runs in one transaction, locks a record before
changing its status (``select_for_update``) and writes one audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, registry
from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.permissions import require
from gongjian.core.scope import region_paths, scoped
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal, clean_text
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import permissions as perms
from .choices import (
    NEED_EDITABLE,
    NEED_TRANSITIONS,
    PROJECT_NEED_STATUSES,
    PROJECT_RATING_MAX,
    PROJECT_RATING_MIN,
    PROJECT_TRANSITIONS,
    RESOURCE_EDITABLE,
    RESOURCE_TRANSITIONS,
    CapacityUnit,
    CategoryUse,
    NeedSource,
    NeedStatus,
    ProjectStatus,
    ResourceKind,
    ResourceStatus,
    Urgency,
)
from .models import Category, Need, Project, ProjectNeed, ProjectResource, Resource

MODULE = "cobuild"
MAX_RADIUS_KM = Decimal("500")


# --- helpers ---------------------------------------------------------------------------------


def clean_coordinates(data: dict[str, Any], errors: Errors) -> tuple[Decimal | None, Decimal | None]:
    lat = clean_decimal(data.get("lat"), field="lat", errors=errors, low=Decimal(-90), high=Decimal(90), places="0.000001")
    lng = clean_decimal(data.get("lng"), field="lng", errors=errors, low=Decimal(-180), high=Decimal(180), places="0.000001")
    lat_given = data.get("lat") not in (None, "")
    lng_given = data.get("lng") not in (None, "")
    if lat_given and not lng_given:
        errors.add("lng", _("Enter the longitude together with the latitude."))
    if lng_given and not lat_given:
        errors.add("lat", _("Enter the latitude together with the longitude."))
    return lat, lng


def clean_period(data: dict[str, Any], start_key: str, end_key: str, errors: Errors) -> tuple[dt.date | None, dt.date | None]:
    start = clean_date(data.get(start_key), field=start_key, errors=errors)
    end = clean_date(data.get(end_key), field=end_key, errors=errors)
    if start and end and end < start:
        errors.add(end_key, _("The end date must not be earlier than the start date."))
    return start, end


def _resolve(model: type[Model], value: Any, qs: QuerySet[Any] | None = None) -> Any:
    """An instance from an instance or a primary key, looked up in ``qs``; None if blank, False if not found."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else value
    base = qs if qs is not None else model._default_manager.all()
    try:
        return base.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        return False


def _region_allowed(actor: Any, action: str, region: Region) -> bool:
    paths = region_paths(actor, action)
    return "" in paths or any(region.path.startswith(p) for p in paths)


def _category(value: Any, *, use: str, errors: Errors) -> Category | None:
    cat = _resolve(Category, value, Category.objects.filter(is_active=True))
    if cat is False:
        errors.add("category", _("Unknown or deactivated category."))
        return None
    if cat is not None and cat.applies_to not in (CategoryUse.BOTH, use):
        errors.add("category", _("This category is not used for this kind of record."))
        return None
    return cat


def _get(model: type[Model], actor: Any, action: str, obj: Any, *, lock: bool = False) -> Any:
    qs = scoped(model._default_manager.all(), actor, action)
    found = _resolve(model, obj, qs)
    if not found:
        raise NotFound()
    if lock:
        return model._default_manager.select_for_update().get(pk=found.pk)
    return found


def _now() -> dt.datetime:
    return timezone.now()


# --- categories ------------------------------------------------------------------------------


def _category_snapshot(c: Category) -> dict[str, Any]:
    return {"name": c.name, "sort_order": c.sort_order, "applies_to": c.applies_to, "is_active": c.is_active}


def _clean_category(data: dict[str, Any], *, category: Category | None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["name"] = clean_text(data.get("name"), field="name", errors=errors, required=_("The name is required."), max_length=32)
    order = data.get("sort_order")
    try:
        out["sort_order"] = int(order) if order not in (None, "") else 100
        if out["sort_order"] < 0 or out["sort_order"] > 100000:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("sort_order", _("Enter a whole number from 0 to 100000."))
    out["applies_to"] = clean_choice(data.get("applies_to"), CategoryUse, field="applies_to", errors=errors, default=CategoryUse.BOTH)
    if out["name"]:
        dup = Category.objects.filter(name=out["name"])
        if category is not None:
            dup = dup.exclude(pk=category.pk)
        if dup.exists():
            errors.add("name", _("A category with this name already exists."))
    errors.raise_if_any()
    return out


@transaction.atomic
def category_create(*, actor: Any, **data: Any) -> Category:
    require(actor, perms.CATEGORY_MANAGE)
    clean = _clean_category(data, category=None)
    c = Category(**clean)
    try:
        with transaction.atomic():
            c.save()
    except IntegrityError:
        raise ValidationError.for_field("name", _("A category with this name already exists.")) from None
    audit.record(actor=actor, verb="cobuild.category.create", target=c, changes=audit.diff({}, _category_snapshot(c)))
    return c


@transaction.atomic
def category_update(*, actor: Any, category: Category | int, **data: Any) -> Category:
    require(actor, perms.CATEGORY_MANAGE)
    c = _resolve(Category, category)
    if not c:
        raise NotFound()
    c = Category.objects.select_for_update().get(pk=c.pk)
    before = _category_snapshot(c)
    clean = _clean_category({**before, **data}, category=c)
    for k, v in clean.items():
        setattr(c, k, v)
    if "is_active" in data:
        c.is_active = bool(data["is_active"])
    try:
        with transaction.atomic():
            c.save()
    except IntegrityError:
        raise ValidationError.for_field("name", _("A category with this name already exists.")) from None
    changes = audit.diff(before, _category_snapshot(c))
    if changes:
        audit.record(actor=actor, verb="cobuild.category.update", target=c, changes=changes)
    return c


def category_set_active(*, actor: Any, category: Category | int, active: bool) -> Category:
    return category_update(actor=actor, category=category, is_active=active)


# --- needs -----------------------------------------------------------------------------------

NEED_FIELDS = ("title", "description", "category", "community", "grid", "address", "lat", "lng", "quantity", "quantity_unit",
               "wanted_from", "wanted_to", "urgency", "source")


def need_snapshot(n: Need) -> dict[str, Any]:
    return {
        "title": n.title, "description": n.description, "category": n.category_id, "community": n.community_id, "grid": n.grid_id,
        "address": n.address, "lat": n.lat, "lng": n.lng, "quantity": n.quantity, "quantity_unit": n.quantity_unit,
        "wanted_from": n.wanted_from, "wanted_to": n.wanted_to, "urgency": n.urgency, "source": n.source, "status": n.status,
    }


def _need_current(n: Need) -> dict[str, Any]:
    snap = need_snapshot(n)
    snap.pop("status")
    return snap


def clean_need(actor: Any, data: dict[str, Any], *, action: str = perms.NEED_MANAGE, wish: bool = False) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    out["description"] = clean_text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True)
    out["category"] = _category(data.get("category"), use=CategoryUse.NEEDS, errors=errors)
    community = _resolve(Region, data.get("community"), Region.objects.filter(is_active=True))
    if community is None:
        errors.add("community", _("Choose the community."))
    elif community is False or community.level != Level.COMMUNITY:
        errors.add("community", _("Choose a community (a region of the community level)."))
        community = None
    elif not _region_allowed(actor, action, community):
        errors.add("community", _("Choose a community within your area."))
        community = None
    out["community"] = community
    grid = _resolve(Region, data.get("grid"), Region.objects.filter(is_active=True, level=Level.GRID))
    if grid is False:
        errors.add("grid", _("Choose a grid of the selected community."))
        grid = None
    elif grid is not None and community is not None and not grid.path.startswith(community.path):
        errors.add("grid", _("Choose a grid of the selected community."))
        grid = None
    out["grid"] = grid
    out["address"] = clean_text(data.get("address"), field="address", errors=errors)
    out["lat"], out["lng"] = clean_coordinates(data, errors)
    out["quantity"] = clean_decimal(data.get("quantity"), field="quantity", errors=errors, high=Decimal("9999999999"),
                                    negative_message=_("The quantity cannot be negative."))
    out["quantity_unit"] = clean_text(data.get("quantity_unit"), field="quantity_unit", errors=errors, max_length=16)
    out["wanted_from"], out["wanted_to"] = clean_period(data, "wanted_from", "wanted_to", errors)
    out["urgency"] = clean_choice(data.get("urgency"), Urgency, field="urgency", errors=errors, default=Urgency.NORMAL)
    if wish:
        out["source"] = NeedSource.WISH
    else:
        out["source"] = clean_choice(data.get("source"), NeedSource, field="source", errors=errors, default=NeedSource.STAFF)
    errors.raise_if_any()
    return out


def _apply_need(n: Need, clean: dict[str, Any]) -> None:
    for key in NEED_FIELDS:
        setattr(n, key, clean[key])
    n.region_path = clean["community"].path


@transaction.atomic
def need_create(*, actor: Any, publish: bool = False, **data: Any) -> Need:
    """A need entered by community staff (or from a meeting decision); a draft unless ``publish``."""
    require(actor, perms.NEED_MANAGE)
    clean = clean_need(actor, data)
    if clean["source"] == NeedSource.WISH:
        raise ValidationError.for_field("source", _("Micro-wishes are submitted by residents themselves."))
    n = Need(status=NeedStatus.DRAFT)
    _apply_need(n, clean)
    n.save()
    audit.record(actor=actor, verb="cobuild.need.create", target=n, changes=audit.diff({}, need_snapshot(n)))
    registry.bump(MODULE)
    if publish:
        return need_publish(actor=actor, need=n)
    return n


@transaction.atomic
def need_update(*, actor: Any, need: Need | int, **data: Any) -> Need:
    require(actor, perms.NEED_MANAGE)
    n = _get(Need, actor, perms.NEED_MANAGE, need, lock=True)
    if n.status not in NEED_EDITABLE:
        raise TransitionError(_("A need in status “%(status)s” can no longer be edited.") % {"status": n.get_status_display()})
    before = need_snapshot(n)
    current = _need_current(n)
    if n.source == NeedSource.WISH:
        data.pop("source", None)
    clean = clean_need(actor, {**current, **data}, wish=n.source == NeedSource.WISH)
    _apply_need(n, clean)
    n.save()
    changes = audit.diff(before, need_snapshot(n))
    if changes:
        audit.record(actor=actor, verb="cobuild.need.update", target=n, changes=changes)
        registry.bump(MODULE)
    return n


def _need_transition(actor: Any, need: Need | int, to: str, *, verb: str, reason: str = "", action: str = perms.NEED_MANAGE) -> Need:
    require(actor, action)
    n = _get(Need, actor, action, need, lock=True)
    if to not in NEED_TRANSITIONS.get(n.status, frozenset()):
        raise TransitionError(
            _("A need in status “%(from)s” cannot be changed to “%(to)s”.")
            % {"from": n.get_status_display(), "to": NeedStatus(to).label}
        )
    before = n.status
    n.status = to
    now = _now()
    fields = ["status", "updated_at"]
    if to == NeedStatus.PUBLISHED and n.published_at is None:
        n.published_at = now
        fields.append("published_at")
    if to == NeedStatus.MET:
        n.met_at = now
        fields.append("met_at")
    if to == NeedStatus.WITHDRAWN:
        n.withdrawn_at = now
        fields.append("withdrawn_at")
    if reason:
        n.review_note = reason
        fields.append("review_note")
    n.save(update_fields=fields)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    if reason:
        changes["reason"] = reason
    audit.record(actor=actor, verb=verb, target=n, changes=changes)
    registry.bump(MODULE)
    return n


def _reason(value: Any, *, required: bool) -> str:
    errors = Errors()
    text = clean_text(value, field="reason", errors=errors, required=_("Give a reason.") if required else None, max_length=500)
    errors.raise_if_any()
    return text


@transaction.atomic
def need_publish(*, actor: Any, need: Need | int) -> Need:
    """Publish a draft (a staff need, or a resident's wish after review)."""
    return _need_transition(actor, need, NeedStatus.PUBLISHED, verb="cobuild.need.publish")


@transaction.atomic
def need_withdraw(*, actor: Any, need: Need | int, reason: str = "") -> Need:
    return _need_transition(actor, need, NeedStatus.WITHDRAWN, verb="cobuild.need.withdraw", reason=_reason(reason, required=False))


@transaction.atomic
def need_reject(*, actor: Any, need: Need | int, reason: str) -> Need:
    """The community declines a resident's micro-wish under review; the reason is shown to the resident."""
    text = _reason(reason, required=True)
    require(actor, perms.NEED_MANAGE)
    n = _get(Need, actor, perms.NEED_MANAGE, need)
    if n.source != NeedSource.WISH or n.status != NeedStatus.DRAFT:
        raise TransitionError(_("Only a micro-wish awaiting review can be rejected."))
    return _need_transition(actor, n, NeedStatus.WITHDRAWN, verb="cobuild.need.reject", reason=text)


@transaction.atomic
def need_mark_matched(*, actor: Any, need: Need | int) -> Need:
    return _need_transition(actor, need, NeedStatus.MATCHED, verb="cobuild.need.match")


@transaction.atomic
def need_unmatch(*, actor: Any, need: Need | int, reason: str = "") -> Need:
    return _need_transition(actor, need, NeedStatus.PUBLISHED, verb="cobuild.need.unmatch", reason=_reason(reason, required=False))


@transaction.atomic
def need_start_project(*, actor: Any, need: Need | int) -> Need:
    return _need_transition(actor, need, NeedStatus.IN_PROJECT, verb="cobuild.need.start_project")


@transaction.atomic
def need_mark_met(*, actor: Any, need: Need | int) -> Need:
    return _need_transition(actor, need, NeedStatus.MET, verb="cobuild.need.met")


NEED_ACTIONS = {
    "publish": need_publish,
    "withdraw": need_withdraw,
    "reject": need_reject,
    "match": need_mark_matched,
    "unmatch": need_unmatch,
    "start_project": need_start_project,
    "met": need_mark_met,
}


def wish_community(actor: Any, community: Any = None) -> Region:
    """The community a resident's wish goes to: the one given (inside his scope) or his only one."""
    paths = [p for p in region_paths(actor, perms.WISH_SUBMIT) if p]
    regions = list(Region.objects.filter(path__in=paths, level=Level.COMMUNITY, is_active=True).order_by("path"))
    if community not in (None, ""):
        pk = community.pk if isinstance(community, Region) else community
        for r in regions:
            if str(r.pk) == str(pk):
                return r
        raise ValidationError.for_field("community", _("Choose a community within your area."))
    if not regions:
        raise ValidationError(_("Your account is not registered with a community; ask the community to set it up."))
    return regions[0]


@transaction.atomic
def need_submit_wish(*, actor: Any, **data: Any) -> Need:
    """A resident's micro-wish (微心愿): lands as a draft with source “wish” for the community to review."""
    require(actor, perms.WISH_SUBMIT)
    errors = Errors()
    try:
        community = wish_community(actor, data.get("community"))
    except ValidationError as exc:
        errors.catch(exc) if exc.details else errors.add("community", exc.message)
        community = None
    try:
        clean = clean_need(actor, {**data, "community": community.pk if community else None, "source": NeedSource.WISH},
                           action=perms.WISH_SUBMIT, wish=True)
    except ValidationError as exc:
        if community is None:
            exc.details.pop("community", None)
        errors.catch(exc)
        clean = {}
    errors.raise_if_any()
    n = Need(status=NeedStatus.DRAFT, submitted_by=actor)
    _apply_need(n, clean)
    n.save()
    audit.record(actor=actor, verb="cobuild.need.wish", target=n, changes=audit.diff({}, need_snapshot(n)))
    registry.bump(MODULE)
    return n


# --- resources -------------------------------------------------------------------------------

RESOURCE_FIELDS = ("title", "description", "category", "kind", "capacity", "capacity_unit", "radius_km", "available_from", "available_to")


def resource_snapshot(r: Resource, regions: Iterable[int] | None = None) -> dict[str, Any]:
    return {
        "unit": r.unit_id, "title": r.title, "description": r.description, "category": r.category_id, "kind": r.kind,
        "capacity": r.capacity, "capacity_unit": r.capacity_unit, "remaining": r.remaining, "radius_km": r.radius_km,
        "service_regions": sorted(regions if regions is not None else r.service_regions.values_list("pk", flat=True)),
        "available_from": r.available_from, "available_to": r.available_to, "status": r.status,
    }


def resource_unit_choices(actor: Any) -> QuerySet[ResidentUnit]:
    """Active units whose resources the actor may manage (a liaison: his own unit)."""
    return scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.RESOURCE_MANAGE, ResidentUnit.scope_fields).order_by("name")


def clean_resource(actor: Any, data: dict[str, Any], *, resource: Resource | None = None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    if resource is not None:
        unit = resource.unit
    else:
        unit = _resolve(ResidentUnit, data.get("unit"), resource_unit_choices(actor))
        if unit is None:
            errors.add("unit", _("Choose the unit that offers the resource."))
        elif unit is False:
            errors.add("unit", _("Choose an active unit within your area."))
            unit = None
    out["unit"] = unit
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    out["description"] = clean_text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True)
    out["category"] = _category(data.get("category"), use=CategoryUse.RESOURCES, errors=errors)
    out["kind"] = clean_choice(data.get("kind"), ResourceKind, field="kind", errors=errors)
    if not str(data.get("kind") or "").strip():
        errors.details["kind"] = [_("Choose the kind of resource.")]
    out["capacity"] = clean_decimal(data.get("capacity"), field="capacity", errors=errors, high=Decimal("999999999999"),
                                    negative_message=_("The capacity cannot be negative."))
    out["capacity_unit"] = clean_choice(data.get("capacity_unit"), CapacityUnit, field="capacity_unit", errors=errors, required=False)
    if out["capacity"] is not None and not out["capacity_unit"]:
        errors.add("capacity_unit", _("Choose the unit of the capacity."))
    out["radius_km"] = clean_decimal(data.get("radius_km"), field="radius_km", errors=errors, low=Decimal("0"), high=MAX_RADIUS_KM,
                                     negative_message=_("The radius cannot be negative."))
    if out["radius_km"] is not None and unit and (unit.lat is None or unit.lng is None):
        errors.add("radius_km", _("The unit has no coordinates; add them to the unit, or choose service regions instead."))
    regions: list[Region] = []
    raw_regions = data.get("service_regions") or []
    if isinstance(raw_regions, str | int | Region):
        raw_regions = [raw_regions]
    for value in raw_regions:
        r = _resolve(Region, value, Region.objects.filter(is_active=True))
        if not r:
            errors.add("service_regions", _("Unknown region among the service regions."))
        else:
            regions.append(r)
    out["service_regions"] = regions
    out["available_from"], out["available_to"] = clean_period(data, "available_from", "available_to", errors)
    errors.raise_if_any()
    return out


def _apply_resource(r: Resource, clean: dict[str, Any]) -> None:
    for key in RESOURCE_FIELDS:
        setattr(r, key, clean[key])
    r.unit = clean["unit"]
    r.region_path = clean["unit"].region_path


@transaction.atomic
def resource_create(*, actor: Any, offer: bool = False, **data: Any) -> Resource:
    require(actor, perms.RESOURCE_MANAGE)
    clean = clean_resource(actor, data)
    r = Resource(status=ResourceStatus.DRAFT)
    _apply_resource(r, clean)
    r.remaining = r.capacity
    r.save()
    r.service_regions.set(clean["service_regions"])
    audit.record(actor=actor, verb="cobuild.resource.create", target=r,
                 changes=audit.diff({}, resource_snapshot(r, [x.pk for x in clean["service_regions"]])))
    registry.bump(MODULE)
    if offer:
        return resource_offer(actor=actor, resource=r)
    return r


@transaction.atomic
def resource_update(*, actor: Any, resource: Resource | int, **data: Any) -> Resource:
    require(actor, perms.RESOURCE_MANAGE)
    r = _get(Resource, actor, perms.RESOURCE_MANAGE, resource, lock=True)
    if r.status not in RESOURCE_EDITABLE:
        raise TransitionError(_("A resource in status “%(status)s” can no longer be edited.") % {"status": r.get_status_display()})
    before = resource_snapshot(r)
    current = {k: getattr(r, k) for k in RESOURCE_FIELDS}
    current["category"] = r.category_id
    current["service_regions"] = before["service_regions"]
    data.pop("unit", None)
    clean = clean_resource(actor, {**current, **data}, resource=r)
    old_capacity, old_remaining = r.capacity, r.remaining
    _apply_resource(r, clean)
    if r.capacity is None:
        r.remaining = None
    elif old_capacity is None or old_remaining is None:
        r.remaining = r.capacity
    else:
        committed = old_capacity - old_remaining
        if r.capacity < committed:
            raise ValidationError.for_field(
                "capacity", _("%(n)s is already committed to projects; the capacity cannot be lower.") % {"n": committed.normalize()}
            )
        r.remaining = r.capacity - committed
    r.save()
    r.service_regions.set(clean["service_regions"])
    changes = audit.diff(before, resource_snapshot(r, [x.pk for x in clean["service_regions"]]))
    if changes:
        audit.record(actor=actor, verb="cobuild.resource.update", target=r, changes=changes)
        registry.bump(MODULE)
    return r


def _resource_transition(actor: Any, resource: Resource | int, to: str, *, verb: str, reason: str = "") -> Resource:
    require(actor, perms.RESOURCE_MANAGE)
    r = _get(Resource, actor, perms.RESOURCE_MANAGE, resource, lock=True)
    if to not in RESOURCE_TRANSITIONS.get(r.status, frozenset()):
        raise TransitionError(
            _("A resource in status “%(from)s” cannot be changed to “%(to)s”.")
            % {"from": r.get_status_display(), "to": ResourceStatus(to).label}
        )
    if to == ResourceStatus.OFFERED and r.available_to is not None and r.available_to < timezone.localdate():
        raise TransitionError(_("The available period has ended; change the dates before offering the resource."))
    before = r.status
    r.status = to
    fields = ["status", "updated_at"]
    if to == ResourceStatus.OFFERED and r.offered_at is None:
        r.offered_at = _now()
        fields.append("offered_at")
    if reason:
        r.status_note = reason
        fields.append("status_note")
    r.save(update_fields=fields)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    if reason:
        changes["reason"] = reason
    audit.record(actor=actor, verb=verb, target=r, changes=changes)
    registry.bump(MODULE)
    return r


@transaction.atomic
def resource_offer(*, actor: Any, resource: Resource | int) -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.OFFERED, verb="cobuild.resource.offer")


@transaction.atomic
def resource_pause(*, actor: Any, resource: Resource | int, reason: str = "") -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.PAUSED, verb="cobuild.resource.pause", reason=_reason(reason, required=False))


@transaction.atomic
def resource_withdraw(*, actor: Any, resource: Resource | int, reason: str = "") -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.WITHDRAWN, verb="cobuild.resource.withdraw",
                                reason=_reason(reason, required=False))


RESOURCE_ACTIONS = {"offer": resource_offer, "pause": resource_pause, "withdraw": resource_withdraw}



# --- projects --------------------------------------------------------------------------------


def project_snapshot(p: Project) -> dict[str, Any]:
    return {
        "title": p.title, "community": p.community_id, "unit": p.unit_id, "plan": p.plan, "status": p.status,
        "needs": sorted(p.project_needs.values_list("need_id", flat=True)),
        "resources": {str(r): str(a) for r, a in p.project_resources.order_by("resource_id").values_list("resource_id", "amount")},
    }


def _project_needs(actor: Any, community: Region | None, values: Any, errors: Errors) -> list[Need]:
    raw = list(values or [])
    if not raw:
        errors.add("needs", _("Choose at least one need the project takes up."))
        return []
    found: list[Need] = []
    qs = scoped(Need.objects.all(), actor, perms.NEED_MANAGE)
    for value in raw:
        n = _resolve(Need, value, qs)
        if not n:
            errors.add("needs", _("Unknown need, or a need outside your area."))
        elif any(x.pk == n.pk for x in found):
            errors.add("needs", _("The need “%(title)s” is listed twice.") % {"title": n.title})
        elif community is not None and n.community_id != community.pk:
            errors.add("needs", _("The need “%(title)s” belongs to another community.") % {"title": n.title})
        elif n.status not in PROJECT_NEED_STATUSES:
            errors.add("needs", _("The need “%(title)s” is “%(status)s”; only published or matched needs can be taken up by a project.")
                       % {"title": n.title, "status": n.get_status_display()})
        else:
            found.append(n)
    return found


def _project_resources(actor: Any, values: Any, errors: Errors) -> list[tuple[Resource, Decimal]]:
    from .selectors import resource_base

    lines: list[tuple[Resource, Decimal]] = []
    visible = resource_base(actor, perms.RESOURCE_VIEW)
    today = timezone.localdate()
    for item in list(values or []):
        try:
            value, raw_amount = item
        except (TypeError, ValueError):
            errors.add("resources", _("Give each resource with the amount committed."))
            continue
        r = _resolve(Resource, value, visible)
        if not r:
            errors.add("resources", _("Unknown resource, or a resource outside your reach."))
            continue
        if any(x.pk == r.pk for x, _a in lines):
            errors.add("resources", _("The resource “%(title)s” is listed twice.") % {"title": r.title})
            continue
        if r.status != ResourceStatus.OFFERED:
            errors.add("resources", _("The resource “%(title)s” is not on offer.") % {"title": r.title})
            continue
        if r.available_to is not None and r.available_to < today:
            errors.add("resources", _("The available period of the resource “%(title)s” has ended.") % {"title": r.title})
            continue
        sub = Errors()
        amount = clean_decimal(raw_amount, field="resources", errors=sub, high=Decimal("999999999999"))
        if sub.details:
            errors.catch(ValidationError("", details=sub.details))
            continue
        if amount is None or amount <= 0:
            errors.add("resources", _("The amount committed from “%(title)s” must be greater than zero.") % {"title": r.title})
            continue
        lines.append((r, amount))
    return lines


def _clean_project(actor: Any, data: dict[str, Any]) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    out["plan"] = clean_text(data.get("plan"), field="plan", errors=errors, max_length=8000, multiline=True)
    community = _resolve(Region, data.get("community"), Region.objects.filter(is_active=True))
    if community is None:
        errors.add("community", _("Choose the community."))
    elif community is False or community.level != Level.COMMUNITY:
        errors.add("community", _("Choose a community (a region of the community level)."))
        community = None
    elif not _region_allowed(actor, perms.PROJECT_MANAGE, community):
        errors.add("community", _("Choose a community within your area."))
        community = None
    out["community"] = community
    out["needs"] = _project_needs(actor, community, data.get("needs"), errors)
    out["resources"] = _project_resources(actor, data.get("resources"), errors)
    unit = _resolve(ResidentUnit, data.get("unit"), ResidentUnit.objects.filter(is_active=True))
    if unit is None:
        errors.add("unit", _("Choose the responsible unit."))
    elif unit is False:
        errors.add("unit", _("Unknown or deactivated unit."))
        unit = None
    elif not (scoped(ResidentUnit.objects.filter(pk=unit.pk), actor, perms.PROJECT_MANAGE, ResidentUnit.scope_fields).exists()
              or any(r.unit_id == unit.pk for r, _a in out["resources"])):
        errors.add("unit", _("Choose a unit located in your area or one whose resource the project uses."))
        unit = None
    out["unit"] = unit
    errors.raise_if_any()
    return out


def _lock_resources(ids: Iterable[int]) -> dict[int, Resource]:
    """Lock the resource rows in id order (two projects sharing resources cannot deadlock)."""
    return {r.pk: r for r in Resource.objects.select_for_update().filter(pk__in=sorted(set(ids))).order_by("pk")}


def _move_need(actor: Any, need_id: int, to: str, *, verb: str, allowed_from: Iterable[str]) -> Need:
    """A need moved by a project service (the project permission has been checked); locked and audited."""
    n = Need.objects.select_for_update().get(pk=need_id)
    if n.status not in set(allowed_from):
        raise TransitionError(
            _("A need in status “%(from)s” cannot be changed to “%(to)s”.")
            % {"from": n.get_status_display(), "to": NeedStatus(to).label}
        )
    before = n.status
    n.status = to
    fields = ["status", "updated_at"]
    if to == NeedStatus.MET:
        n.met_at = _now()
        fields.append("met_at")
    n.save(update_fields=fields)
    audit.record(actor=actor, verb=verb, target=n, changes={"status": {"before": before, "after": to}})
    return n


@transaction.atomic
def project_create(*, actor: Any, title: Any, community: Any, unit: Any, needs: Any, resources: Any = (), plan: Any = "") -> Project:
    """Propose a project: takes up the needs (→ in a project) and commits capacity of the resources.

    Validates everything first; then locks the resource rows in id order and refuses, writing
    nothing, when a resource's remaining capacity is short.
    """
    require(actor, perms.PROJECT_MANAGE)
    clean = _clean_project(actor, {"title": title, "community": community, "unit": unit, "needs": needs, "resources": resources,
                                   "plan": plan})
    locked = _lock_resources(r.pk for r, _a in clean["resources"])
    errors = Errors()
    for r, amount in clean["resources"]:
        current = locked[r.pk]
        if current.status != ResourceStatus.OFFERED:
            errors.add("resources", _("The resource “%(title)s” is not on offer.") % {"title": current.title})
        elif current.remaining is not None and current.remaining < amount:
            errors.add("resources", _("Only %(remaining)s of the resource “%(title)s” remain; %(amount)s cannot be committed.")
                       % {"remaining": current.remaining.normalize(), "title": current.title, "amount": amount.normalize()})
    errors.raise_if_any()
    p = Project(title=clean["title"], plan=clean["plan"], community=clean["community"], region_path=clean["community"].path,
                unit=clean["unit"], status=ProjectStatus.PROPOSED, proposed_by=actor if getattr(actor, "pk", None) else None)
    p.save()
    for n in clean["needs"]:
        ProjectNeed.objects.create(project=p, need=n)
        if n.status == NeedStatus.PUBLISHED:
            _move_need(actor, n.pk, NeedStatus.MATCHED, verb="cobuild.need.match", allowed_from=[NeedStatus.PUBLISHED])
        _move_need(actor, n.pk, NeedStatus.IN_PROJECT, verb="cobuild.need.start_project", allowed_from=[NeedStatus.MATCHED])
    for r, amount in clean["resources"]:
        current = locked[r.pk]
        ProjectResource.objects.create(project=p, resource=current, amount=amount)
        if current.remaining is not None:
            before = current.remaining
            current.remaining = before - amount
            current.save(update_fields=["remaining", "updated_at"])
            audit.record(actor=actor, verb="cobuild.resource.commit", target=current,
                         changes={"remaining": {"before": before, "after": current.remaining}, "project": p.pk})
    audit.record(actor=actor, verb="cobuild.project.create", target=p, changes=audit.diff({}, project_snapshot(p)))
    registry.bump(MODULE)
    return p


def _project_transition(actor: Any, project: Project | int, to: str, *, action: str, verb: str,
                        extra: dict[str, Any] | None = None) -> Project:
    require(actor, action)
    p = _get(Project, actor, action, project, lock=True)
    if to not in PROJECT_TRANSITIONS.get(p.status, frozenset()):
        raise TransitionError(
            _("A project in status “%(from)s” cannot be changed to “%(to)s”.")
            % {"from": p.get_status_display(), "to": ProjectStatus(to).label}
        )
    before = p.status
    p.status = to
    fields = ["status", "updated_at"]
    stamp = {ProjectStatus.AGREED: "agreed_at", ProjectStatus.IN_PROGRESS: "started_at", ProjectStatus.DONE: "done_at",
             ProjectStatus.RATED: "rated_at", ProjectStatus.CANCELLED: "cancelled_at"}[ProjectStatus(to)]
    setattr(p, stamp, _now())
    fields.append(stamp)
    changes: dict[str, Any] = {"status": {"before": before, "after": to}}
    for key, value in (extra or {}).items():
        setattr(p, key, value)
        fields.append(key)
        changes[key] = value
    p.save(update_fields=fields)
    audit.record(actor=actor, verb=verb, target=p, changes=changes)
    registry.bump(MODULE)
    return p


@transaction.atomic
def project_agree(*, actor: Any, project: Project | int) -> Project:
    """The responsible unit (or an administrator on its behalf) agrees to the proposed plan."""
    return _project_transition(actor, project, ProjectStatus.AGREED, action=perms.PROJECT_RUN, verb="cobuild.project.agree")


@transaction.atomic
def project_start(*, actor: Any, project: Project | int) -> Project:
    return _project_transition(actor, project, ProjectStatus.IN_PROGRESS, action=perms.PROJECT_RUN, verb="cobuild.project.start")


@transaction.atomic
def project_complete(*, actor: Any, project: Project | int, outcome: Any) -> Project:
    """The project is done: the outcome is recorded and its needs are met."""
    errors = Errors()
    text = clean_text(outcome, field="outcome", errors=errors, required=_("Describe the outcome of the project."), max_length=8000,
                      multiline=True)
    errors.raise_if_any()
    p = _project_transition(actor, project, ProjectStatus.DONE, action=perms.PROJECT_RUN, verb="cobuild.project.complete",
                            extra={"outcome": text})
    for need_id in p.project_needs.order_by("need_id").values_list("need_id", flat=True):
        _move_need(actor, need_id, NeedStatus.MET, verb="cobuild.need.met", allowed_from=[NeedStatus.IN_PROJECT])
    return p


@transaction.atomic
def project_rate(*, actor: Any, project: Project | int, rating: Any, remark: Any = "") -> Project:
    """The community rates a completed project (1–5) with an optional remark."""
    errors = Errors()
    try:
        value = int(str(rating).strip())
        if not PROJECT_RATING_MIN <= value <= PROJECT_RATING_MAX:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("rating", _("Choose a rating from %(low)s to %(high)s.") % {"low": PROJECT_RATING_MIN, "high": PROJECT_RATING_MAX})
        value = 0
    text = clean_text(remark, field="rating_remark", errors=errors, max_length=500, multiline=True)
    errors.raise_if_any()
    return _project_transition(actor, project, ProjectStatus.RATED, action=perms.PROJECT_RATE, verb="cobuild.project.rate",
                               extra={"rating": value, "rating_remark": text})


@transaction.atomic
def project_cancel(*, actor: Any, project: Project | int, reason: Any) -> Project:
    """Cancel an unfinished project: its committed capacity is released and its needs are published again."""
    text = _reason(reason, required=True)
    p = _project_transition(actor, project, ProjectStatus.CANCELLED, action=perms.PROJECT_MANAGE, verb="cobuild.project.cancel",
                            extra={"cancel_reason": text})
    lines = list(p.project_resources.order_by("resource_id").values_list("resource_id", "amount"))
    locked = _lock_resources(rid for rid, _a in lines)
    for rid, amount in lines:
        r = locked[rid]
        if r.remaining is None:
            continue
        before = r.remaining
        r.remaining = before + amount
        if r.capacity is not None and r.remaining > r.capacity:
            r.remaining = r.capacity
        r.save(update_fields=["remaining", "updated_at"])
        audit.record(actor=actor, verb="cobuild.resource.release", target=r,
                     changes={"remaining": {"before": before, "after": r.remaining}, "project": p.pk})
    for need_id in p.project_needs.order_by("need_id").values_list("need_id", flat=True):
        _move_need(actor, need_id, NeedStatus.PUBLISHED, verb="cobuild.need.release", allowed_from=[NeedStatus.IN_PROJECT])
    return p


PROJECT_ACTIONS = {"agree": project_agree, "start": project_start, "complete": project_complete, "rate": project_rate,
                   "cancel": project_cancel}
