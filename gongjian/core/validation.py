"""Field cleaning shared by every app's services: collect every field error, then raise once.

``Errors`` gathers messages per field so a form shows all of them at once; the ``clean_*`` helpers
turn raw input (form strings, API values, spreadsheet cells) into values or add a clear Chinese
message. Nothing here writes; services call ``errors.raise_if_any()`` before touching the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import ValidationError
from .tabular import parse_date


class Errors:
    """Collects field errors so a form shows all of them at once; raises if any."""

    def __init__(self) -> None:
        self.details: dict[str, list[Any]] = {}

    def add(self, field: str, message: Any) -> None:
        self.details.setdefault(field, []).append(message)

    def catch(self, exc: ValidationError) -> None:
        for field, msgs in exc.details.items():
            for m in msgs if isinstance(msgs, list | tuple) else [msgs]:
                self.add(field, m)

    def raise_if_any(self) -> None:
        if self.details:
            first = next(iter(self.details.values()))[0]
            raise ValidationError(first, details=self.details)


def clean_text(value: Any, *, field: str, errors: Errors, required: Any = None, max_length: int = 255, multiline: bool = False) -> str:
    """Whitespace-normalised text (line breaks kept when ``multiline``); NUL characters and over-long text refused."""
    raw = "" if value is None else str(value)
    if "\x00" in raw:
        errors.add(field, _("This text contains characters that cannot be stored."))
        return ""
    text = raw.strip() if multiline else " ".join(raw.split())
    if not text and required is not None:
        errors.add(field, required)
    elif len(text) > max_length:
        errors.add(field, _("At most %(n)s characters.") % {"n": max_length})
    return text


def clean_choice(value: Any, choices: Any, *, field: str, errors: Errors, default: str | None = None, required: bool = True) -> str:
    value = str(value or "").strip() or (default or "")
    if not value and not required:
        return ""
    if value not in choices.values:
        errors.add(field, _("Choose one of the listed options."))
    return value


def clean_decimal(value: Any, *, field: str, errors: Errors, low: Decimal | None = None, high: Decimal | None = None,
                  places: str = "0.01", negative_message: Any = None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        d = Decimal(str(value).strip().replace(",", "")).quantize(Decimal(places))
    except (InvalidOperation, ValueError):
        errors.add(field, _("Enter a number."))
        return None
    if not d.is_finite():
        errors.add(field, _("Enter a number."))
        return None
    if d < 0 and negative_message is not None:
        errors.add(field, negative_message)
        return None
    if (low is not None and d < low) or (high is not None and d > high):
        errors.add(field, _("Enter a value between %(low)s and %(high)s.") % {"low": low, "high": high})
        return None
    return d


def clean_date(value: Any, *, field: str, errors: Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date(str(value), field=field)
    except ValidationError as exc:
        errors.catch(exc)
        return None
