"""Project-wide test fixtures (apply to gongjian/*/tests and tests/)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

# Every test but the browser journeys runs on this clock, whatever day the suite runs: a test never depends
# on the calendar (a due date "30 November of this year" broke on 1 December). The clock ticks from here, so
# durations and orderings stay real; a test that needs another day moves it with the ``clock`` fixture.
# The browser journeys keep the real clock: Chromium's cookie expiry and the page's own clock are outside
# the Python process, so they derive every date from ``timezone.localdate()`` instead.
TEST_NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

_SQLITE_AUDIT_TRIGGERS = {
    "core_audit_no_update": "CREATE TRIGGER IF NOT EXISTS core_audit_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
    "core_audit_no_delete": "CREATE TRIGGER IF NOT EXISTS core_audit_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;",
}


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[object]:
    """The suite's clock, fixed at ``TEST_NOW`` and ticking (``clock.move_to(...)`` travels); real for e2e."""
    if request.node.get_closest_marker("e2e"):
        yield None
        return
    import time_machine

    with time_machine.travel(TEST_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _audit_triggers_vs_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end with a flush (DELETE FROM every table on SQLite), which the audit table's
    append-only triggers rightly refuse. Lift them for that flush only and put them back for the next test.
    PostgreSQL flushes with TRUNCATE, which row triggers do not see, so it needs nothing."""
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        transactional = True
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            for sql in _SQLITE_AUDIT_TRIGGERS.values():
                cur.execute(sql)
    yield
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            for name in _SQLITE_AUDIT_TRIGGERS:
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """A request in English leaves English active in this thread; the next test starts in the default."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
