"""Staff roles must pass TOTP when GONGJIAN_REQUIRE_OTP is on (or when they enrolled a device)."""

from __future__ import annotations

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


class OTPRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            getattr(user, "is_authenticated", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and otp_required(user)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            from urllib.parse import urlencode

            from django.urls import reverse

            return redirect(reverse("accounts:otp") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
