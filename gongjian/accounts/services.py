"""Accounts: creating accounts, granting and revoking scopes, API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit
from gongjian.core.errors import DomainError, PermissionDenied, ValidationError
from gongjian.core.scope import forget_scopes

from .choices import ROLE_REGION_LEVEL, Role, ScopeKind
from .models import ApiToken, Scope, User

DEMO_PASSWORD_MARKER = "Demo-"  # noqa: S105 - prefix that marks demo passwords, refused in production


class AuthenticationFailed(DomainError):
    code = "unauthenticated"
    status = 401
    default_message = _("The username or password is wrong.")


class LockedOut(DomainError):
    code = "locked_out"
    status = 403
    default_message = _("Too many failed sign-ins; this account is locked for a while. Try again later or ask an administrator.")


def _check_password(password: str, user: User | None = None) -> None:
    if getattr(settings, "PRODUCTION", False) and password.startswith(DEMO_PASSWORD_MARKER):
        raise ValidationError.for_field("password", _("Demo passwords are refused in production mode."))
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError(details={"password": list(exc.messages)}, message=exc.messages[0]) from None


@transaction.atomic
def user_create(*, actor: Any, username: str, password: str, display_name: str = "", email: str = "", validate: bool = True) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError.for_field("username", _("The username is required."))
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError.for_field("username", _("This username is already taken."))
    if validate:
        _check_password(password)
    elif getattr(settings, "PRODUCTION", False) and password.startswith(DEMO_PASSWORD_MARKER):
        raise ValidationError.for_field("password", _("Demo passwords are refused in production mode."))
    user = User(username=username, display_name=display_name.strip(), email=email.strip())
    user.set_password(password)
    user.save()
    audit.record(actor=actor, verb="account.create", target=user, changes={"username": username})
    return user


@transaction.atomic
def scope_grant(*, actor: Any, user: User, role: str, region: Any = None, unit: Any = None, department: Any = None) -> Scope:
    """Give an account a role in a place. The role decides which kind of place it needs."""
    if role not in Role.values:
        raise ValidationError.for_field("role", _("Unknown role."))
    if role in ROLE_REGION_LEVEL:
        if region is None or region.level != ROLE_REGION_LEVEL[role]:
            raise ValidationError.for_field("region", _("This role needs a region of the matching level."))
        kind = ScopeKind.REGION
    elif role == Role.UNIT_LIAISON:
        if unit is None:
            raise ValidationError.for_field("unit", _("A unit liaison needs a unit."))
        kind = ScopeKind.UNIT
    elif role == Role.DEPARTMENT_HANDLER:
        if department is None:
            raise ValidationError.for_field("department", _("A department handler needs a department."))
        kind = ScopeKind.DEPARTMENT
    else:
        if region is None:
            raise ValidationError.for_field("region", _("This role needs a region."))
        kind = ScopeKind.REGION
    scope = Scope.objects.create(
        user=user,
        role=role,
        kind=kind,
        region=region if kind == ScopeKind.REGION else None,
        unit=unit if kind == ScopeKind.UNIT else None,
        department=department if kind == ScopeKind.DEPARTMENT else None,
    )
    forget_scopes(user)
    audit.record(actor=actor, verb="scope.grant", target=scope, changes={"user": user.username, "role": role}, target_label=str(scope))
    return scope


@transaction.atomic
def scope_revoke(*, actor: Any, scope: Scope) -> None:
    scope.is_active = False
    scope.save(update_fields=["is_active", "updated_at"])
    forget_scopes(scope.user)
    audit.record(actor=actor, verb="scope.revoke", target=scope)


@transaction.atomic
def token_issue(*, request: HttpRequest | None, username: str, password: str) -> tuple[ApiToken, str]:
    """Exchange a username and password for a bearer token; failures count towards lock-out."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {"username": username}
    if request is not None and AxesProxyHandler.is_locked(request, credentials):
        raise LockedOut()
    user = authenticate(request, username=username, password=password)
    if user is None:
        if request is not None and AxesProxyHandler.is_locked(request, credentials):
            raise LockedOut()
        raise AuthenticationFailed()
    if not user.is_active:
        raise AuthenticationFailed()
    from .middleware import otp_required

    if settings.GONGJIAN_REQUIRE_OTP and otp_required(user):
        raise PermissionDenied(_("Staff accounts must use the web sign-in with a one-time code; API tokens are issued there."))
    token, raw = ApiToken.issue(user)  # type: ignore[arg-type]
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit.record(actor=user, verb="token.issue", target=token)
    return token, raw
