from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from gongjian.core.middleware import bind_request_context
from gongjian.core.scope import actor_scopes

from . import services
from .middleware import required_in_session
from .models import ApiToken


class BearerAuth(HttpBearer):
    """API tokens from POST /api/v1/auth/token; a signed-in browser session also works."""

    def __call__(self, request: HttpRequest) -> Any:
        bind_request_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
            if required_in_session(request, user) and not user.is_verified():
                return None  # a staff session that has not passed its one-time code yet
            if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request):
                return None  # a browser session writing through the API must send the CSRF token
            return user
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        if row is None or not row.is_valid or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth token type, not a secret
    expires_at: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    scopes: list[dict[str, Any]]


@router.post("/token", auth=None, response=TokenOut, summary="Exchange username and password for a bearer token")
def token(request: HttpRequest, payload: TokenIn) -> dict[str, Any]:
    bind_request_context(request)
    try:
        row, raw = services.token_issue(request=request, username=payload.username, password=payload.password)
    except services.LockedOut:
        # Answer in the API's own error shape; otherwise AxesMiddleware swaps in its HTML lock-out page.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        raise
    return {"token": raw, "token_type": "bearer", "expires_at": row.expires_at.isoformat()}


@router.get("/me", response=MeOut, summary="The account behind the token and its scopes")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    scopes = actor_scopes(user)
    return {
        "username": user.username,
        "display_name": getattr(user, "display_name", ""),
        "roles": sorted({s.role for s in scopes}),
        "scopes": [
            {"role": s.role, "kind": s.kind, "region_path": s.region_path, "unit_id": s.unit_id, "department_id": s.department_id}
            for s in scopes
        ],
    }
