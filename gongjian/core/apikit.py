"""The API toolkit: one contract for every list, one reason schema, one way to act on a record.

Every list endpoint takes ``?page=`` (from 1; past the last page answers the last page) and ``?size=``
(default 20, clamped to 1 … ``settings.GONGJIAN_API_MAX_PAGE_SIZE``) and answers
``{"count", "page", "size", "pages", "items": [...]}``. A list's schema is ``class XPage(Page): items: list[XOut]``
and its query schema derives from ``PageQuery``; the handler returns ``paginate(qs, q.page, q.size, out=x_out)``.

Errors need no handling here: a ``DomainError`` raised anywhere answers ``{"code", "message", "details"}``
with its status (``config/api.py``), so a record outside the caller's scope is a 404 like a missing one.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Schema

from .errors import NotFound
from .permissions import can

T = TypeVar("T")
R = TypeVar("R")


def max_page_size() -> int:
    return int(getattr(settings, "GONGJIAN_API_MAX_PAGE_SIZE", 100))


class Page(Schema):
    """The head of every list answer; a list's schema adds ``items``."""

    count: int
    page: int
    size: int
    pages: int


class PageQuery(Schema):
    """The paging parameters of every list; a list's filters derive from it."""

    page: int = 1
    size: int = 20


class TextQuery(PageQuery):
    """A list searched by text."""

    q: str = ""


class StatusQuery(TextQuery):
    """A list searched by text and filtered by status."""

    status: str = ""


class PlaceQuery(StatusQuery):
    """A list of a community's records that a resident unit may take part in (report-ins, partnerships, projects)."""

    community: int | None = None
    unit: int | None = None


class ReasonIn(Schema):
    """The body of an action that takes a reason (reject, send back, cancel, end); the service decides if it is required."""

    reason: str = ""


def paginate(qs: Any, page: int, size: int, *, out: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """One page of ``qs`` in the list contract; ``out`` turns each record into its output shape."""
    size = max(1, min(int(size), max_page_size()))
    p = Paginator(qs, size).get_page(page)
    rows = list(p.object_list)
    return {"count": p.paginator.count, "page": p.number, "size": size, "pages": p.paginator.num_pages,
            "items": [out(r) for r in rows] if out else rows}


def listing(request: HttpRequest, query: PageQuery, rows: Callable[[dict[str, Any]], Any], *, out: Callable[[Any], Any],
            permission: str | None = None, keep_blank: bool = False) -> dict[str, Any]:
    """A list endpoint: the caller's role may list (else 404, like a record outside the scope), the query's filters
    (without page and size; blank ones dropped unless ``keep_blank``) go to ``rows``, one page of it answers."""
    if permission is not None and not can(request.user, permission):
        raise NotFound()
    f = {k: v for k, v in query.dict(exclude={"page", "size"}).items() if keep_blank or v not in (None, "")}
    return paginate(rows(f), query.page, query.size, out=out)


def actor(request: HttpRequest) -> Any:
    """The caller: the account of the bearer token or of the session (set by the API's authentication)."""
    return getattr(request, "auth", None) or request.user


def act(load: Callable[[], T], call: Callable[[T], Any], out: Callable[[T], R]) -> R:
    """An action endpoint: load the record in the caller's scope (404 outside it), call the service on it,
    answer the record as it is now. Domain errors propagate to the API's one error shape."""
    record = load()
    call(record)
    return out(record)


class Actions:
    """The action endpoints of one kind of record, declared one line each.

    ``Actions(router, "/reports/{report_id}", response=ReportOut, record="report", load=…, out=…, module=__name__)``
    then ``actions("solve", services.report_solve, "The community solved it", SolveIn)`` answers
    ``POST /reports/{report_id}/solve``: ``load(request, id)`` finds the record in the caller's scope (404 outside it),
    the service is called with ``actor=``, the record as ``report=`` and the body's fields as keywords, and
    ``out(request, record)`` answers the record as it is now. The endpoint keeps the name ``<record>_<verb>``
    (its OpenAPI operation id, with ``module``, is what a hand-written function of that name had).
    """

    def __init__(self, router: Any, path: str, *, response: Any, record: str, load: Callable[[HttpRequest, int], Any],
                 out: Callable[[HttpRequest, Any], Any], module: str) -> None:
        match = re.search(r"\{(\w+)\}", path)
        if match is None:
            raise ValueError(f"{path!r} names no record id")
        self.router, self.path, self.response, self.record, self.load, self.out, self.module = (
            router, path, response, record, load, out, module)
        self.param = match.group(1)

    def __call__(self, verb: str, service: Callable[..., Any], summary: str, payload: type[Schema] | None = None, *,
                 name: str | None = None) -> Callable[..., Any]:
        def endpoint(request: HttpRequest, **kwargs: Any) -> Any:
            body = kwargs.get("payload")
            fields = body.dict() if body is not None else {}
            return act(lambda: self.load(request, kwargs[self.param]),
                       lambda record: service(actor=request.user, **{self.record: record}, **fields),
                       lambda record: self.out(request, record))

        params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest),
                  inspect.Parameter(self.param, inspect.Parameter.KEYWORD_ONLY, annotation=int)]
        if payload is not None:
            params.append(inspect.Parameter("payload", inspect.Parameter.KEYWORD_ONLY, annotation=payload))
        endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        endpoint.__name__ = endpoint.__qualname__ = name or f"{self.record}_{verb.replace('-', '_')}"
        endpoint.__module__ = self.module
        return self.router.post(f"{self.path}/{verb}", response=self.response, summary=summary)(endpoint)
