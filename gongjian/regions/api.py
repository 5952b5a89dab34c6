"""The regions API (mounted at /api/v1/regions/): list/search, get, children, departments,
create and update. Same scopes as the pages; outside the scope answers 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gongjian.core.permissions import require

from . import permissions as P
from . import selectors, services
from .models import Department, Region

router = Router(tags=["regions"])
MAX_PAGE = 200


class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None = None
    full_name: str
    depth: int
    is_active: bool

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent_id and obj.parent else None


class RegionCountsOut(RegionOut):
    child_count: int = 0
    subdistricts: int = 0
    communities: int = 0


class RegionPage(Schema):
    count: int
    items: list[RegionOut]


class ChildrenPage(Schema):
    count: int
    items: list[RegionCountsOut]


class DepartmentOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str
    phone: str
    is_active: bool

    @staticmethod
    def resolve_region_code(obj: Department) -> str:
        return obj.region.code


class DepartmentPage(Schema):
    count: int
    items: list[DepartmentOut]


class ListParams(Schema):
    q: str = ""
    level: str = ""
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0)


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE)
    offset: int = Field(0, ge=0)


class RegionIn(Schema):
    code: str
    name: str
    level: str
    parent_code: str | None = None
    kind: str = ""


class RegionPatch(Schema):
    name: str | None = None
    kind: str | None = None
    code: str | None = None
    parent_code: str | None = None


def _actor(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


def _page(qs: Any, limit: int, offset: int) -> tuple[int, list[Any]]:
    return qs.count(), list(qs[offset : offset + limit])


@router.get("/", response=RegionPage, summary="Regions in scope; with q, searched by name or code (best match first)")
def region_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    require(_actor(request), P.VIEW)
    if params.q.strip():
        qs = selectors.region_search(actor=_actor(request), q=params.q, level=params.level)
    else:
        qs = selectors.regions_visible(actor=_actor(request)).select_related("parent").order_by("path")
        if params.level:
            qs = qs.filter(level=params.level)
    count, items = _page(qs, params.limit, params.offset)
    return {"count": count, "items": items}


@router.get("/{code}", response=RegionOut, summary="One region by statistical code")
def region_detail(request: HttpRequest, code: str) -> Region:
    require(_actor(request), P.VIEW)
    return selectors.region_get(actor=_actor(request), code=code)


@router.get("/{code}/children", response=ChildrenPage, summary="Sub-regions with counts")
def region_children(request: HttpRequest, code: str, params: Query[PageParams]) -> dict[str, Any]:
    require(_actor(request), P.VIEW)
    region = selectors.region_get(actor=_actor(request), code=code)
    count, children = _page(selectors.region_children(actor=_actor(request), region=region).select_related("parent"), params.limit, params.offset)
    rows = selectors.child_rows(region=region, children=children)
    items = []
    for row in rows:
        r = row.region
        r.subdistricts, r.communities = row.subdistricts, row.communities  # type: ignore[attr-defined]
        items.append(r)
    return {"count": count, "items": items}


@router.get("/{code}/departments", response=DepartmentPage, summary="Departments in the region's subtree")
def region_departments(request: HttpRequest, code: str, params: Query[PageParams]) -> dict[str, Any]:
    require(_actor(request), P.VIEW)
    region = selectors.region_get(actor=_actor(request), code=code)
    count, items = _page(selectors.department_list(actor=_actor(request), region=region, active="all"), params.limit, params.offset)
    return {"count": count, "items": items}


@router.post("/", response={201: RegionOut}, summary="Create a region under a parent in scope")
def region_create(request: HttpRequest, payload: RegionIn) -> tuple[int, Region]:
    require(_actor(request), P.MANAGE)
    parent = selectors.region_get(actor=_actor(request), code=payload.parent_code, action=P.MANAGE) if payload.parent_code else None
    region = services.region_create(
        actor=_actor(request), code=payload.code, name=payload.name, level=payload.level, parent=parent, kind=payload.kind
    )
    return 201, selectors.region_get(actor=_actor(request), pk=region.pk)


@router.patch("/{code}", response=RegionOut, summary="Rename, re-kind, re-code or move a region")
def region_update(request: HttpRequest, code: str, payload: RegionPatch) -> Region:
    require(_actor(request), P.MANAGE)
    region = selectors.region_get(actor=_actor(request), code=code, action=P.MANAGE)
    parent = selectors.region_get(actor=_actor(request), code=payload.parent_code, action=P.MANAGE) if payload.parent_code else None
    region = services.region_update(actor=_actor(request), region=region, name=payload.name, kind=payload.kind, code=payload.code, parent=parent)
    return selectors.region_get(actor=_actor(request), pk=region.pk)
