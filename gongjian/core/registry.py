"""Modules register here: one manifest per app and per part.

Every app has ``manifest.py`` with ``MANIFEST = Module(...)`` (its parts have ``manifest.py`` with
``MANIFEST = Part(...)``, listed in the app's ``parts``): navigation, home-page panels, figures, exports,
importers, demo steps, periodic tasks, permission rules, its URLs and its API router. The app's
``ready()`` is one line, ``registry.load(self)``. The sidebar, the home page, the figures page, the demo,
celery beat, ``config/urls.py`` and ``config/api.py`` iterate the registry, so none of them imports
every app.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils import translation
from django.utils.functional import Promise

from . import permissions
from .scope import actor_scopes
from .versions import bump, bump_key, record_modules, version, version_key  # noqa: F401 - the registry's API


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
class Warmup:
    """One thing a server process builds before its first request: ``build()`` (may read the database)."""

    key: str
    build: Callable[[], Any]


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


@dataclass(frozen=True)
class ImporterDef:
    kind: str
    factory: Callable[[], Any]  # returns a core.tabular.Importer
    permission: str  # action name required to import
    back_url_name: str  # the list page to return to


@dataclass(frozen=True)
class DemoStep:
    """A step of the demo city build (``gongjian demo``): ``fn(ctx)`` fills ``models``; lower ``order`` runs first."""

    key: str
    order: int
    fn: Callable[[Any], None]
    models: tuple[Any, ...] = ()


Rules = Mapping[str, Mapping[Any, Any]]  # {action: {role: core.permissions.Reach}}
Panel = Callable[[Any], dict[str, Any] | None]


@dataclass
class Part:
    """A feature slice of an app (decision 0009): what it adds to its app's manifest.

    Its URLs are included by the app's ``urls.py`` and its router mounted on the app's router, under the app's
    namespace and path; ``key`` names it (``"cobuild.projects"``) for the permission-matrix check."""

    key: str
    nav: list[NavEntry] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    exports: list[ExportDef] = field(default_factory=list)
    importers: list[ImporterDef] = field(default_factory=list)
    demo_steps: list[DemoStep] = field(default_factory=list)
    periodic: list[PeriodicTask] = field(default_factory=list)
    permissions: list[Rules] = field(default_factory=list)
    warm: list[Warmup] = field(default_factory=list)


@dataclass
class Module:
    """An app's manifest. ``urls``: its URLconf module, served under ``url_prefix``; ``api``: ``"module:router"``,
    mounted under ``/api/v1/<api_prefix>``. ``parts``: the manifests of its feature slices."""

    key: str
    name: Any
    order: int = 100
    nav: list[NavEntry] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    exports: list[ExportDef] = field(default_factory=list)
    # Home-page panels: each callable takes the actor and returns a panel dict or None.
    panels: list[Panel] = field(default_factory=list)
    # Periodic work of the module, installed into celery beat's schedule by config/celery.py.
    periodic: list[PeriodicTask] = field(default_factory=list)
    # What a process would otherwise build on its first request (a tokenizer's dictionary, an index): built by
    # core.warmup.warm() when a server process starts, before it takes requests (and before gunicorn forks).
    warm: list[Warmup] = field(default_factory=list)
    importers: list[ImporterDef] = field(default_factory=list)
    demo_steps: list[DemoStep] = field(default_factory=list)
    permissions: list[Rules] = field(default_factory=list)
    urls: str | None = None
    url_prefix: str = ""
    api: str | None = None
    api_prefix: str = ""
    parts: list[Part] = field(default_factory=list)
    app: str = ""  # the app's package (set by ``load``)

    def __post_init__(self) -> None:
        # A part adds its pieces to its app's: whoever iterates the modules sees one list of each.
        for part in self.parts:
            self.nav.extend(part.nav)
            self.panels.extend(part.panels)
            self.figures.extend(part.figures)
            self.exports.extend(part.exports)
            self.importers.extend(part.importers)
            self.demo_steps.extend(part.demo_steps)
            self.periodic.extend(part.periodic)
            self.warm.extend(part.warm)


_modules: dict[str, Module] = {}
_generation = [0]  # moves whenever a module is registered or taken out: what is derived from the modules is built again


def generation() -> int:
    return _generation[0]


def register_module(module: Module) -> None:
    _modules[module.key] = module
    _generation[0] += 1
    for rules in module.permissions:
        permissions.register(rules)
    for part in module.parts:
        for rules in part.permissions:
            permissions.register(rules)
    for definition in module.importers:
        register_importer(definition)


def unregister_module(key: str) -> None:
    """Take a module out again (its sidebar entries, panels, figures, importers): for tests that register a module of
    their own, which must not show in the sidebar or the home page of the tests that run after them."""
    module = _modules.pop(key, None)
    _generation[0] += 1
    for definition in module.importers if module else ():
        unregister_importer(definition.kind)


def load(app_config: Any) -> Module:
    """The one line of every app's ``ready()``: import ``<app>.manifest`` and register its ``MANIFEST``."""
    manifest = importlib.import_module(f"{app_config.name}.manifest").MANIFEST
    manifest.app = app_config.name
    register_module(manifest)
    return manifest


