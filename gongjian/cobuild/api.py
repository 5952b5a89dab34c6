"""API of the co-building module, mounted at /api/v1/cobuild/. Same selectors and services as the pages.

Records outside the caller's scope answer 404; forbidden status changes 409 (``invalid_transition``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gongjian.core.apikit import Actions, Page, ReasonIn, StatusQuery, act, listing
from gongjian.core.listcache import shared_list

from . import permissions as perms
from . import selectors, services
from .models import Need, Resource

router = Router(tags=["cobuild"])


class NeedOut(Schema):
    id: int
    title: str
    description: str
    category_id: int | None
    category_name: str
    community_id: int
    community_name: str
    grid_id: int | None
    address: str
    lat: float | None
    lng: float | None
    quantity: float | None
    quantity_unit: str
    wanted_from: dt.date | None
    wanted_to: dt.date | None
    urgency: str
    source: str
    status: str
    review_note: str


class NeedPage(Page):
    items: list[NeedOut]


class NeedIn(Schema):
    title: str
    community_id: int
    description: str = ""
    category_id: int | None = None
    grid_id: int | None = None
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    quantity: float | None = None
    quantity_unit: str = ""
    wanted_from: dt.date | None = None
    wanted_to: dt.date | None = None
    urgency: str = "normal"
    source: str = "staff"


class NeedPatch(Schema):
    title: str | None = None
    description: str | None = None
    category_id: int | None = None
    grid_id: int | None = None
    address: str | None = None
    lat: float | None = None
    lng: float | None = None
    quantity: float | None = None
    quantity_unit: str | None = None
    wanted_from: dt.date | None = None
    wanted_to: dt.date | None = None
    urgency: str | None = None


class ResourceOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    title: str
    description: str
    category_id: int | None
    category_name: str
    kind: str
    capacity: float | None
    capacity_unit: str
    remaining: float | None
    radius_km: float | None
    service_region_ids: list[int]
    available_from: dt.date | None
    available_to: dt.date | None
    status: str


class ResourcePage(Page):
    items: list[ResourceOut]


class ResourceIn(Schema):
    unit_id: int
    title: str
    kind: str
    description: str = ""
    category_id: int | None = None
    capacity: float | None = None
    capacity_unit: str = ""
    radius_km: float | None = None
    service_region_ids: list[int] = []
    available_from: dt.date | None = None
    available_to: dt.date | None = None


class ResourcePatch(Schema):
    title: str | None = None
    kind: str | None = None
    description: str | None = None
    category_id: int | None = None
    capacity: float | None = None
    capacity_unit: str | None = None
    radius_km: float | None = None
    service_region_ids: list[int] | None = None
    available_from: dt.date | None = None
    available_to: dt.date | None = None


def _f(value: Any) -> float | None:
    return float(value) if value is not None else None


def need_out(n: Need) -> dict[str, Any]:
    return {
        "id": n.pk, "title": n.title, "description": n.description, "category_id": n.category_id,
        "category_name": n.category.name if n.category else "", "community_id": n.community_id, "community_name": n.community.name,
        "grid_id": n.grid_id, "address": n.address, "lat": _f(n.lat), "lng": _f(n.lng), "quantity": _f(n.quantity),
        "quantity_unit": n.quantity_unit, "wanted_from": n.wanted_from, "wanted_to": n.wanted_to, "urgency": n.urgency,
        "source": n.source, "status": n.status, "review_note": n.review_note,
    }


def resource_out(r: Resource) -> dict[str, Any]:
    return {
        "id": r.pk, "unit_id": r.unit_id, "unit_name": r.unit.name, "title": r.title, "description": r.description,
        "category_id": r.category_id, "category_name": r.category.name if r.category else "", "kind": r.kind,
        "capacity": _f(r.capacity), "capacity_unit": r.capacity_unit, "remaining": _f(r.remaining), "radius_km": _f(r.radius_km),
        "service_region_ids": sorted(x.pk for x in r.service_regions.all()), "available_from": r.available_from,
        "available_to": r.available_to, "status": r.status,
    }


def _fields(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if f"{key}_id" in data:
            data[key] = data.pop(f"{key}_id")
    if "service_region_ids" in data:
        data["service_regions"] = data.pop("service_region_ids")
    return data


def _need(request: HttpRequest, need_id: int) -> dict[str, Any]:
    """The need as the caller sees it now (404 outside the scope)."""
    return need_out(selectors.need_get(actor=request.user, id=need_id))


def _resource(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    """The resource as the caller sees it now (404 outside the scope)."""
    return resource_out(selectors.resource_get(actor=request.user, id=resource_id))


def _on_need(request: HttpRequest, need_id: int, call: Callable[[Need], Any]) -> dict[str, Any]:
    """An action on a need the caller may manage (404 outside the scope), answered with the need as it is now."""
    return act(lambda: selectors.need_get(actor=request.user, id=need_id, action=perms.NEED_MANAGE), call, lambda n: _need(request, n.pk))


def _on_resource(request: HttpRequest, resource_id: int, call: Callable[[Resource], Any]) -> dict[str, Any]:
    """An action on a resource the caller may manage (404 outside the scope), answered with the resource as it is now."""
    return act(lambda: selectors.resource_get(actor=request.user, id=resource_id, action=perms.RESOURCE_MANAGE), call,
               lambda r: _resource(request, r.pk))


# --- needs -----------------------------------------------------------------------------------


class NeedFilters(StatusQuery):
    category: str = ""
    community: int | None = None
    urgency: str = ""
    source: str = ""


@router.get("/needs", response=NeedPage, summary="Needs in the caller's scope")
@shared_list
def needs(request: HttpRequest, filters: Query[NeedFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.need_list(actor=request.user, filters=f), out=need_out,
                   permission=perms.NEED_VIEW)


@router.get("/needs/{need_id}", response=NeedOut, summary="One need; 404 outside the caller's scope")
def need(request: HttpRequest, need_id: int) -> dict[str, Any]:
    return _need(request, need_id)


@router.post("/needs", response={201: NeedOut}, summary="Create a need (a draft)")
def need_create(request: HttpRequest, payload: NeedIn) -> tuple[int, dict[str, Any]]:
    return 201, _need(request, services.need_create(actor=request.user, **_fields(payload.dict(), "community", "category", "grid")).pk)


@router.patch("/needs/{need_id}", response=NeedOut, summary="Change a need (draft or published)")
def need_update(request: HttpRequest, need_id: int, payload: NeedPatch) -> dict[str, Any]:
    return _on_need(request, need_id, lambda n: services.need_update(
        actor=request.user, need=n, **_fields(payload.dict(exclude_unset=True), "category", "grid")))


need_action = Actions(router, "/needs/{need_id}", response=NeedOut, record="need", module=__name__,
                      load=lambda request, pk: selectors.need_get(actor=request.user, id=pk, action=perms.NEED_MANAGE),
                      out=lambda request, n: _need(request, n.pk))
need_action("publish", services.need_publish, "Publish a draft need or a reviewed micro-wish")
need_action("withdraw", services.need_withdraw, "Withdraw a need", ReasonIn)


# --- resources -------------------------------------------------------------------------------


class ResourceFilters(StatusQuery):
    category: str = ""
    kind: str = ""
    unit: int | None = None


@router.get("/resources", response=ResourcePage, summary="Resources in the caller's scope")
@shared_list
def resources(request: HttpRequest, filters: Query[ResourceFilters]) -> dict[str, Any]:
    return listing(request, filters, lambda f: selectors.resource_list(actor=request.user, filters=f).prefetch_related("service_regions"),
                   out=resource_out, permission=perms.RESOURCE_VIEW)


@router.get("/resources/{resource_id}", response=ResourceOut, summary="One resource; 404 outside the caller's scope")
def resource(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    return _resource(request, resource_id)


@router.post("/resources", response={201: ResourceOut}, summary="Create a resource (a draft)")
def resource_create(request: HttpRequest, payload: ResourceIn) -> tuple[int, dict[str, Any]]:
    return 201, _resource(request, services.resource_create(actor=request.user, **_fields(payload.dict(), "unit", "category")).pk)


@router.patch("/resources/{resource_id}", response=ResourceOut, summary="Change a resource")
def resource_update(request: HttpRequest, resource_id: int, payload: ResourcePatch) -> dict[str, Any]:
    return _on_resource(request, resource_id, lambda r: services.resource_update(
        actor=request.user, resource=r, **_fields(payload.dict(exclude_unset=True), "category")))


resource_action = Actions(router, "/resources/{resource_id}", response=ResourceOut, record="resource", module=__name__,
                          load=lambda request, pk: selectors.resource_get(actor=request.user, id=pk, action=perms.RESOURCE_MANAGE),
                          out=lambda request, r: _resource(request, r.pk))
resource_action("publish", services.resource_offer, "Offer a resource (publish it)")
resource_action("withdraw", services.resource_withdraw, "Withdraw a resource", ReasonIn)


# The parts of the module (projects, matching suggestions, report-in and partnerships) keep their routes in
# their own packages; they are mounted here so every co-building route is under /api/v1/cobuild/.
def _mount_parts() -> None:
    from .partners.api import router as partners_router
    from .projects.api import router as projects_router
    from .suggestions.api import router as suggestions_router

    for part in (projects_router, suggestions_router, partners_router):
        router.add_router("", part)


_mount_parts()
