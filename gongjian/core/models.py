from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _


def choice_labels(field: models.Field[Any, Any]) -> dict[Any, Any]:
    """``{value: label}`` of a field's choices, built once per field; the labels stay lazy (translated when shown)."""
    labels: dict[Any, Any] | None = field.__dict__.get("_gj_choice_labels")
    if labels is None:
        labels = {make_hashable(value): label for value, label in field.flatchoices}
        field.__dict__["_gj_choice_labels"] = labels
    return labels


class BaseModel(models.Model):
    """Every table of ours: a big integer id and creation/update times."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: models.Field[Any, Any]) -> Any:
        """``get_<field>_display()``: Django's answer, without rebuilding and hashing every label of the field's
        choices on each call (hashing a lazy label translates it: a list row's status used to translate the whole
        choice list, ~8 ms of a co-building list page)."""
        value = getattr(self, field.attname)
        try:
            label = choice_labels(field).get(make_hashable(value), value)
        except TypeError:
            label = value
        return force_str(label, strings_only=True)


class AuditEvent(models.Model):
    """Append-only record of a write, or of a full read of personal data.

    Database triggers (migration 0002) refuse UPDATE and DELETE on this table.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("actor")
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, db_index=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, db_index=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    region_path = models.CharField(_("region path"), max_length=255, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="core_audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit events are append-only")


def import_upload_path(instance: ImportJob, filename: str) -> str:
    return f"imports/{instance.token}.bin"


class ImportJob(BaseModel):
    """An uploaded spreadsheet between its check and the user's decision to import."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked")
        APPLIED = "applied", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    token = models.CharField(max_length=36, unique=True)
    kind = models.CharField(_("list"), max_length=64)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to=import_upload_path)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.CHECKED)
    total = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.kind}: {self.filename}"


class Notification(BaseModel):
    """An in-app notification (deadlines, matches, bookings, rounds …); other channels plug in behind ``core.notify``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient"))
    verb = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="core_notif_user_unread")]

    def __str__(self) -> str:
        return self.title
