"""Writes of the co-building module: categories, needs (incl. micro-wishes) and resources.

The project lifecycle lives in ``cobuild.projects.services`` (with the project's milestones and progress);
it is re-exported here, so ``services.project_create(...)`` keeps working.

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

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.errors import NotFound, TransitionError, ValidationError
from gongjian.core.kernel import Actor, account_of, audited_save, clean_reason
from gongjian.core.permissions import require
from gongjian.core.scope import region_paths, scoped
from gongjian.core.validation import Errors, clean_choice, clean_date, clean_decimal, clean_text
from gongjian.orgs.models import ResidentUnit
from gongjian.regions.choices import Level
from gongjian.regions.models import Region

from . import lookup
from . import permissions as perms
from .choices import (
    NEED_EDITABLE,
    NEED_TRANSITIONS,
    RESOURCE_EDITABLE,
    RESOURCE_TRANSITIONS,
    CapacityUnit,
    CategoryUse,
    NeedSource,
    NeedStatus,
    ResourceKind,
    ResourceStatus,
    Urgency,
)
from .models import Category, Need, Resource
from .projects.services import (
    PROJECT_ACTIONS,
    project_agree,
    project_cancel,
    project_complete,
    project_create,
    project_rate,
    project_snapshot,
    project_start,
)

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


def _category(value: Any, *, use: str, errors: Errors) -> Category | None:
    cat = lookup.resolve(Category, value, Category.objects.filter(is_active=True))
    if cat is False:
        errors.add("category", _("Unknown or deactivated category."))
        return None
    if cat is not None and cat.applies_to not in (CategoryUse.BOTH, use):
        errors.add("category", _("This category is not used for this kind of record."))
        return None
    return cat


# --- categories ------------------------------------------------------------------------------


def _category_snapshot(c: Category) -> dict[str, Any]:
    return {"name": c.name, "sort_order": c.sort_order, "applies_to": c.applies_to, "is_active": c.is_active}


# Two requests racing for one name: the database's unique index refuses the second, reported on the name.
_CATEGORY_UNIQUE = {"cobuild_category_name": ("name", _("A category with this name already exists."))}


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
def category_create(*, actor: Actor, **data: Any) -> Category:
    require(actor, perms.CATEGORY_MANAGE)
    clean = _clean_category(data, category=None)
    c = Category()
    audited_save(c, actor=actor, verb="cobuild.category.create", changes=clean, snap=_category_snapshot, unique=_CATEGORY_UNIQUE)
    return c


@transaction.atomic
def category_update(*, actor: Actor, category: Category | int, **data: Any) -> Category:
    require(actor, perms.CATEGORY_MANAGE)
    c = lookup.resolve(Category, category)
    if not c:
        raise NotFound()
    c = Category.objects.select_for_update().get(pk=c.pk)
    before = _category_snapshot(c)
    clean = _clean_category({**before, **data}, category=c)
    if "is_active" in data:
        clean["is_active"] = bool(data["is_active"])
    audited_save(c, actor=actor, verb="cobuild.category.update", changes=clean, snap=_category_snapshot, before=before,
                 unique=_CATEGORY_UNIQUE)
    return c


def category_set_active(*, actor: Actor, category: Category | int, active: bool) -> Category:
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


def clean_need(actor: Actor, data: dict[str, Any], *, action: str = perms.NEED_MANAGE, wish: bool = False) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=_("The title is required."), max_length=120)
    out["description"] = clean_text(data.get("description"), field="description", errors=errors, max_length=4000, multiline=True)
    out["category"] = _category(data.get("category"), use=CategoryUse.NEEDS, errors=errors)
    community = lookup.community(data.get("community"), errors, actor=actor, action=action)
    out["community"] = community
    grid = lookup.resolve(Region, data.get("grid"), Region.objects.filter(is_active=True, level=Level.GRID))
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
def need_create(*, actor: Actor, publish: bool = False, **data: Any) -> Need:
    """A need entered by community staff (or from a meeting decision); a draft unless ``publish``."""
    require(actor, perms.NEED_MANAGE)
    clean = clean_need(actor, data)
    if clean["source"] == NeedSource.WISH:
        raise ValidationError.for_field("source", _("Micro-wishes are submitted by residents themselves."))
    n = Need(status=NeedStatus.DRAFT)
    audited_save(n, actor=actor, verb="cobuild.need.create", changes=clean, apply=_apply_need, snap=need_snapshot, module=MODULE)
    if publish:
        return need_publish(actor=actor, need=n)
    return n


@transaction.atomic
def need_update(*, actor: Actor, need: Need | int, **data: Any) -> Need:
    require(actor, perms.NEED_MANAGE)
    n = lookup.get(Need, actor, perms.NEED_MANAGE, need, lock=True)
    if n.status not in NEED_EDITABLE:
        raise TransitionError(_("A need in status “%(status)s” can no longer be edited.") % {"status": n.get_status_display()})
    current = _need_current(n)
    if n.source == NeedSource.WISH:
        data.pop("source", None)
    clean = clean_need(actor, {**current, **data}, wish=n.source == NeedSource.WISH)
    audited_save(n, actor=actor, verb="cobuild.need.update", changes=clean, apply=_apply_need, snap=need_snapshot, module=MODULE)
    return n


def _need_transition(actor: Actor, need: Need | int, to: str, *, verb: str, reason: str = "", action: str = perms.NEED_MANAGE) -> Need:
    stamps = ((NeedStatus.PUBLISHED, "published_at", True), (NeedStatus.MET, "met_at", False),
              (NeedStatus.WITHDRAWN, "withdrawn_at", False))
    n: Need = lookup.transition(Need, NEED_TRANSITIONS, actor, need, to, action=action, verb=verb, reason=reason, stamps=stamps,
                                note="review_note")
    return n


@transaction.atomic
def need_publish(*, actor: Actor, need: Need | int) -> Need:
    """Publish a draft (a staff need, or a resident's wish after review)."""
    return _need_transition(actor, need, NeedStatus.PUBLISHED, verb="cobuild.need.publish")


@transaction.atomic
def need_withdraw(*, actor: Actor, need: Need | int, reason: str = "") -> Need:
    return _need_transition(actor, need, NeedStatus.WITHDRAWN, verb="cobuild.need.withdraw",
        reason=clean_reason(reason, required=False, multiline=False))


@transaction.atomic
def need_reject(*, actor: Actor, need: Need | int, reason: str) -> Need:
    """The community declines a resident's micro-wish under review; the reason is shown to the resident."""
    text = clean_reason(reason, multiline=False)
    require(actor, perms.NEED_MANAGE)
    n = lookup.get(Need, actor, perms.NEED_MANAGE, need)
    if n.source != NeedSource.WISH or n.status != NeedStatus.DRAFT:
        raise TransitionError(_("Only a micro-wish awaiting review can be rejected."))
    return _need_transition(actor, n, NeedStatus.WITHDRAWN, verb="cobuild.need.reject", reason=text)


@transaction.atomic
def need_mark_matched(*, actor: Actor, need: Need | int) -> Need:
    return _need_transition(actor, need, NeedStatus.MATCHED, verb="cobuild.need.match")


@transaction.atomic
def need_unmatch(*, actor: Actor, need: Need | int, reason: str = "") -> Need:
    return _need_transition(actor, need, NeedStatus.PUBLISHED, verb="cobuild.need.unmatch",
        reason=clean_reason(reason, required=False, multiline=False))


@transaction.atomic
def need_start_project(*, actor: Actor, need: Need | int) -> Need:
    return _need_transition(actor, need, NeedStatus.IN_PROJECT, verb="cobuild.need.start_project")


@transaction.atomic
def need_mark_met(*, actor: Actor, need: Need | int) -> Need:
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


def wish_community(actor: Actor, community: Any = None) -> Region:
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
def need_submit_wish(*, actor: Actor, **data: Any) -> Need:
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
    n = Need(status=NeedStatus.DRAFT, submitted_by=account_of(actor))
    audited_save(n, actor=actor, verb="cobuild.need.wish", changes=clean, apply=_apply_need, snap=need_snapshot, module=MODULE)
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


def resource_unit_choices(actor: Actor) -> QuerySet[ResidentUnit]:
    """Active units whose resources the actor may manage (a liaison: his own unit)."""
    return scoped(ResidentUnit.objects.filter(is_active=True), actor, perms.RESOURCE_MANAGE, ResidentUnit.scope_fields).order_by("name")


def clean_resource(actor: Actor, data: dict[str, Any], *, resource: Resource | None = None) -> dict[str, Any]:
    errors = Errors()
    out: dict[str, Any] = {}
    if resource is not None:
        unit = resource.unit
    else:
        unit = lookup.chosen(ResidentUnit, data.get("unit"), resource_unit_choices(actor), errors, "unit",
                             missing=_("Choose the unit that offers the resource."), unknown=_("Choose an active unit within your area."))
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
        r = lookup.resolve(Region, value, Region.objects.filter(is_active=True))
        if not r:
            errors.add("service_regions", _("Unknown region among the service regions."))
        else:
            regions.append(r)
    out["service_regions"] = regions
    out["available_from"], out["available_to"] = clean_period(data, "available_from", "available_to", errors)
    errors.raise_if_any()
    return out


def _apply_resource(r: Resource, clean: dict[str, Any]) -> None:
    """Set the cleaned values; the remaining capacity keeps what is committed to projects (a new resource: all of it)."""
    old_capacity, old_remaining = r.capacity, r.remaining
    for key in RESOURCE_FIELDS:
        setattr(r, key, clean[key])
    r.unit = clean["unit"]
    r.region_path = clean["unit"].region_path
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


def _save_resource(r: Resource, clean: dict[str, Any], *, actor: Actor, verb: str, before: dict[str, Any] | None = None) -> None:
    """The audited save of a resource; its service regions (many-to-many rows, written once it has a key) are audited
    as the cleaned ones."""
    regions = [x.pk for x in clean["service_regions"]]
    audited_save(r, actor=actor, verb=verb, changes=clean, apply=_apply_resource, snap=lambda o: resource_snapshot(o, regions),
                 before=before, module=MODULE)
    r.service_regions.set(clean["service_regions"])


@transaction.atomic
def resource_create(*, actor: Actor, offer: bool = False, **data: Any) -> Resource:
    require(actor, perms.RESOURCE_MANAGE)
    clean = clean_resource(actor, data)
    r = Resource(status=ResourceStatus.DRAFT)
    _save_resource(r, clean, actor=actor, verb="cobuild.resource.create")
    if offer:
        return resource_offer(actor=actor, resource=r)
    return r


@transaction.atomic
def resource_update(*, actor: Actor, resource: Resource | int, **data: Any) -> Resource:
    require(actor, perms.RESOURCE_MANAGE)
    r = lookup.get(Resource, actor, perms.RESOURCE_MANAGE, resource, lock=True)
    if r.status not in RESOURCE_EDITABLE:
        raise TransitionError(_("A resource in status “%(status)s” can no longer be edited.") % {"status": r.get_status_display()})
    before = resource_snapshot(r)
    current = {k: getattr(r, k) for k in RESOURCE_FIELDS}
    current["category"] = r.category_id
    current["service_regions"] = before["service_regions"]
    data.pop("unit", None)
    clean = clean_resource(actor, {**current, **data}, resource=r)
    _save_resource(r, clean, actor=actor, verb="cobuild.resource.update", before=before)
    return r


def _resource_transition(actor: Actor, resource: Resource | int, to: str, *, verb: str, reason: str = "") -> Resource:
    def offerable(r: Resource) -> None:
        RESOURCE_TRANSITIONS.check(r, to)
        if to == ResourceStatus.OFFERED and r.available_to is not None and r.available_to < timezone.localdate():
            raise TransitionError(_("The available period has ended; change the dates before offering the resource."))

    r: Resource = lookup.transition(Resource, RESOURCE_TRANSITIONS, actor, resource, to, action=perms.RESOURCE_MANAGE, verb=verb,
                                    reason=reason, stamps=((ResourceStatus.OFFERED, "offered_at", True),), check=offerable)
    return r


@transaction.atomic
def resource_offer(*, actor: Actor, resource: Resource | int) -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.OFFERED, verb="cobuild.resource.offer")


@transaction.atomic
def resource_pause(*, actor: Actor, resource: Resource | int, reason: str = "") -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.PAUSED, verb="cobuild.resource.pause",
        reason=clean_reason(reason, required=False, multiline=False))


@transaction.atomic
def resource_withdraw(*, actor: Actor, resource: Resource | int, reason: str = "") -> Resource:
    return _resource_transition(actor, resource, ResourceStatus.WITHDRAWN, verb="cobuild.resource.withdraw",

        reason=clean_reason(reason, required=False, multiline=False))


RESOURCE_ACTIONS = {"offer": resource_offer, "pause": resource_pause, "withdraw": resource_withdraw}


# --- projects: re-exported from the projects part -----------------------------------------------

__all__ = [
    "PROJECT_ACTIONS", "project_agree", "project_cancel", "project_complete", "project_create", "project_rate", "project_snapshot",
    "project_start",
]
