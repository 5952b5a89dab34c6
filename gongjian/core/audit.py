"""The one way to audit: ``record(actor=, verb=, target=, ...)``.

Every service that writes calls it inside its transaction, so the event and the change commit
together. Full reads of personal data call ``record_pii_read``.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import models

from . import versions
from .middleware import current_request_context
from .models import AuditEvent
from .pii import mask_id_number, mask_phone

SENSITIVE_MASK = "***"
# Field names whose values never appear in an audit event, whoever passes them in ``changes``.
SENSITIVE_FIELDS = frozenset({"id_number", "phone", "password", "token", "secret", "totp_key"})
_SENSITIVE_SUFFIXES = ("_enc", "_hash", "_password", "_token", "_secret")


def is_sensitive(key: str) -> bool:
    key = key.lower()
    return key in SENSITIVE_FIELDS or key.endswith(_SENSITIVE_SUFFIXES)


# ID numbers and mobile numbers inside free text (a search typed into a filter, a note, a reason).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def _scrub_text(text: str) -> str:
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def _mask_sensitive(value: Any, extra: frozenset[str] | set[str] = frozenset()) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if is_sensitive(str(k)) or str(k) in extra:
                if isinstance(v, dict) and set(v) <= {"before", "after"}:
                    out[str(k)] = {part: SENSITIVE_MASK for part in v}
                else:
                    out[str(k)] = SENSITIVE_MASK
            else:
                out[str(k)] = _mask_sensitive(v, extra)
        return out
    if isinstance(value, list):
        return [_mask_sensitive(v, extra) for v in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def _target_parts(target: Any) -> tuple[str, str, str, str]:
    if target is None:
        return "", "", "", ""
    if isinstance(target, models.Model):
        meta = target._meta
        path = getattr(target, "region_path", "") or getattr(target, "path", "") or ""
        return f"{meta.app_label}.{meta.model_name}", str(target.pk or ""), str(target)[:255], path
    if isinstance(target, tuple) and len(target) == 2:
        return str(target[0]), str(target[1]), "", ""
    return str(target), "", "", ""


def record(
    *,
    actor: Any,
    verb: str,
    target: Any = None,
    changes: dict[str, Any] | None = None,
    region_path: str | None = None,
    target_label: str | None = None,
    sensitive: frozenset[str] | set[str] = frozenset(),
) -> AuditEvent:
    """Write one audit event in the caller's transaction.

    Values under sensitive keys (``id_number``, ``phone``, ``*_enc``, ``*_hash``, ``password`` …
    and any name in ``sensitive``) are replaced by ``***`` at any depth of ``changes``; ID numbers
    and mobile numbers written inside any other text (a search, a reason) are masked.
    """
    target_type, target_id, label, path = _target_parts(target)
    ctx = current_request_context()
    actor_obj = actor if getattr(actor, "pk", None) else None
    if not is_read(verb):
        _moved(target_type)
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=(getattr(actor, "username", "") or "system")[:150] if actor_obj else "system",
        verb=verb,
        target_type=target_type,
        target_id=target_id,
        target_label=(target_label if target_label is not None else label)[:255],
        region_path=(region_path if region_path is not None else path)[:255],
        ip=ctx.ip if ctx else None,
        user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "",
        changes=_mask_sensitive(_jsonable(changes or {}), sensitive),
    )


def is_read(verb: str) -> bool:
    """Events that record a reading (personal data shown or exported, a sign-in), not a change of records."""
    return verb.startswith("pii.") or verb.endswith(".export") or verb == "account.login"


def _moved(target_type: str) -> None:
    """A write of a record of ``target_type`` ("app.model"): the version of its module moves (``registry.bump``),
    which outdates what is cached from its records (counts, figures, ``core.listcache``'s lists). A target that names
    no module moves "core"."""
    app = target_type.split(".", 1)[0] if "." in target_type else ""
    versions.bump(app if app in versions.record_modules() else "core")


def record_pii_read(*, actor: Any, target: models.Model, fields: list[str]) -> AuditEvent:
    return record(actor=actor, verb="pii.read", target=target, changes={"fields": fields})


def diff(before: dict[str, Any], after: dict[str, Any], *, sensitive: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Before/after of the fields that changed; sensitive fields are recorded as changed, not shown."""
    out: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            if key in sensitive:
                out[key] = {"before": SENSITIVE_MASK, "after": SENSITIVE_MASK}
            else:
                out[key] = {"before": before.get(key), "after": after.get(key)}
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return value.pk
    return str(value)
