"""The versions of each module's records: a number in the shared cache that every write of the module moves.

What is cached from a module's records (counts, figures, the account's scope rows, ``core.listcache``'s lists) is
kept beside the version it was computed at, and served only while the version is the same. ``bump`` is called by
``audit.record`` for every audited write (its record's module) and by services; it moves the version at once and again
when the transaction commits. No project imports here: every layer of core may use it.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction


def record_modules() -> tuple[str, ...]:
    """The project's apps (their labels), each with a version of its records (``bump``)."""
    if not _RECORD_MODULES:
        from django.apps import apps

        _RECORD_MODULES.extend(sorted(a.label for a in apps.get_app_configs() if a.name.startswith("gongjian.")))
    return tuple(_RECORD_MODULES)


_RECORD_MODULES: list[str] = []


def version_key(module: str) -> str:
    """The cache key of the version of ``module``'s records, which ``bump`` moves on the commit of each write."""
    return f"figver:{module}"


def version(module: str) -> int:
    """The version of ``module``'s records: a cache keyed by it is outdated by the next write of the module."""
    return int(cache.get(version_key(module)) or 0)


def bump(module: str) -> None:
    """Called by services that change records of ``module``: moves its version now and again when the transaction
    commits. The second move is the one that counts for other requests — one that read the version between the two and
    cached what it saw before the commit stored it under a version already past; the first makes the writer's own
    reads in the same transaction (and a test, whose transaction never commits) see the change."""
    bump_key(version_key(module))


def bump_key(key: str) -> None:
    """Move the version stored under ``key`` now and on commit (see ``bump``)."""
    _incr(key)

    def _on_commit() -> None:
        _incr(key)

    _on_commit.gongjian_bump = key  # type: ignore[attr-defined]  # what tests look for among the commit callbacks
    transaction.on_commit(_on_commit)


def _incr(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)
