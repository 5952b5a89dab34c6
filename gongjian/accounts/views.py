from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongjian.core import audit

from .middleware import otp_required


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(actor=form.get_user(), verb="account.login", target=form.get_user())
        return response


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device (first time) or verify a code (every sign-in)."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    pending = None
    if device is None:
        pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if pending is None:
            pending = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    target = device or pending
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "").strip()
        if target is not None and code.isdigit() and target.verify_token(code):
            with transaction.atomic():
                if not target.confirmed:
                    target.confirmed = True
                    target.save(update_fields=["confirmed"])
                    audit.record(actor=user, verb="otp.enrol", target=user)
                otp_login(request, target)
            messages.success(request, _("One-time code accepted."))
            return redirect(request.GET.get("next") or "core:home")
        error = _("The code is wrong or expired; enter the 6 digits your authenticator shows now.")
    qr = ""
    if pending is not None:
        import qrcode
        import qrcode.image.svg

        img = qrcode.make(pending.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buf = io.BytesIO()
        img.save(buf)
        qr = "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
    return render(
        request,
        "accounts/otp.html",
        {"enrolling": pending is not None, "qr": qr, "error": error, "required": otp_required(user), "mandatory": settings.GONGJIAN_REQUIRE_OTP},
        status=400 if error else 200,
    )
