"""Notifications: in-app first (``core.Notification``); other channels (SMS, e-mail) plug in as backends.

``send(...)`` writes one notification per recipient after the surrounding transaction commits, so a
rolled-back change notifies no one. ``recipients(...)`` finds the active accounts holding a role in a
region, a department or a unit, the usual addressees of deadlines and assignments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

from . import versions
from .contracts import scope_model
from .models import Notification

Backend = Callable[[list[Any], dict[str, Any]], None]
_backends: list[Backend] = []


def register_backend(backend: Backend) -> None:
    """Add a channel; it receives the recipients and the message after the in-app rows are written."""
    if backend not in _backends:
        _backends.append(backend)


def unregister_backend(backend: Backend) -> None:
    if backend in _backends:
        _backends.remove(backend)


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = getattr(target, "_meta", None)
    return (meta.label_lower if meta else type(target).__name__.lower()), str(getattr(target, "pk", "") or "")


def send(users: Iterable[Any], *, verb: str, title: str, body: str = "", url: str = "", target: Any = None) -> None:
    """Notify each distinct active account in ``users`` (on commit)."""
    people = {u.pk: u for u in users if u is not None and getattr(u, "is_active", False)}
    if not people:
        return
    target_type, target_id = _target(target)
    message = {"verb": verb, "title": str(title)[:200], "body": str(body), "url": url, "target_type": target_type, "target_id": target_id}

    def _write() -> None:
        Notification.objects.bulk_create([Notification(user_id=pk, **message) for pk in people])
        for pk in people:
            unread_moved(pk)
        for backend in list(_backends):
            backend(list(people.values()), message)

    transaction.on_commit(_write)


def recipients(*, roles: Iterable[str], region: Any = None, department: Any = None, unit: Any = None) -> list[Any]:
    """Active accounts with an active scope of one of ``roles`` on exactly this region, department or unit."""
    qs = scope_model().objects.filter(is_active=True, user__is_active=True, role__in=list(roles)).select_related("user")
    if region is not None:
        qs = qs.filter(region=region)
    if department is not None:
        qs = qs.filter(department=department)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return list({s.user_id: s.user for s in qs}.values())


UNREAD_TTL = 300  # seconds at most, for a write that bypasses ``send`` and the inbox's services


def _unread_version_key(user_id: int) -> str:
    return f"unread:v:{user_id}"


def unread_moved(user_id: int) -> None:
    """An account's notifications were written or marked read: its cached unread count is outdated."""
    versions.bump_key(_unread_version_key(user_id))


def unread_count(user: Any) -> int:
    """The bell's count (shown on every page), kept in the shared cache beside the account's inbox version, which
    ``unread_moved`` moves when a notification is written or read."""
    if not getattr(user, "is_authenticated", False):
        return 0
    key, vkey = f"unread:{user.pk}", _unread_version_key(user.pk)
    found = cache.get_many([key, vkey])
    version = found.get(vkey) or 0
    stored = found.get(key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version:
        return int(stored[1])
    n = Notification.objects.filter(user=user, read_at__isnull=True).count()
    cache.set(key, (version, n), UNREAD_TTL)
    return n
