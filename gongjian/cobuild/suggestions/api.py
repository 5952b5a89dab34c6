"""API of the suggestions part, mounted under /api/v1/cobuild/: suggestions of a need, accept, reject, undo a rejection,
the matching board. Scoped like the pages: a need outside the caller's reach is 404; a capacity taken meanwhile 409
``capacity_exhausted``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gongjian.core.apikit import Page, PageQuery, paginate
from gongjian.core.errors import NotFound
from gongjian.core.listcache import shared_list

from . import selectors, services
from .views import project_url

router = Router(tags=["cobuild"])


class SuggestionOut(Schema):
    rank: int
    resource_id: int
    resource_title: str
    unit_id: int
    unit_name: str
    score: float
    reasons: list[str]
    components: dict[str, float]
    remaining: float | None
    capacity_unit: str
    default_amount: float | None


class RejectionOut(Schema):
    resource_id: int
    resource_title: str
    reason: str
    decided_by: str
    decided_at: str


class SuggestionsOut(Schema):
    need_id: int
    need_status: str
    suggestable: bool
    items: list[SuggestionOut]
    rejected: list[RejectionOut]


class AcceptIn(Schema):
    amount: str | float | None = None
    title: str = ""
    plan: str = ""


class RejectIn(Schema):
    reason: str = ""


class DecisionOut(Schema):
    need_id: int
    resource_id: int
    verdict: str
    reason: str
    score: float | None
    project_id: int | None
    project_url: str


class BoardFilters(PageQuery):
    region: int | None = None


class BoardRowOut(Schema):
    need_id: int
    need_title: str
    community_id: int
    community_name: str
    proposal: SuggestionOut | None


class BoardOut(Page):
    region_id: int
    region_name: str
    proposed: int
    items: list[BoardRowOut]


def suggestion_out(row: selectors.SuggestionRow) -> dict[str, Any]:
    r = row.resource
    return {
        "rank": row.rank, "resource_id": r.pk, "resource_title": r.title, "unit_id": r.unit_id, "unit_name": r.unit.name,
        "score": row.score, "reasons": list(row.reasons), "components": row.components,
        "remaining": float(r.remaining) if r.remaining is not None else None, "capacity_unit": r.capacity_unit,
        "default_amount": float(row.default_amount) if row.default_amount is not None else None,
    }


def decision_out(d: Any) -> dict[str, Any]:
    return {"need_id": d.need_id, "resource_id": d.resource_id, "verdict": d.verdict, "reason": d.reason, "score": d.score,
            "project_id": d.project_id, "project_url": project_url(d.project_id)}


@router.get("/needs/{need_id}/suggestions", response=SuggestionsOut, summary="Top suggestions (k ≤ 20) for a need, with reasons")
def need_suggestions(request: HttpRequest, need_id: int, k: int = selectors.TOP_K) -> dict[str, Any]:
    n = selectors.need_for_matching(actor=request.user, id=need_id)
    k = selectors.validate_k(k)
    rows = selectors.suggestions_for_need(actor=request.user, need=n, k=k)
    rejected = selectors.rejected_for_need(actor=request.user, need=n)
    return {
        "need_id": n.pk, "need_status": n.status, "suggestable": selectors.is_suggestable(n), "items": [suggestion_out(r) for r in rows],
        "rejected": [{"resource_id": d.resource_id, "resource_title": d.resource.title, "reason": d.reason,
                      "decided_by": str(d.decided_by or ""), "decided_at": d.updated_at.isoformat()} for d in rejected],
    }


@router.post("/needs/{need_id}/suggestions/{resource_id}/accept", response={201: DecisionOut},
             summary="Accept a suggestion: a project committing `amount` of the resource's capacity (omitted: the suggestion's default)")
def suggestion_accept(request: HttpRequest, need_id: int, resource_id: int, payload: AcceptIn) -> tuple[int, dict[str, Any]]:
    n = selectors.need_for_matching(actor=request.user, id=need_id)
    d = services.match_accept(actor=request.user, need=n, resource=resource_id, amount=payload.amount, title=payload.title,
                              plan=payload.plan)
    return 201, decision_out(d)


@router.post("/needs/{need_id}/suggestions/{resource_id}/reject", response={201: DecisionOut},
             summary="Reject a suggestion (reason required); never suggested again for this need")
def suggestion_reject(request: HttpRequest, need_id: int, resource_id: int, payload: RejectIn) -> tuple[int, dict[str, Any]]:
    n = selectors.need_for_matching(actor=request.user, id=need_id)
    return 201, decision_out(services.match_reject(actor=request.user, need=n, resource=resource_id, reason=payload.reason))


@router.delete("/needs/{need_id}/suggestions/{resource_id}/reject", response={204: None}, summary="Undo a rejection")
def suggestion_unreject(request: HttpRequest, need_id: int, resource_id: int) -> tuple[int, None]:
    n = selectors.need_for_matching(actor=request.user, id=need_id)
    services.match_unreject(actor=request.user, need=n, resource=resource_id)
    return 204, None


def board_row_out(r: Any) -> dict[str, Any]:
    return {"need_id": r.need.pk, "need_title": r.need.title, "community_id": r.need.community_id, "community_name": r.need.community.name,
            "proposal": suggestion_out(r.proposal) if r.proposal else None}


@router.get("/matching/board", response=BoardOut, summary="Published needs of a subdistrict or district with the global assignment")
@shared_list
def matching_board(request: HttpRequest, filters: Query[BoardFilters]) -> dict[str, Any]:
    region = selectors.board_region(actor=request.user, region=filters.region)
    if region is None:  # pragma: no cover - board_region raises
        raise NotFound()
    rows = selectors.board(actor=request.user, region=region)
    return {"region_id": region.pk, "region_name": region.name, "proposed": rows.proposed,
            **paginate(rows, filters.page, filters.size, out=board_row_out)}
