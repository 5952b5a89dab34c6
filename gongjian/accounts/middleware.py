"""Staff roles must pass TOTP when GONGJIAN_REQUIRE_OTP is on (or when they enrolled a device)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

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


class OTPRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            getattr(user, "is_authenticated", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and required_in_session(request, user)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            from urllib.parse import urlencode

            from django.urls import reverse

            return redirect(reverse("accounts:otp") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
