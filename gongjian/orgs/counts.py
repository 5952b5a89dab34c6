"""Exact counts of the module's lists, computed once and kept in the cache until the module's records change.

A city's administrator pages through ~165,000 members, ~9,400 organisations and ~2,100 units: counting
them again on every page (and every API page) cost more than the page itself. A count is stored under the
SQL of its query (so the actor's scope and the list's filters are part of the key) with the module's list
version, which every write of ``services`` moves when its transaction commits (``changed``): the next request
finds an older version beside the count and counts again, so a count shown is the count of the records as of
the last write. Writes that bypass the services (the demo build, a region recoded by ``regions``, which
rewrites region paths in every table) are seen within ``TTL`` seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

VERSION_KEY = "orgs:lists:version"
TTL = 300  # seconds a count is kept at most


def changed() -> None:
    """The module's records changed: counts taken before are not used again (takes effect on commit)."""

    def _move() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 1, None)

    transaction.on_commit(_move)


def _key(qs: QuerySet[Any]) -> str:
    sql, params = qs.order_by().query.sql_with_params()
    return "orgs:count:" + hashlib.sha1(repr((qs.db, sql, params)).encode(), usedforsecurity=False).hexdigest()


def counts(querysets: Sequence[QuerySet[Any]]) -> list[int]:
    """The number of rows of each query: one cache round trip (the version and the stored counts together), and only
    the missing or outdated ones counted (and stored together).

    A count is stored with the version read before counting: a write that commits meanwhile moves the version, so a
    count taken during a write is never served after it.
    """
    keys = [_key(qs) for qs in querysets]
    found = cache.get_many([VERSION_KEY, *keys])
    version = found.get(VERSION_KEY) or 0
    missing: dict[str, tuple[Any, int]] = {}
    out: list[int] = []
    for qs, key in zip(querysets, keys, strict=True):
        stored = missing.get(key) or found.get(key)
        if isinstance(stored, tuple | list) and len(stored) == 2 and stored[0] == version:
            out.append(int(stored[1]))
            continue
        n = qs.order_by().count()
        missing[key] = (version, n)
        out.append(n)
    if missing:
        cache.set_many(missing, TTL)
    return out


class CountedRows:
    """A list's rows as the Paginator takes them: the count from ``counts`` (or the given one), each page sliced
    from the query (one query per page, with its LIMIT) and, with ``finish``, made ready for display."""

    ordered = True  # the query is ordered (the Paginator warns about unordered lists)

    def __init__(self, qs: QuerySet[Any], count: int | None = None, finish: Callable[[list[Any]], Any] | None = None) -> None:
        self.qs = qs
        self._count = count
        self.finish = finish

    def count(self) -> int:
        if self._count is None:
            self._count = counts([self.qs])[0]
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        if self.finish is None or not isinstance(index, slice):
            return self.qs[index]
        rows = list(self.qs[index])
        self.finish(rows)
        return rows

    def __iter__(self) -> Any:
        return iter(self.qs)
