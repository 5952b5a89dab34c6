"""Reading list parameters (query strings, API filters) the same way in every module.

Bad values are ignored rather than failing: a hand-edited URL gets the unfiltered list, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .errors import NotFound
from .permissions import can

MAX_KEY = 2**63  # beyond a 64-bit key SQLite raises OverflowError


def int_param(value: Any) -> int | None:
    """A record id from a filter; None when absent, malformed, not positive or beyond a 64-bit key."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < MAX_KEY else None


def bool_param(value: Any) -> bool | None:
    if value in (True, "1", "true", "yes", "on"):
        return True
    if value in (False, "0", "false", "no"):
        return False
    return None


def get_filters(request: HttpRequest, keys: tuple[str, ...]) -> dict[str, str]:
    """The non-blank query-string values of ``keys``, stripped."""
    return {k: request.GET.get(k, "").strip() for k in keys if request.GET.get(k, "").strip()}


def export_format(request: HttpRequest) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def require_page(request: HttpRequest, action: str) -> None:
    """Pages the actor's role cannot use at all are "not found", like records outside the scope."""
    if not can(request.user, action):
        raise NotFound()
