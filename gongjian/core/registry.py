"""Modules register here: navigation entries, figures and exports.

The cockpit and the navigation iterate the registry, so they never import every app's models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: Any
    url_name: str
    icon: str = "circle"
    permission: str | None = None  # an action name of core.permissions; None = any signed-in user
    order: int = 100


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        start = dt.date(year, 3 * (q - 1) + 1, 1)
        end_month = 3 * q
        end = (dt.date(year + (end_month // 12), end_month % 12 + 1, 1)) - dt.timedelta(days=1)
        return cls(start, end)

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


@dataclass(frozen=True)
class Figure:
    """A figure is a query over records: ``compute(region, period)`` returns a number.

    ``region`` is a ``regions.Region``; ``period`` a ``Period`` or None for "as of now".
    ``records`` (optional) returns the queryset behind the number, for drill-down.
    """

    key: str
    name: Any
    description: Any
    unit: Any
    module: str
    compute: Callable[[Any, Period | None], float | int]
    records: Callable[[Any, Period | None], Any] | None = None


@dataclass(frozen=True)
class ExportDef:
    key: str
    name: Any
    module: str
    url_name: str
    permission: str | None = None


@dataclass(frozen=True)
class PeriodicTask:
    """A Celery task run on a schedule by celery beat (production mode).

    ``task`` is the task's registered name (e.g. ``"gongjian.matters.tasks.escalate_overdue"``);
    ``schedule`` is seconds (float) or a ``celery.schedules.crontab``.
    """

    key: str
    task: str
    schedule: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Module:
    key: str
    name: Any
    order: int = 100
    nav: list[NavEntry] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    exports: list[ExportDef] = field(default_factory=list)
    # Home-page panels: each callable takes the actor and returns a panel dict or None.
    panels: list[Callable[[Any], dict[str, Any] | None]] = field(default_factory=list)
    # Periodic work of the module, installed into celery beat's schedule by config/celery.py.
    periodic: list[PeriodicTask] = field(default_factory=list)


_modules: dict[str, Module] = {}


def register_module(module: Module) -> None:
    _modules[module.key] = module


def modules() -> list[Module]:
    return sorted(_modules.values(), key=lambda m: (m.order, m.key))


def figures() -> list[Figure]:
    return [f for m in modules() for f in m.figures]


def figure(key: str) -> Figure:
    for f in figures():
        if f.key == key:
            return f
    raise KeyError(key)


def periodic_tasks() -> list[PeriodicTask]:
    return [p for m in modules() for p in m.periodic]


def beat_schedule() -> dict[str, dict[str, Any]]:
    """The registered periodic tasks in celery's ``beat_schedule`` format, keyed ``<module>.<key>``."""
    out: dict[str, dict[str, Any]] = {}
    for m in modules():
        for p in m.periodic:
            out[f"{m.key}.{p.key}"] = {"task": p.task, "schedule": p.schedule, "args": p.args, "kwargs": dict(p.kwargs)}
    return out


def nav_entries() -> list[tuple[Module, NavEntry]]:
    return [(m, e) for m in modules() for e in sorted(m.nav, key=lambda e: e.order)]


def _version_key(module: str) -> str:
    return f"figver:{module}"


def bump(module: str) -> None:
    """Called by services that change records a module's figures count; takes effect on commit."""

    def _bump() -> None:
        try:
            cache.incr(_version_key(module))
        except ValueError:
            cache.set(_version_key(module), 1, None)

    transaction.on_commit(_bump)


def figure_value(key: str, region: Any, period: Period | None = None) -> float | int:
    """Cached per (figure, region, period, module version)."""
    fig = figure(key)
    version = cache.get(_version_key(fig.module)) or 0
    cache_key = f"fig:{key}:{getattr(region, 'pk', 'all')}:{period.key if period else 'now'}:{version}"
    value = cache.get(cache_key)
    if value is None:
        value = fig.compute(region, period)
        cache.set(cache_key, value, 3600)
    return value


# --- importers: each list registers its spreadsheet importer ---------------------------------


@dataclass(frozen=True)
class ImporterDef:
    kind: str
    factory: Callable[[], Any]  # returns a core.tabular.Importer
    permission: str  # action name required to import
    back_url_name: str  # the list page to return to


_importers: dict[str, ImporterDef] = {}


def register_importer(definition: ImporterDef) -> None:
    _importers[definition.kind] = definition


def importer(kind: str) -> ImporterDef:
    return _importers[kind]


def importers() -> list[ImporterDef]:
    return list(_importers.values())
