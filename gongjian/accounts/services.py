"""Accounts: creating accounts, granting and revoking scopes, API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core import audit, permissions, registry
from gongjian.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from gongjian.core.kernel import Actor, actor_key
from gongjian.core.scope import forget_scopes

from . import permissions as perms
from .choices import ROLE_REGION_LEVEL, Role, ScopeKind
from .middleware import otp_required
from .models import ApiToken, Scope, User
from .selectors import account_visible

MODULE = "accounts"  # registry key: the accounts of an area are counted again after each write here

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
def user_create(*, actor: Actor, username: str, password: str, display_name: str = "", email: str = "", validate: bool = True) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError.for_field("username", _("The username is required."))
    try:  # the model's own rules (letters, digits, @ . + - _; at most 150), which the form alone did not apply
        for validator in User._meta.get_field("username").validators:
            validator(username)
    except DjangoValidationError as exc:
        raise ValidationError.for_field("username", exc.messages[0]) from None
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
    registry.bump(MODULE)
    return user


def scope_place_path(scope: Scope) -> str:
    """The region path a scope row sits in (its region, its unit's region, its department's region)."""
    if scope.region is not None:
        return scope.region.path
    if scope.unit is not None:
        return scope.unit.region_path
    if scope.department is not None:
        return scope.department.region_path
    return ""


def _require_grant(actor: Actor, role: str, path: str) -> None:
    """An admin grants roles at or below its own level, inside its own subtree; the rest is refused."""
    if actor is None:  # the system itself (demo builder, management commands)
        return
    if not permissions.can(actor, perms.ACCOUNT_MANAGE):
        raise PermissionDenied()
    if not perms.path_within(path, perms.admin_paths(actor, for_role=role)):
        raise PermissionDenied(_("You may only give roles at or below your own level, inside your own area."))


def _require_manage_account(actor: Actor, user: User) -> None:
    """Account-wide changes: the account must be in the actor's area (else NotFound) and every
    active role of it at or below the actor's level inside that area (else PermissionDenied)."""
    if actor is None:
        return
    if not permissions.can(actor, perms.ACCOUNT_MANAGE):
        raise PermissionDenied()
    if not account_visible(actor=actor, user=user):
        raise NotFound()
    if getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(_("Use your own profile page to change your own account."))
    if user.is_superuser and not getattr(actor, "is_superuser", False):
        raise PermissionDenied()
    for scope in Scope.objects.filter(user=user, is_active=True).select_related("region", "unit", "department"):
        if not perms.path_within(scope_place_path(scope), perms.admin_paths(actor, for_role=scope.role)):
            raise PermissionDenied(_("This account also works outside your area or at a higher level; ask a higher-level administrator."))


@transaction.atomic
def scope_grant(*, actor: Actor, user: User, role: str, region: Any = None, unit: Any = None, department: Any = None) -> Scope:
    """Give an account a role in a place. The role decides which kind of place it needs."""
    if role not in Role.values:
        raise ValidationError.for_field("role", _("Unknown role."))
    if role in ROLE_REGION_LEVEL:
        if region is None or region.level != ROLE_REGION_LEVEL[Role(role)]:
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
    place = region if kind == ScopeKind.REGION else unit if kind == ScopeKind.UNIT else department
    place_path = str(getattr(place, "path", None) or getattr(place, "region_path", ""))
    if not getattr(place, "is_active", True):
        raise ValidationError.for_field(kind, _("This place is no longer active."))
    _require_grant(actor, role, place_path)
    if Scope.objects.filter(
        user=user, role=role, is_active=True,
        region=region if kind == ScopeKind.REGION else None,
        unit=unit if kind == ScopeKind.UNIT else None,
        department=department if kind == ScopeKind.DEPARTMENT else None,
    ).exists():
        raise ValidationError.for_field("role", _("The account already has this role in this place."))
    scope = Scope.objects.create(
        user=user,
        role=role,
        kind=kind,
        region=region if kind == ScopeKind.REGION else None,
        unit=unit if kind == ScopeKind.UNIT else None,
        department=department if kind == ScopeKind.DEPARTMENT else None,
    )
    forget_scopes(user)
    audit.record(
        actor=actor, verb="scope.grant", target=scope, changes={"user": user.username, "role": role},
        target_label=str(scope), region_path=place_path,
    )
    registry.bump(MODULE)
    return scope


