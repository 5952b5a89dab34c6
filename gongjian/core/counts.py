"""Exact counts of large lists, computed once and kept in the cache until a write of the module commits.

A city's administrator pages through ~165,000 members, ~100,000 report-ins and ~9,400 organisations: counting them
again on every page (and every API page) cost more than the page itself. A count is stored under the SQL of its query
(so the actor's scope and the list's filters are part of the key) beside the version of the module's records, which
``registry.bump(module)`` moves when a write of its services commits: the next request finds an older version beside
the count and counts again, so a count shown is the count of the records as of the last write. Writes that bypass the
services (the demo build, a region recoded by ``regions``, which rewrites region paths in every table) are seen within
``TTL`` seconds.

``CountedRows`` is a list's query as the Paginator (list pages, ``apikit.paginate``) takes it: the count from here, a
page sliced from the query (one query with its LIMIT) and, optionally, read keys first or finished for display.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet

from . import registry

TTL = 300  # seconds a count is kept at most


def _key(qs: QuerySet[Any]) -> str | None:
    """The cache key of the query's count, or None for a query that cannot match a row (``pk__in=[]``)."""
    try:
        sql, params = qs.order_by().query.sql_with_params()
    except EmptyResultSet:
        return None
    return "count:" + hashlib.sha1(repr((qs.db, sql, params)).encode(), usedforsecurity=False).hexdigest()


def counts(querysets: Sequence[QuerySet[Any]], *, module: str) -> list[int]:
    """The number of rows of each query of ``module``: one cache round trip (the version and the stored counts
    together), and only the missing or outdated ones counted (and stored together).

    A count is stored with the version read before counting: a write that commits meanwhile moves the version, so a
    count taken during a write is never served after it.
    """
    keys = [_key(qs) for qs in querysets]
    vkey = registry.version_key(module)
    found = cache.get_many([vkey, *(k for k in keys if k)])
    version = found.get(vkey) or 0
    missing: dict[str, tuple[Any, int]] = {}
    out: list[int] = []
    for qs, key in zip(querysets, keys, strict=True):
        if key is None:
            out.append(0)
            continue
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


def cached_count(qs: QuerySet[Any], *, module: str) -> int:
    """``counts`` of one query."""
    return counts([qs], module=module)[0]


class CountedRows:
    """A list's rows as the Paginator takes them: the count from ``counts`` (or the given one), each page sliced from
    the query (one query per page, with its LIMIT).

    ``keys_first``: a page's keys are read first in the list's order (an index-only scan where an index carries the
    order and the scope), then those rows by key with their joins and annotations — so annotations of counts or sums
    are computed for the page's rows only, never for the whole area before the LIMIT. ``finish`` makes a page's rows
    ready for display (one more query for the page, say)."""

    def __init__(self, qs: QuerySet[Any], *, module: str, count: int | None = None,
                 finish: Callable[[list[Any]], Any] | None = None, keys_first: bool = False) -> None:
        self.qs = qs
        self.module = module
        self._count = count
        self.finish = finish
        self.keys_first = keys_first

    @property
    def ordered(self) -> bool:
        return self.qs.ordered

    def count(self) -> int:
        if self._count is None:
            self._count = cached_count(self.qs, module=self.module)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _slice(self, index: slice) -> list[Any]:
        if not self.keys_first:
            return list(self.qs[index])
        keys = list(self.qs.values_list("pk", flat=True)[index])
        if not keys:
            return []
        found = {r.pk: r for r in self.qs.order_by().filter(pk__in=keys)}
        return [found[k] for k in keys if k in found]

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self.qs[index]
        return PageRows(lambda: self._finished(index))

    def _finished(self, index: slice) -> list[Any]:
        rows = self._slice(index)
        if self.finish is not None:
            self.finish(rows)
        return rows

    def __iter__(self) -> Any:
        return iter(self.qs)


class PageRows(Sequence[Any]):
    """A page's rows, read when first used: a list page served from ``core.listcache`` shows them without reading
    them again."""

    def __init__(self, read: Callable[[], list[Any]]) -> None:
        self._read: Callable[[], list[Any]] | None = read
        self._rows: list[Any] = []

    @property
    def rows(self) -> list[Any]:
        if self._read is not None:
            self._rows, self._read = self._read(), None
        return self._rows

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __eq__(self, other: object) -> bool:
        return self.rows == (other.rows if isinstance(other, PageRows) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.rows)
