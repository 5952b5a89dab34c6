"""core.counts: exact list counts kept in the cache until a write of the module commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongjian.core import counts, registry
from gongjian.regions.choices import Level
from gongjian.regions.models import Region
from gongjian.testing import factories as f

pytestmark = pytest.mark.django_db


def _communities(n: int, start: int = 0) -> None:
    parent = Region.objects.filter(code="410103001").first() or f.region(
        "410103001", "测试街道", Level.SUBDISTRICT, f.region("410103", "测试区", Level.DISTRICT, f.region("410100", "测试市", Level.CITY)))
    for i in range(start, start + n):
        f.region(f"410103001{i + 1:03d}", f"测试{i}社区", Level.COMMUNITY, parent)


def test_a_count_is_kept_until_the_module_moves(django_capture_on_commit_callbacks: Any) -> None:
    _communities(3)
    qs = Region.objects.filter(level=Level.COMMUNITY)
    assert counts.cached_count(qs, module="test") == 3
    _communities(2, start=3)  # two more, written outside any service of "test": the kept count stays
    with CaptureQueriesContext(connection) as ctx:
        assert counts.cached_count(qs, module="test") == 3
    assert not ctx.captured_queries
    assert counts.cached_count(qs.filter(name__contains="4"), module="test") == 1  # another query, its own count
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("test")
    assert counts.cached_count(qs, module="test") == 5
    assert counts.cached_count(qs, module="other") == 5  # each module keeps its own


def test_a_query_that_cannot_match_counts_zero_without_sql() -> None:
    # a filter on an empty list (an area without places, ids of nothing): Django refuses to write its SQL
    with CaptureQueriesContext(connection) as ctx:
        assert counts.counts([Region.objects.filter(pk__in=[]), Region.objects.none()], module="test") == [0, 0]
    assert not ctx.captured_queries
    rows = counts.CountedRows(Region.objects.filter(pk__in=[]).order_by("code"), module="test", keys_first=True)
    assert len(rows) == 0 and rows[0:20] == []


def test_rows_read_keys_first_keep_the_lists_order_and_finish_runs_per_page() -> None:
    _communities(7)
    qs = Region.objects.filter(level=Level.COMMUNITY).order_by("-code")
    finished: list[int] = []
    rows = counts.CountedRows(qs, module="test", keys_first=True, finish=lambda page: finished.append(len(page)))
    assert [r.code for r in rows[2:5]] == [r.code for r in qs[2:5]]
    assert finished == [3] and len(rows) == 7 and rows.ordered
    assert rows[50:60] == []
