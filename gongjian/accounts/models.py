from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongjian.core.models import BaseModel
from gongjian.core.scope import actor_scopes

from .choices import ADMIN_ROLES, STAFF_ROLES, Role, ScopeKind


class User(AbstractUser):
    """An account. What it may see and do comes from its scope rows, not from flags here."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def roles(self) -> set[str]:
        return {s.role for s in actor_scopes(self)}

    @property
    def primary_role(self) -> str | None:
        scopes = actor_scopes(self)
        order = list(Role.values)
        return min((s.role for s in scopes), key=order.index, default=None)

    @property
    def is_staff_role(self) -> bool:
        return bool(self.roles & {str(r) for r in STAFF_ROLES}) or self.is_superuser

    @property
    def is_admin_role(self) -> bool:
        return bool(self.roles & {str(r) for r in ADMIN_ROLES}) or self.is_superuser


class Scope(BaseModel):
    """One row per (account, role, place): a region subtree, a resident unit or a department."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="scopes", verbose_name=_("account"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    kind = models.CharField(_("scope kind"), max_length=16, choices=ScopeKind.choices)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    unit = models.ForeignKey("orgs.ResidentUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")
        constraints = [
            models.CheckConstraint(
                name="accounts_scope_one_target",
                condition=(
                    models.Q(kind="region", region__isnull=False, unit__isnull=True, department__isnull=True)
                    | models.Q(kind="unit", unit__isnull=False, region__isnull=True, department__isnull=True)
                    | models.Q(kind="department", department__isnull=False, region__isnull=True, unit__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        target = self.region or self.unit or self.department
        return f"{self.get_role_display()} @ {target}"


class ApiToken(BaseModel):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, *, hours: int = 12) -> tuple[ApiToken, str]:
        raw = "gj_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=cls.hash(raw), expires_at=timezone.now() + dt.timedelta(hours=hours))
        return token, raw

    @property
    def is_valid(self) -> bool:
        return not self.revoked and self.expires_at > timezone.now()

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user}"

