"""core.registry: modules, navigation, figures cached per (figure, region, period) with a version
bumped on commit (and not on rollback), exports, importers and periodic tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from gongjian.core import registry
from gongjian.core.registry import Figure, Module, NavEntry, Period, PeriodicTask

CALLS: list[tuple[object, object]] = []
COUNTER = {"n": 0}


def _compute(region, period):
    CALLS.append((getattr(region, "pk", None), period.key if period else None))
    return COUNTER["n"]


MODULE = Module(
    key="coretest",
    name="Core test",
    order=5,
    nav=[NavEntry("b", "B", "core:audit_list", order=2), NavEntry("a", "A", "core:home", order=1)],
    figures=[Figure("coretest.count", "计数", "测试用", "个", "coretest", _compute)],
    periodic=[PeriodicTask("nightly", "gongjian.coretest.tasks.nightly", 3600.0, kwargs={"x": 1})],
)


@pytest.fixture(autouse=True)
def _reset():
    """The test module is registered for these tests only: registered at import, its sidebar entries (one opens the audit
    log without a permission) showed in every page of every later test of the process."""
    CALLS.clear()
    COUNTER["n"] = 0
    registry.register_module(MODULE)
    yield
    registry.unregister_module(MODULE.key)


class _R:
    def __init__(self, pk):
        self.pk = pk


def test_modules_ordered_and_nav_entries_sorted():
    keys = [m.key for m in registry.modules()]
    assert keys.index("coretest") < keys.index("core")
    mine = [e.key for m, e in registry.nav_entries() if m.key == "coretest"]
    assert mine == ["a", "b"]
    assert registry.figure("coretest.count").unit == "个"
    with pytest.raises(KeyError):
        registry.figure("coretest.nothing")


def test_figure_value_is_cached_per_figure_region_and_period():
    COUNTER["n"] = 1
    y2024, y2025 = Period.year(2024), Period.year(2025)
    assert registry.figure_value("coretest.count", _R(1), y2024) == 1
    COUNTER["n"] = 2
    assert registry.figure_value("coretest.count", _R(1), y2024) == 1  # cached
    assert registry.figure_value("coretest.count", _R(2), y2024) == 2  # other region
    assert registry.figure_value("coretest.count", _R(1), y2025) == 2  # other period
    assert registry.figure_value("coretest.count", _R(1)) == 2  # as of now
    assert registry.figure_value("coretest.count", None) == 2  # whole city
    assert len(CALLS) == 5


def test_figure_values_batch_gives_what_figure_value_gives(monkeypatch):
    from django.core.cache import cache

    COUNTER["n"] = 7
    assert registry.figure_value("coretest.count", _R(1)) == 7  # one stored
    COUNTER["n"] = 8
    trips: list[int] = []
    real = cache.get_many
    def counting_get_many(keys, *a, **kw):
        trips.append(len(keys))
        return real(keys, *a, **kw)

    monkeypatch.setattr(cache, "get_many", counting_get_many)
    wanted = [("coretest.count", _R(1)), ("coretest.count", _R(2)), ("coretest.count", _R(3)), ("coretest.count", _R(2))]
    assert registry.figure_values(wanted) == [7, 8, 8, 8]  # the stored one kept, each missing one computed once
    assert [pk for pk, _ in CALLS] == [1, 2, 3]
    assert len(trips) == 2  # versions, then values: not two round trips a figure
    assert registry.figure_value("coretest.count", _R(3)) == 8 and len(CALLS) == 3  # stored by the batch


@pytest.mark.django_db
def test_bump_on_commit_invalidates(django_capture_on_commit_callbacks):
    COUNTER["n"] = 1
    assert registry.figure_value("coretest.count", _R(1)) == 1
    COUNTER["n"] = 7
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            registry.bump("coretest")
        # not visible before the commit of the outer transaction
    assert len(callbacks) == 1
    assert registry.figure_value("coretest.count", _R(1)) == 7
    COUNTER["n"] = 8
    with django_capture_on_commit_callbacks(execute=True):
        registry.bump("coretest")
    assert registry.figure_value("coretest.count", _R(1)) == 8


@pytest.mark.django_db(transaction=True)
def test_bump_moves_now_and_on_commit_only():
    """The version moves at the bump (the writer's own reads see the change) and again at the commit; a rolled-back
    transaction runs no commit callback: its bump costs one recount, never a stale value."""
    versions = [registry.version("coretest")]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        registry.bump("coretest")
        versions.append(registry.version("coretest"))
        raise Boom
    versions.append(registry.version("coretest"))
    with transaction.atomic():
        registry.bump("coretest")
        versions.append(registry.version("coretest"))
    versions.append(registry.version("coretest"))
    assert versions == [0, 1, 1, 2, 3]
    COUNTER["n"] = 4
    assert registry.figure_value("coretest.count", _R(1)) == 4


@pytest.mark.django_db(transaction=True)
def test_bump_of_one_module_leaves_others_cached():
    COUNTER["n"] = 1
    registry.figure_value("coretest.count", _R(1))
    COUNTER["n"] = 2
    registry.bump("some_other_module")
    assert registry.figure_value("coretest.count", _R(1)) == 1


def test_periods():
    assert Period.year(2024) == Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert Period.quarter(2024, 1) == Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert Period.quarter(2024, 4) == Period(dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert Period.quarter(2023, 2).end == dt.date(2023, 6, 30)


def test_beat_schedule_from_registered_periodic_tasks():
    from config.celery import app, install_beat_schedule

    entry = registry.beat_schedule()["coretest.nightly"]
    assert entry == {"task": "gongjian.coretest.tasks.nightly", "schedule": 3600.0, "args": (), "kwargs": {"x": 1}}
    installed = install_beat_schedule(app)
    assert "coretest.nightly" in installed
    assert app.conf.beat_schedule["coretest.nightly"]["task"] == "gongjian.coretest.tasks.nightly"