@transaction.atomic
def scope_revoke(*, actor: Actor, scope: Scope) -> None:
    scope = Scope.objects.select_for_update(of=("self",)).select_related("region", "unit", "department", "user").get(pk=scope.pk)
    path = scope_place_path(scope)
    _require_grant(actor, scope.role, path)
    if actor is not None and getattr(actor, "pk", None) == scope.user_id:
        raise PermissionDenied(_("You cannot take away your own role; ask another administrator."))
    if not scope.is_active:
        raise ValidationError.for_field("scope", _("This role has already been taken away."))
    scope.is_active = False
    scope.save(update_fields=["is_active", "updated_at"])
    forget_scopes(scope.user)
    audit.record(actor=actor, verb="scope.revoke", target=scope, changes={"user": scope.user.username, "role": scope.role}, region_path=path)
    registry.bump(MODULE)


def _place_for(role: str, region: Any, unit: Any, department: Any) -> tuple[str, str]:
    """(kind, path) of the place a role needs; raises the same errors as scope_grant."""
    if role not in Role.values:
        raise ValidationError.for_field("role", _("Unknown role."))
    if role == Role.UNIT_LIAISON:
        if unit is None:
            raise ValidationError.for_field("unit", _("A unit liaison needs a unit."))
        return ScopeKind.UNIT, unit.region_path
    if role == Role.DEPARTMENT_HANDLER:
        if department is None:
            raise ValidationError.for_field("department", _("A department handler needs a department."))
        return ScopeKind.DEPARTMENT, department.region_path
    if region is None:
        raise ValidationError.for_field("region", _("This role needs a region."))
    if role in ROLE_REGION_LEVEL and region.level != ROLE_REGION_LEVEL[Role(role)]:
        raise ValidationError.for_field("region", _("This role needs a region of the matching level."))
    return ScopeKind.REGION, region.path


def generate_password() -> str:
    """A random password that passes the validators; shown once to the administrator."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        raw = "".join(secrets.choice(alphabet) for _i in range(14))
        if any(c.isdigit() for c in raw) and any(c.isalpha() for c in raw):
            return raw


@transaction.atomic
def account_create(
    *, actor: Actor, username: str, role: str, region: Any = None, unit: Any = None, department: Any = None,
    display_name: str = "", email: str = "", password: str | None = None,
) -> tuple[User, str | None]:
    """Create an account with its first role and place. Returns the account and the generated
    password (None when the administrator set one). Nothing is written when any check fails."""
    if actor is not None and not permissions.can(actor, perms.ACCOUNT_CREATE):
        raise PermissionDenied()
    _kind, path = _place_for(role, region, unit, department)
    _require_grant(actor, role, path)
    generated = None
    if not password:
        generated = password = generate_password()
    user = user_create(actor=actor, username=username, password=password, display_name=display_name, email=email)
    scope_grant(actor=actor, user=user, role=role, region=region, unit=unit, department=department)
    return user, generated


def _revoke_tokens(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked=False).update(revoked=True, updated_at=timezone.now())


@transaction.atomic
def password_reset(*, actor: Actor, user: User, password: str | None = None) -> str | None:
    """An administrator sets a new password (validated) or has one generated (returned, shown once).
    The account's API tokens stop working."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _require_manage_account(actor, user)
    generated = None
    if password:
        _check_password(password, user)
    else:
        generated = password = generate_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = _revoke_tokens(user)
    audit.record(actor=actor, verb="account.password_reset", target=user, changes={"generated": generated is not None, "tokens_revoked": revoked})
    return generated


