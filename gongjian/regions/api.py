"""The regions API (mounted at /api/v1/regions/): list/search, get, children, departments,
create and update. Same scopes as the pages; outside the scope answers 404. Lists follow the one
contract of ``core.apikit``: ``?page=&size=``, answered ``{count, page, size, pages, items}``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gongjian.core.apikit import Page, PageQuery, actor, paginate
from gongjian.core.listcache import shared_list
from gongjian.core.permissions import require

from . import permissions as P
from . import selectors, services
from .models import Department, Region

router = Router(tags=["regions"])


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


class RegionPage(Page):
    items: list[RegionOut]


class ChildrenPage(Page):
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


class DepartmentPage(Page):
    items: list[DepartmentOut]


class ListParams(PageQuery):
    q: str = ""
    level: str = ""


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


def _with_counts(region: Region, page: dict[str, Any]) -> dict[str, Any]:
    """The page's children with how many subdistricts and communities lie below each (one grouped query)."""
    items = []
    for row in selectors.child_rows(region=region, children=page["items"]):
        r = row.region
        r.subdistricts, r.communities = row.subdistricts, row.communities  # type: ignore[attr-defined]
        items.append(r)
    return {**page, "items": items}


@router.get("/", response=RegionPage, summary="Regions in scope; with q, searched by name or code (best match first)")
@shared_list
def region_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    require(actor(request), P.VIEW)
    if params.q.strip():
        qs = selectors.region_search(actor=actor(request), q=params.q, level=params.level)
    else:
        qs = selectors.regions_visible(actor=actor(request)).select_related("parent").order_by("path")
        if params.level:
            qs = qs.filter(level=params.level)
    return paginate(qs, params.page, params.size)


@router.get("/{code}", response=RegionOut, summary="One region by statistical code")
def region_detail(request: HttpRequest, code: str) -> Region:
    require(actor(request), P.VIEW)
    return selectors.region_get(actor=actor(request), code=code)


@router.get("/{code}/children", response=ChildrenPage, summary="Sub-regions with counts")
@shared_list
def region_children(request: HttpRequest, code: str, params: Query[PageQuery]) -> dict[str, Any]:
    require(actor(request), P.VIEW)
    region = selectors.region_get(actor=actor(request), code=code)
    page = paginate(selectors.region_children(actor=actor(request), region=region).select_related("parent"), params.page, params.size)
    return _with_counts(region, page)


@router.get("/{code}/departments", response=DepartmentPage, summary="Departments in the region's subtree")
@shared_list
def region_departments(request: HttpRequest, code: str, params: Query[PageQuery]) -> dict[str, Any]:
    require(actor(request), P.VIEW)
    region = selectors.region_get(actor=actor(request), code=code)
    return paginate(selectors.department_list(actor=actor(request), region=region, active="all"), params.page, params.size)


@router.post("/", response={201: RegionOut}, summary="Create a region under a parent in scope")
def region_create(request: HttpRequest, payload: RegionIn) -> tuple[int, Region]:
    require(actor(request), P.MANAGE)
    parent = selectors.region_get(actor=actor(request), code=payload.parent_code, action=P.MANAGE) if payload.parent_code else None
    region = services.region_create(
        actor=actor(request), code=payload.code, name=payload.name, level=payload.level, parent=parent, kind=payload.kind
    )
    return 201, selectors.region_get(actor=actor(request), pk=region.pk)


@router.patch("/{code}", response=RegionOut, summary="Rename, re-kind, re-code or move a region")
def region_update(request: HttpRequest, code: str, payload: RegionPatch) -> Region:
    require(actor(request), P.MANAGE)
    region = selectors.region_get(actor=actor(request), code=code, action=P.MANAGE)
    parent = selectors.region_get(actor=actor(request), code=payload.parent_code, action=P.MANAGE) if payload.parent_code else None
    region = services.region_update(actor=actor(request), region=region, name=payload.name, kind=payload.kind, code=payload.code, parent=parent)
    return selectors.region_get(actor=actor(request), pk=region.pk)
