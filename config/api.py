"""The API: django-ninja under /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Each app's manifest names its Router (``api="gongjian.<app>.api:router"``), mounted under its ``api_prefix``. Every error answers one shape,
``{"code", "message", "details"}``, with messages from the core catalog (Chinese by default):
401 unauthenticated, 403 forbidden, 404 not found (also outside the actor's scope), 409 conflict,
422 invalid request, 500 server error.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from gongjian.accounts.api import BearerAuth
from gongjian.core import listcache, registry
from gongjian.core.errors import DomainError, NotFound, PermissionDenied, RequestInvalid, ServerError, Unauthenticated

logger = logging.getLogger("gongjian.api")

def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StrictParser(Parser):
    """JSON bodies with a NUL character are refused: PostgreSQL cannot store or compare them."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        if _has_nul(data):
            raise RequestInvalid(details={"request": [str(RequestInvalid.default_message)]})
        return data


api = NinjaAPI(
    parser=StrictParser(),
    title="Gongjian 共建 API",
    version="1",
    description="党建引领城市基层治理平台 API. Authenticate with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`.",
    auth=BearerAuth(),
    urls_namespace="api",
)


def error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        details.setdefault(".".join(loc) or "request", []).append(str(err.get("msg", "")))
    return error_response(request, RequestInvalid(details=details))


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, Unauthenticated())


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, NotFound())


@api.exception_handler(DjangoPermissionDenied)
def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return error_response(request, PermissionDenied())


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code in (400, 422):  # e.g. "Cannot parse request body": the caller's error, in our words
        return error_response(request, RequestInvalid(details={"request": [str(RequestInvalid.default_message)]}))
    err = DomainError(str(exc), code="http_error")
    err.status = exc.status_code
    return error_response(request, err)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def malformed_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body that cannot be parsed (bad multipart boundary, too many fields, too large) is the caller's error."""
    return error_response(request, RequestInvalid(details={"request": [str(RequestInvalid.default_message)]}))


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(request, ServerError())


for _module in registry.api_modules():
    if _module.api:
        api.add_router(_module.api_prefix, registry.resolve(_module.api))

# List endpoints marked core.listcache.shared_list answer from the shared cache when nothing was written since.
listcache.install(api)