def module(key: str) -> Module:
    return _modules[key]


def panel(key: str, title: Any, stats: Iterable[tuple[str, Any, Any]] = (), links: Iterable[tuple[Any, str]] = ()) -> dict[str, Any]:
    """A home-page panel: ``stats`` as (key, label, value), ``links`` as (label, url); what ``core/home.html`` draws."""
    return {"key": key, "title": title, "stats": [{"key": k, "label": label, "value": value} for k, label, value in stats],
            "links": [{"label": label, "url": url} for label, url in links]}


PANEL_TTL = 300  # seconds an area panel may be served from the cache when no module's version moved
OWN_PANEL_TTL = 60  # seconds for the panels of one account's own records
_area_panels: set[Panel] = set()
_live_panels: set[Panel] = set()
_NO_PANEL = "-"


def live_panel(make: Panel) -> Panel:
    """Mark a home panel that is computed on every visit: it shows records that change without a ``bump`` (sign-in
    lock-outs, say), so no cached copy of it could be trusted."""
    _live_panels.add(make)
    return make


def area_panel(make: Panel) -> Panel:
    """Mark a home panel whose content depends only on the actor's roles and places (counts of an area, a work
    queue of a level or department), not on who he is: ``home_panels`` then serves it from the cache, per scope,
    language and the versions of every module's figures (``bump``), for at most ``PANEL_TTL`` seconds. A city's
    administrators all see one computation instead of recounting the city's members on every visit."""
    _area_panels.add(make)
    return make


