"""Deny by default. Each app declares, per action, which roles may do it and how far they reach.

``SCOPE``: through the actor's scope rows of that role (a region subtree, a unit, a department).
``SELF``: only records tied to the actor's own account.

Apps register their matrix in ``permissions.py`` with ``register({...})``; selectors filter
with ``core.scope.scoped(...)`` and services check with ``require(...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from .errors import PermissionDenied


class Reach(StrEnum):
    SCOPE = "scope"
    SELF = "self"


logger = logging.getLogger(__name__)

_MATRIX: dict[str, dict[str, Reach]] = {}
_generation = [0]  # moves with every registration: what is derived from the rules is built again


def register(rules: Mapping[str, Mapping[Any, Reach]]) -> None:
    for action, roles in rules.items():
        _MATRIX[action] = {str(role): reach for role, reach in roles.items()}
    _generation[0] += 1


def generation() -> int:
    return _generation[0]


def rules_for(action: str) -> dict[str, Reach]:
    try:
        return _MATRIX[action]
    except KeyError:
        raise KeyError(f"unknown action {action!r}; register it in the app's permissions.py") from None


def is_registered(action: str) -> bool:
    return action in _MATRIX


def actions() -> list[str]:
    return sorted(_MATRIX)


def actor_roles(actor: Any) -> set[str]:
    from .scope import actor_scopes

    return {s.role for s in actor_scopes(actor)}


def can(actor: Any, action: str) -> bool:
    """May the actor do this action at all (somewhere in its scope)?

    Deny by default: anonymous and inactive accounts, roles not listed for the action, and
    actions nobody registered (a typo must not open a door, not even for a superuser).
    """
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return False
    allowed = _MATRIX.get(action)
    if allowed is None:
        logger.warning("permission check for unregistered action %r denied", action)
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return any(role in allowed for role in actor_roles(actor))


def require(actor: Any, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied()
