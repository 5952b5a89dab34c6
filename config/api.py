"""The API: django-ninja under /api/v1/, OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Each app contributes a Router from its ``api.py``. Errors answer ``{"code", "message", "details"}``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from gongjian.accounts.api import BearerAuth
from gongjian.accounts.api import router as auth_router
from gongjian.core.errors import DomainError
from gongjian.orgs.api import router as orgs_router
from gongjian.regions.api import router as regions_router

api = NinjaAPI(
    title="Gongjian 共建 API",
    version="1",
    description="党建引领城市基层治理平台 API. Authenticate with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`.",
    auth=BearerAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        details.setdefault(".".join(loc) or "request", []).append(str(err.get("msg", "")))
    return api.create_response(request, {"code": "invalid", "message": _("The request parameters are not valid."), "details": details}, status=422)


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"code": "unauthenticated", "message": _("Sign in or send a valid token."), "details": {}}, status=401)


api.add_router("/auth", auth_router)
api.add_router("/regions", regions_router)
api.add_router("/orgs", orgs_router)
