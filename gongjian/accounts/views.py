from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongjian.core import audit, pages
from gongjian.core.errors import NotFound, ValidationError
from gongjian.core.listcache import shared_list
from gongjian.core.pagination import paginate, querystring_without
from gongjian.core.permissions import can, require
from gongjian.core.tabular import export_response

from . import permissions as perms
from . import selectors, services
from .choices import Role
from .forms import AccountCreateForm, GrantForm, PasswordChangeForm, PasswordResetForm, ProfileForm
from .middleware import forget_no_device, known_enrolled, otp_required, remember_no_device


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit.record(actor=user, verb="account.login", target=user)
        remember_no_device(self.request, user)
        if getattr(user, "preferred_language", ""):
            _set_language_cookie(response, user.preferred_language)
        return response


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax", secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


class LogoutView(auth_views.LogoutView):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def otp(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device (first time) or verify a code (every sign-in)."""
    user = request.user
    if not getattr(user, "is_staff_role", False):
        raise NotFound()
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
            forget_no_device(request)
            messages.success(request, _("One-time code accepted."))
            nxt = request.GET.get("next") or ""
            if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
                return redirect(nxt)
            return redirect("core:home")
        error = _("The code is wrong or expired; enter the 6 digits your authenticator shows now.")
    qr = ""
    if pending is not None:
        img = qrcode.make(pending.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buf = io.BytesIO()
        img.save(buf)
        qr = "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()
        secret = base64.b32encode(pending.bin_key).decode().rstrip("=")
    else:
        secret = ""
    return render(
        request,
        "accounts/otp.html",
        {"enrolling": pending is not None, "qr": qr, "secret": secret, "error": error, "required": otp_required(user),
         "mandatory": settings.GONGJIAN_REQUIRE_OTP, "may_enrol": getattr(user, "is_staff_role", False)},
        status=400 if error else 200,
    )


# --- the account's own pages -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ProfileForm(request.POST or None, initial={"display_name": user.display_name, "preferred_language": user.preferred_language})
    response = pages.form_page(
        request,
        form,
        save=lambda d: services.profile_update(actor=user, **d),
        success="accounts:profile",
        message=_("Your profile was saved."),
        template="accounts/profile.html",
        context=_profile_context(request, password_form=PasswordChangeForm()),
    )
    if response.status_code == 302 and form.cleaned_data["preferred_language"]:
        _set_language_cookie(response, form.cleaned_data["preferred_language"])
    return response


def _profile_context(request: HttpRequest, *, password_form: Any) -> dict[str, Any]:
    """The account's own page: its roles and places from the scope rows the request already read, its device from what
    the sign-in check already learnt (asked only when it learnt nothing, and only for staff, who may enrol), its tokens."""
    user = request.user
    return {
        "password_form": password_form,
        "scopes": selectors.own_places(actor=user),
        "tokens": selectors.own_tokens(actor=user)[:50],
        "otp_enrolled": pages.lazy(lambda: _otp_enrolled(request, user)),
        "may_enrol": getattr(user, "is_staff_role", False),
        "now": timezone.now(),
    }


def _otp_enrolled(request: HttpRequest, user: Any) -> bool:
    known = known_enrolled(request, user)
    if known is not None:
        return known
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@login_required
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PasswordChangeForm(request.POST)

    def changed(account: Any) -> str:
        update_session_auth_hash(request, account)  # this session stays signed in; the account's others end
        return "accounts:profile"

    profile_form = ProfileForm(initial={"display_name": user.display_name, "preferred_language": user.preferred_language})
    return pages.form_page(request, form, save=lambda d: services.password_change(actor=user, **d), success=changed,
                           message=_("Your password was changed."), template="accounts/profile.html",
                           form_name="password_form", context=lambda: {"form": profile_form, **_profile_context(request, password_form=form)})


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, _("The API token was revoked."))
    return redirect("accounts:profile")


# --- account management for administrators -----------------------------------------------------------


ACCOUNT_FILTER_KEYS = ("q", "role", "status")


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in ACCOUNT_FILTER_KEYS}


@login_required
@shared_list
def account_list(request: HttpRequest) -> HttpResponse:
    require(request.user, perms.ACCOUNT_VIEW)
    filters = _filters(request)

    def page() -> Any:  # counted and read only when the table is drawn: not for a body kept by core.listcache
        p = paginate(request, selectors.account_list(actor=request.user, filters=filters))
        rows: list[Any] = list(p.object_list)
        locked = selectors.locked_usernames([u.username for u in rows])
        for u in rows:
            u.is_locked = u.username in locked
        p.object_list = rows
        return p

    return render(request, "accounts/account_list.html", {
        "page": pages.lazy(page), "filters": filters, "qs": querystring_without(request, "page"),
        "role_choices": Role.choices,
        "status_choices": [("active", _("Active")), ("inactive", _("Deactivated")), ("locked", _("Locked"))],
        "export_qs": querystring_without(request, "page", "size"),
        "can_create": can(request.user, perms.ACCOUNT_CREATE),
    })


@login_required
def account_export(request: HttpRequest) -> HttpResponse:
    require(request.user, perms.ACCOUNT_EXPORT)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    qs = selectors.account_list(actor=request.user, filters=_filters(request))
    users: list[Any] = list(qs[:50000])
    locked = selectors.locked_usernames([u.username for u in users])
    headers = [_("Username"), _("Display name"), _("E-mail"), _("Roles and places"), _("Status"), _("Last sign-in"), _("Created")]
    tz = timezone.get_current_timezone()

    def status(u: Any) -> str:
        if not u.is_active:
            return str(_("Deactivated"))
        return str(_("Locked")) if u.username in locked else str(_("Active"))

    rows = [
        [u.username, u.display_name, u.email, "；".join(f"{s.get_role_display()}·{s.region or s.unit or s.department}" for s in u.active_scopes),
         status(u), u.last_login.astimezone(tz).strftime("%Y-%m-%d %H:%M") if u.last_login else "",
         u.date_joined.astimezone(tz).strftime("%Y-%m-%d %H:%M")]
        for u in users
    ]
    audit.record(actor=request.user, verb="account.export", target=("accounts.user", ""), changes={"rows": len(rows), "format": fmt})
    return export_response(headers, rows, basename="accounts", fmt=fmt)


@login_required
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    require(request.user, perms.ACCOUNT_CREATE)
    form = AccountCreateForm(request.POST or None, actor=request.user)
    return pages.form_page(
        request, form, template="accounts/account_form.html",
        save=lambda d: services.account_create(actor=request.user, username=d["username"], display_name=d["display_name"],
                                               email=d["email"], password=d["password"] or None, **form.scope_kwargs()),
        success=lambda made: _show_password_once(request, made[0], made[1], _("The account was created.")))


def _show_password_once(request: HttpRequest, user: Any, generated: str | None, message: str) -> HttpResponse:
    messages.success(request, message)
    if not generated:
        return redirect("accounts:account_detail", pk=user.pk)
    response = render(request, "accounts/password_once.html", {"account": user, "password": generated})
    response["Cache-Control"] = "no-store"
    return response


def _detail_context(request: HttpRequest, account: Any, **extra: Any) -> dict[str, Any]:
    scopes: list[Any] = selectors.account_scopes(user=account)
    for s in scopes:
        s.place_label = str(s.region or s.unit or s.department or "")
    ctx = {
        "account": account,
        "scopes": scopes,
        "is_locked": account.username in selectors.locked_usernames([account.username]),
        "otp_enrolled": TOTPDevice.objects.filter(user=account, confirmed=True).exists(),
        "grant_form": GrantForm(actor=request.user),
        "reset_form": PasswordResetForm(),
        "is_self": account.pk == request.user.pk,
    }
    ctx.update(extra)
    return ctx


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, perms.ACCOUNT_VIEW)
    account = selectors.account_get(actor=request.user, id=pk)
    return render(request, "accounts/account_detail.html", _detail_context(request, account))


@login_required
@require_POST
def account_grant(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, perms.ACCOUNT_MANAGE)
    account = selectors.account_get(actor=request.user, id=pk)
    form = GrantForm(request.POST, actor=request.user)

    def save(d: dict[str, Any]) -> Any:
        try:
            return services.scope_grant(actor=request.user, user=account, **form.scope_kwargs())
        except NotFound as exc:  # a place the form offered but the service no longer finds: said on the form
            raise ValidationError(exc.message) from None

    return pages.form_page(
        request,
        form,
        save=save,
        success=reverse("accounts:account_detail", args=[account.pk]),
        message=_("The role was given."),
        template="accounts/account_detail.html",
        context=lambda: _detail_context(request, account, grant_form=form),
    )


@login_required
@require_POST
def scope_revoke(request: HttpRequest, pk: int, scope_id: int) -> HttpResponse:
    require(request.user, perms.ACCOUNT_MANAGE)
    account = selectors.account_get(actor=request.user, id=pk)
    scope = account.scopes.filter(pk=scope_id).first()
    if scope is None:
        raise NotFound()
    return pages.action(request, lambda: services.scope_revoke(actor=request.user, scope=scope),
                        back=reverse("accounts:account_detail", args=[account.pk]), message=_("The role was taken away."))


@login_required
@require_POST
def account_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, perms.ACCOUNT_MANAGE)
    account = selectors.account_get(actor=request.user, id=pk)
    form = PasswordResetForm(request.POST)
    return pages.form_page(
        request, form, save=lambda d: services.password_reset(actor=request.user, user=account, password=d["password"] or None),
        success=lambda generated: _show_password_once(request, account, generated,
                                                      _("The password was reset; the account's API tokens were revoked.")),
        template="accounts/account_detail.html", form_name="reset_form", context=lambda: _detail_context(request, account))


def _account_action(request: HttpRequest, pk: int, do: Callable[[Any], Any], done: str) -> HttpResponse:
    require(request.user, perms.ACCOUNT_MANAGE)
    account = selectors.account_get(actor=request.user, id=pk)
    return pages.action(request, lambda: do(account), back=reverse("accounts:account_detail", args=[account.pk]), message=done)


@login_required
@require_POST
def account_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(request, pk, lambda u: services.account_set_active(actor=request.user, user=u, active=False),
                           _("The account was deactivated. It can no longer sign in; nothing was deleted."))


@login_required
@require_POST
def account_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(request, pk, lambda u: services.account_set_active(actor=request.user, user=u, active=True),
                           _("The account was reactivated."))


@login_required
@require_POST
def account_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(request, pk, lambda u: services.account_unlock(actor=request.user, user=u), _("The account was unlocked."))


@login_required
@require_POST
def account_otp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    return _account_action(request, pk, lambda u: services.otp_device_reset(actor=request.user, user=u),
                           _("Two-step sign-in was reset; the account enrols again at its next sign-in."))
