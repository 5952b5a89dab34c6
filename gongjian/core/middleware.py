"""Keeps who/where of the current request available to core.audit without passing it around."""

from __future__ import annotations

import contextvars
import ipaddress
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from .errors import RequestInvalid


@dataclass(frozen=True)
class RequestContext:
    ip: str | None
    user_agent: str
    request_id: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("gongjian_request", default=None)


def current_request_context() -> RequestContext | None:
    return _current.get()


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,36}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. Behind ``GONGJIAN_PROXY_COUNT`` trusted proxies (production), the
    address the outermost trusted proxy saw; entries a client wrote itself are ignored."""
    from django.conf import settings

    proxies = int(getattr(settings, "GONGJIAN_PROXY_COUNT", 0) or 0) if getattr(settings, "PRODUCTION", False) else 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded and proxies > 0:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            if _valid_ip(candidate):
                return candidate
    remote = request.META.get("REMOTE_ADDR") or None
    return remote if remote and _valid_ip(remote) else None


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def request_id_for(request: HttpRequest) -> str:
    """A well-formed ``X-Request-ID`` from the proxy is kept (to follow a request across logs); else a new one."""
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if _REQUEST_ID.match(incoming) else str(uuid.uuid4())


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = RequestContext(
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
            request_id=request_id_for(request),
        )
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        token = _current.set(ctx)
        try:
            response = _refuse_nul(request) or self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = ctx.request_id
        return response


def bind_request_context(request: HttpRequest) -> contextvars.Token[RequestContext | None]:
    """For entry points outside the middleware stack (the API's auth)."""
    existing = _current.get()
    request_id = existing.request_id if existing else getattr(request, "request_id", None) or request_id_for(request)
    return _current.set(RequestContext(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:255], request_id=request_id))


class DefaultLanguageMiddleware:
    """Chinese unless the user chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language, so an English-language browser
    would land on the English UI. Gongjian's default is Simplified Chinese: the language is the one the
    user picked with the language switch (the language cookie, also set from the account's saved
    preference at sign-in), else ``settings.LANGUAGE_CODE``. The API still honours Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        if request.path.startswith("/api/"):
            # API clients choose with the cookie or Accept-Language, as HTTP intends.
            chosen = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or ""
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _refuse_nul(request: HttpRequest) -> HttpResponse | None:
    """A NUL character in the query string cannot reach the database (PostgreSQL refuses it with a
    server error): answer as for any malformed request, in the API's error shape under /api/."""
    if "%00" not in request.META.get("QUERY_STRING", ""):
        return None
    if not any("\x00" in v for values in request.GET.lists() for v in values[1]) and not any("\x00" in k for k in request.GET):
        return None
    from django.http import HttpResponseBadRequest, JsonResponse

    if request.path.startswith("/api/"):
        return JsonResponse(RequestInvalid().as_dict(), status=RequestInvalid.status)
    return HttpResponseBadRequest(str(RequestInvalid.default_message), content_type="text/plain; charset=utf-8")
