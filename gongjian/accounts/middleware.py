"""Staff roles must pass TOTP when GONGJIAN_REQUIRE_OTP is on (or when they enrolled a device)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from gongjian.core import versions

# Only what an unverified staff member needs to finish signing in; everything else waits for the code.
# The API is checked in accounts.api.BearerAuth (a session there must be verified too).
EXEMPT_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/accounts/otp/", "/static/", "/i18n/", "/api/", "/healthz")


def otp_required(user: object) -> bool:
    from django_otp import user_has_device

    if not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_staff_role", False):
        return False
    return bool(settings.GONGJIAN_REQUIRE_OTP or user_has_device(user))


NO_DEVICE_KEY = "_gj_no_otp_device_until"
NO_DEVICE_RECHECK = 300  # seconds a session trusts "this account has no device" before asking the database again


def remember_no_device(request: HttpRequest, user: object) -> None:
    """At sign-in: when the site does not require devices and this staff account has none, the session remembers it
    for ``NO_DEVICE_RECHECK`` seconds, so that its pages do not query the account's devices on every request."""
    if not settings.GONGJIAN_REQUIRE_OTP and getattr(user, "is_staff_role", False) and not otp_required(user):
        request.session[NO_DEVICE_KEY] = time.time() + NO_DEVICE_RECHECK


def required_in_session(request: HttpRequest, user: object) -> bool:
    """``otp_required``, trusting the session's "no device" from ``remember_no_device`` while it holds; once it expires
    the devices are queried again and, still none, it is renewed. A session without it (signed in another way) asks
    every time. Enrolling a device in this session forgets it (``forget_no_device``); a device enrolled elsewhere is
    asked for within ``NO_DEVICE_RECHECK`` seconds."""
    until = request.session.get(NO_DEVICE_KEY) if not settings.GONGJIAN_REQUIRE_OTP else None
    if until is None:
        return otp_required(user)
    if until > time.time():
        return False
    required = otp_required(user)
    if required:
        forget_no_device(request)
    else:
        request.session[NO_DEVICE_KEY] = time.time() + NO_DEVICE_RECHECK
    return required


def forget_no_device(request: HttpRequest) -> None:
    request.session.pop(NO_DEVICE_KEY, None)


REQUIRED_ATTR = "_gj_otp_required"


def _required(request: HttpRequest, user: object) -> bool:
    """``required_in_session``, its answer kept on the request for the pages that show it (``known_enrolled``)."""
    required = required_in_session(request, user)
    setattr(request, REQUIRED_ATTR, required)
    return required


def known_enrolled(request: HttpRequest, user: Any) -> bool | None:
    """Whether the account has a confirmed device, as far as this request's check already learnt without a query:
    a verified session has one; an unverified staff session passed the check only because the account had none (or its
    session remembers none, decision 0012 §5, the same answer every page of the session trusts). None: not known."""
    if getattr(user, "otp_device", None) is not None:
        return True
    if getattr(request, REQUIRED_ATTR, None) is False and getattr(user, "is_staff_role", False):
        return False
    return None


class OTPRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            getattr(user, "is_authenticated", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and _required(request, user)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            from urllib.parse import urlencode

            from django.urls import reverse

            return redirect(reverse("accounts:otp") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


# --- the account of a request, kept by version ----------------------------------------------------------------------

ACCOUNT_TTL = 300  # seconds at most, for a change of the account that bypasses the services (a shell, a migration)


def _kept_account(request: HttpRequest) -> Any:
    """The signed-in account from the shared cache, when it was kept at the current version of accounts and the
    session's hash still matches it (a changed password ends the session as Django's own check does); else None."""
    session = request.session
    user_id, backend, session_hash = session.get(SESSION_KEY), session.get(BACKEND_SESSION_KEY), session.get(HASH_SESSION_KEY)
    if user_id is None or backend not in settings.AUTHENTICATION_BACKENDS or not session_hash:
        return None
    key, vkey = f"account:{user_id}", versions.version_key("accounts")
    found = cache.get_many([key, vkey])
    stored = found.get(key)
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == (found.get(vkey) or 0)):
        return None
    user = stored[1]
    if not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user


def request_account(request: HttpRequest) -> Any:
    """``request.user``: the account kept by ``_kept_account``, or Django's (which verifies and, when it fails,
    flushes the session), then kept beside the version of accounts read before — every audited write of an account
    (its password, deactivation, roles, profile) moves that version."""
    if not hasattr(request, "_cached_user"):
        user = _kept_account(request)
        if user is None:
            at = cache.get(versions.version_key("accounts")) or 0
            user = auth.get_user(request)
            if user.is_authenticated:
                cache.set(f"account:{user.pk}", (at, user), ACCOUNT_TTL)
        request._cached_user = user  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with the account read from the shared cache while nothing changed it: one query less per request."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: request_account(request))  # type: ignore[assignment]
