"""How an audit event reads on the audit page: "新增 · 党员" instead of ``orgs.member.create``, and
changes as "field: before → after" lines instead of a raw dictionary."""

from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps
from django.utils.translation import pgettext_lazy

register = template.Library()

# The last part of a verb (``<entity>.<action>``) → what happened.
ACTIONS: dict[str, Any] = {
    "create": pgettext_lazy("audit", "Created"),
    "update": pgettext_lazy("audit", "Changed"),
    "deactivate": pgettext_lazy("audit", "Deactivated"),
    "activate": pgettext_lazy("audit", "Reactivated"),
    "reactivate": pgettext_lazy("audit", "Reactivated"),
    "delete": pgettext_lazy("audit", "Deleted"),
    "move": pgettext_lazy("audit", "Moved"),
    "import": pgettext_lazy("audit", "Imported"),
    "export": pgettext_lazy("audit", "Exported"),
    "transfer": pgettext_lazy("audit", "Transferred"),
    "grant": pgettext_lazy("audit", "Granted"),
    "revoke": pgettext_lazy("audit", "Revoked"),
    "issue": pgettext_lazy("audit", "Issued"),
    "login": pgettext_lazy("audit", "Signed in"),
    "unlock": pgettext_lazy("audit", "Unlocked"),
    "enrol": pgettext_lazy("audit", "Two-step sign-in set up"),
    "otp_reset": pgettext_lazy("audit", "Two-step sign-in reset"),
    "password_reset": pgettext_lazy("audit", "Password reset"),
    "password_change": pgettext_lazy("audit", "Password changed"),
    "profile_update": pgettext_lazy("audit", "Profile changed"),
    "check": pgettext_lazy("audit", "File checked"),
    "apply": pgettext_lazy("audit", "Import applied"),
    "discard": pgettext_lazy("audit", "Import discarded"),
    "build": pgettext_lazy("audit", "Demo city built"),
    "instantiate": pgettext_lazy("audit", "Standard structure set up"),
    "attachment_add": pgettext_lazy("audit", "Attachment added"),
    "attachment_remove": pgettext_lazy("audit", "Attachment removed"),
}
# Whole verbs whose meaning is not "<action> of <entity>".
VERBS: dict[str, Any] = {
    "pii.read": pgettext_lazy("audit", "Full personal data viewed"),
    "pii.export": pgettext_lazy("audit", "Exported with full personal data"),
}


def _entity(target_type: str) -> str:
    if "." in target_type:
        try:
            return str(apps.get_model(target_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return ""
    return ""


@register.filter
def verb_label(event: Any) -> str:
    verb = str(getattr(event, "verb", "") or "")
    if verb in VERBS:
        return str(VERBS[verb])
    action = ACTIONS.get(verb.rsplit(".", 1)[-1])
    if action is None:
        return verb
    entity = _entity(str(getattr(event, "target_type", "") or ""))
    return f"{action} · {entity}" if entity else str(action)


@register.filter
def target_kind(event: Any) -> str:
    return _entity(str(getattr(event, "target_type", "") or "")) or str(getattr(event, "target_type", "") or "")


def _short(value: Any) -> str:
    if value is None or value == "":
        return "—"
    text = ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


@register.filter
def change_lines(changes: Any) -> list[str]:
    """``{"name": {"before": "a", "after": "b"}, "count": 3}`` → ["name: a → b", "count: 3"] (at most 8 lines)."""
    if not isinstance(changes, dict):
        return [] if not changes else [_short(changes)]
    lines = []
    for key, value in changes.items():
        if isinstance(value, dict) and set(value) <= {"before", "after"} and value:
            lines.append(f"{key}: {_short(value.get('before'))} → {_short(value.get('after'))}")
        else:
            lines.append(f"{key}: {_short(value)}")
    if len(lines) > 8:
        lines = [*lines[:8], f"… (+{len(lines) - 8})"]
    return lines