def _plain(value: Any) -> Any:
    """A panel with its lazy translations rendered, so that it can be cached per language."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _scope_signature(actor: Any) -> str:
    rows = sorted((s.role, s.kind, s.region_path, s.unit_id or 0, s.department_id or 0) for s in actor_scopes(actor))
    text = repr((bool(getattr(actor, "is_superuser", False)), rows))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def _versions() -> str:
    keys = [version_key(m.key) for m in modules()]
    found = cache.get_many(keys)
    return ".".join(str(found.get(k) or 0) for k in keys)


def home_panels(actor: Any) -> list[dict[str, Any]]:
    """The home page: each module contributes the panels of the roles it serves (a panel of None is not for this actor).

    Every panel but a ``live_panel`` comes from the cache while no module's version moved (``bump``): an
    ``area_panel`` per scope, for ``PANEL_TTL`` seconds, the others — what one account sees of his own records — per
    account, for ``OWN_PANEL_TTL`` seconds; both per language. One cache round trip for the versions and one for the panels; only the missing ones
    are computed (and stored together)."""
    makers = [make for m in modules() for make in m.panels]
    prefix = f"panel:{translation.get_language()}:{_scope_signature(actor)}:{_versions()}"
    own = f"{prefix}:own:{getattr(actor, 'pk', None) or 0}"
    keys = {make: f"{prefix}:{make.__module__}.{make.__qualname__}" for make in makers if make in _area_panels}
    found = cache.get_many([own, *keys.values()])
    mine = found.get(own)
    store: dict[str, Any] = {}
    if not isinstance(mine, dict):
        mine = {f"{make.__module__}.{make.__qualname__}": _plain(make(actor)) or _NO_PANEL for make in makers
                if make not in keys and make not in _live_panels}
        store[own] = mine
    panels: list[dict[str, Any]] = []
    for make in makers:
        panel: Any
        if make in _live_panels:
            panel = make(actor)
        elif make in keys:
            panel = found.get(keys[make])
            if panel is None:
                panel = store[keys[make]] = _plain(make(actor)) or _NO_PANEL
        else:
            panel = mine.get(f"{make.__module__}.{make.__qualname__}")
            if panel is None:  # a panel registered since the entry was stored
                panel = mine[f"{make.__module__}.{make.__qualname__}"] = _plain(make(actor)) or _NO_PANEL
                store[own] = mine
        if isinstance(panel, dict) and panel:
            panels.append(panel)
    for key, value in store.items():
        cache.set(key, value, OWN_PANEL_TTL if key == own else PANEL_TTL)
    return panels


def demo_steps() -> list[DemoStep]:
    return sorted((s for m in modules() for s in m.demo_steps), key=lambda s: (s.order, s.key))


def url_modules() -> list[Module]:
    """The modules that serve pages, in registration order of their prefixes (the empty prefix last)."""
    return sorted((m for m in _modules.values() if m.urls), key=lambda m: (m.url_prefix == "", m.order, m.key))


def api_modules() -> list[Module]:
    return sorted((m for m in _modules.values() if m.api), key=lambda m: (m.order, m.key))


def resolve(ref: str) -> Any:
    """``"package.module:name"`` → the object."""
    mod, _, name = ref.partition(":")
    return getattr(importlib.import_module(mod), name)


def sections(actor: Any, can: Callable[[Any, str], bool]) -> list[tuple[Module, list[NavEntry]]]:
    """The sidebar: each module with the entries this actor may open (a module with none is left out)."""
    out = []
    for m in modules():
        entries = [e for e in sorted(m.nav, key=lambda e: e.order) if e.permission is None or can(actor, e.permission)]
        if entries:
            out.append((m, entries))
    return out



def modules() -> list[Module]:
    return sorted(_modules.values(), key=lambda m: (m.order, m.key))


def figures() -> list[Figure]:
    return [f for m in modules() for f in m.figures]


def figure(key: str) -> Figure:
    for f in figures():
        if f.key == key:
            return f
    raise KeyError(key)


def warmups() -> list[Warmup]:
    return [w for m in modules() for w in m.warm]


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


def _figure_cache_key(fig: Figure, region: Any, period: Period | None, at: Any) -> str:
    return f"fig:{fig.key}:{getattr(region, 'pk', 'all')}:{period.key if period else 'now'}:{at or 0}"


def figure_value(key: str, region: Any, period: Period | None = None) -> float | int:
    """Cached per (figure, region, period, module version)."""
    return figure_values([(key, region)], period)[0]


def figure_values(wanted: Iterable[tuple[str, Any]], period: Period | None = None) -> list[float | int]:
    """Many ``(figure key, region)`` at once, as ``figure_value`` would give them: two cache round trips (the
    modules' versions, then the values), and only the missing ones computed and stored together."""
    pairs = [(figure(key), region) for key, region in wanted]
    versions = cache.get_many([version_key(m) for m in {f.module for f, _ in pairs}])
    keys = [_figure_cache_key(f, r, period, versions.get(version_key(f.module))) for f, r in pairs]
    found = cache.get_many(keys)
    missing: dict[str, float | int] = {}
    out: list[float | int] = []
    for (fig, region), key in zip(pairs, keys, strict=True):
        value = found.get(key, missing.get(key))
        if value is None:
            value = missing[key] = fig.compute(region, period)
        out.append(value)
    if missing:
        cache.set_many(missing, 3600)
    return out


# --- importers: each list registers its spreadsheet importer ---------------------------------


_importers: dict[str, ImporterDef] = {}


def register_importer(definition: ImporterDef) -> None:
    _importers[definition.kind] = definition


def unregister_importer(kind: str) -> None:
    _importers.pop(kind, None)


def importer(kind: str) -> ImporterDef:
    return _importers[kind]


def importers() -> list[ImporterDef]:
    return list(_importers.values())