@transaction.atomic
def account_set_active(*, actor: Actor, user: User, active: bool) -> User:
    """Deactivate (sign-in and tokens stop working; nothing is deleted) or reactivate an account."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _require_manage_account(actor, user)
    if user.is_active == active:
        raise ValidationError.for_field(
            "is_active", _("The account is already active.") if active else _("The account is already deactivated.")
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    revoked = 0 if active else _revoke_tokens(user)
    audit.record(
        actor=actor, verb="account.reactivate" if active else "account.deactivate", target=user,
        changes={"is_active": {"before": not active, "after": active}, "tokens_revoked": revoked},
    )
    registry.bump(MODULE)
    return user


@transaction.atomic
def account_unlock(*, actor: Actor, user: User) -> int:
    """Clear the failed sign-ins django-axes counted for this username (lifting a lock-out)."""
    from axes.utils import reset

    _require_manage_account(actor, user)
    cleared = reset(username=user.username)
    audit.record(actor=actor, verb="account.unlock", target=user, changes={"attempts_cleared": cleared})
    registry.bump(MODULE)  # the locked accounts counted on panels and lists
    return cleared


# --- the account's own pages -------------------------------------------------------------------


@transaction.atomic
def profile_update(*, actor: User, display_name: str, preferred_language: str) -> User:
    languages = {code for code, _name in settings.LANGUAGES}
    if preferred_language and preferred_language not in languages:
        raise ValidationError.for_field("preferred_language", _("Choose one of the offered languages."))
    display_name = (display_name or "").strip()
    if len(display_name) > 64:
        raise ValidationError.for_field("display_name", _("At most 64 characters."))
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = {"display_name": user.display_name, "preferred_language": user.preferred_language}
    user.display_name = display_name
    user.preferred_language = preferred_language
    user.save(update_fields=["display_name", "preferred_language"])
    changes = audit.diff(before, {"display_name": display_name, "preferred_language": preferred_language})
    if changes:
        audit.record(actor=actor, verb="account.profile_update", target=user, changes=changes)
    return user


@transaction.atomic
def password_change(*, actor: User, old_password: str, new_password: str, new_password_again: str) -> User:
    user = User.objects.select_for_update().get(pk=actor.pk)
    if not user.check_password(old_password or ""):
        raise ValidationError.for_field("old_password", _("The current password is wrong."))
    if new_password != new_password_again:
        raise ValidationError.for_field("new_password_again", _("The two new passwords do not match."))
    if new_password == old_password:
        raise ValidationError.for_field("new_password", _("The new password must differ from the current one."))
    try:
        _check_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError(exc.message, details={"new_password": exc.details.get("password", [exc.message])}) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, verb="account.password_change", target=user)
    return user


@transaction.atomic
def token_revoke(*, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own API tokens; another account's token is 'not found'."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user_id=actor_key(actor)).first()
    if token is None:
        raise NotFound()
    if not token.revoked:
        token.revoked = True
        token.save(update_fields=["revoked", "updated_at"])
        audit.record(actor=actor, verb="token.revoke", target=token)
    return token


@transaction.atomic
def otp_device_reset(*, actor: Actor, user: User) -> int:
    """Remove an account's TOTP devices (lost phone); the next sign-in enrols again."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _require_manage_account(actor, user)
    count, _detail = TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor=actor, verb="account.otp_reset", target=user, changes={"devices_removed": count})
    return count


def token_issue(*, request: HttpRequest | None, username: str, password: str) -> tuple[ApiToken, str]:
    """Exchange a username and password for a bearer token; failures count towards lock-out.

    Not one transaction: the failed attempt django-axes records must survive the refusal."""
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
    if settings.GONGJIAN_REQUIRE_OTP and otp_required(user):
        raise PermissionDenied(_("Staff accounts must use the web sign-in with a one-time code; API tokens are issued there."))
    with transaction.atomic():
        token, raw = ApiToken.issue(user)
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        audit.record(actor=user, verb="token.issue", target=token)
    return token, raw
