"""Registry of demo-city steps and the context they share.

Each app registers the steps that fill its own tables from its ``AppConfig.ready()``::

    from gongjian.demo.steps import register_step

    def build_needs(ctx: DemoContext) -> None:
        rng = ctx.rng_for("cobuild.needs")
        ctx.bulk(Need, (Need(...) for community in ctx.communities()))

    register_step("cobuild.needs", 200, build_needs, models=[Need])

``gongjian demo`` runs the steps in ``order`` inside one transaction and prints each step's time
and row counts. ``models`` lists the tables a step fills: ``--reset`` empties them (in reverse
order of the steps) before building again.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from gongjian.core import registry

BATCH_SIZE = 2000
M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Step:
    key: str
    order: int
    fn: Callable[[DemoContext], None]
    models: tuple[type[models.Model], ...] = ()


_STEPS: dict[str, Step] = {}


def register_step(key: str, order: int, fn: Callable[[DemoContext], None], *, models: Iterable[type[models.Model]] = ()) -> None:
    """Register (or replace, by key) a step of the demo build. Lower ``order`` runs first."""
    _STEPS[key] = Step(key=key, order=order, fn=fn, models=tuple(models))


def unregister_step(key: str) -> None:
    _STEPS.pop(key, None)


def registered_steps() -> list[Step]:
    """The steps of the apps' manifests (``demo_steps``) and any registered here directly (tests), by order."""
    steps = {s.key: Step(key=s.key, order=s.order, fn=s.fn, models=tuple(s.models)) for s in registry.demo_steps()}
    steps.update(_STEPS)
    return sorted(steps.values(), key=lambda s: (s.order, s.key))


@dataclass
class DemoAccount:
    role: str
    username: str
    password: str
    scope_code: str
    scope_name: str = ""

    def as_json(self) -> dict[str, str]:
        return {"role": self.role, "username": self.username, "password": self.password, "scope_code": self.scope_code}


@dataclass
class DemoContext:
    """What every step gets: the seed, the scale, the regions built so far, helpers.

    * ``rng_for(key)``: a random generator of its own per step (or per part of a step), so adding a
      step never changes the data of the others for the same seed.
    * ``regions``: every Region built, by statistical code (``ctx.regions["410103"]``).
    * ``data``: what steps hand to later steps (e.g. ``data["units"]``), documented by the step.
    * ``bulk(model, objs)``: inserts in batches; ``new_ids(model, n)`` hands out primary keys in
      advance so parents, paths and foreign keys are computed in memory, not read back.
    * ``make(model, **fields)``: ``model(**fields)`` about four times faster, for the tables of
      hundreds of thousands of rows.
    * ``accounts``: the demo accounts created so far (written to ``var/demo-accounts.json``).
    * ``say(text)``: a progress line.
    """

    seed: int
    scale: str
    out: Callable[[str], None] = print
    regions: dict[str, Any] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    batch_size: int = BATCH_SIZE
    _next_id: dict[type[models.Model], int] = field(default_factory=dict)

    @property
    def is_city(self) -> bool:
        return self.scale == "city"

    def pick(self, small: Any, city: Any) -> Any:
        """The value for the current scale."""
        return city if self.is_city else small

    def rng_for(self, key: str) -> random.Random:
        return random.Random(f"{self.seed}:{key}")

    def say(self, text: str) -> None:
        self.out(f"    {text}")

    # -- regions -------------------------------------------------------------------------------
    def by_level(self, level: str, kind: str | None = None) -> list[Any]:
        return [r for r in self.regions.values() if r.level == level and (kind is None or r.kind == kind)]

    def communities(self, *, urban_only: bool = True) -> list[Any]:
        return [r for r in self.regions.values() if r.level == "community" and (not urban_only or r.kind == "community")]

    def region_named(self, name: str) -> Any:
        return next(r for r in self.regions.values() if r.name == name)

    def region_by_id(self, pk: int) -> Any:
        index = self.data.get("_regions_by_id")
        if index is None or len(index) != len(self.regions):
            index = self.data["_regions_by_id"] = {r.id: r for r in self.regions.values()}
        return index[pk]

    def within(self, region: Any, level: str | None = None) -> list[Any]:
        return [r for r in self.regions.values() if r.path.startswith(region.path) and (level is None or r.level == level)]

    # -- writing -------------------------------------------------------------------------------
    def new_ids(self, model: type[models.Model], n: int) -> range:
        """Reserve ``n`` primary keys for ``model`` (sequences are moved past them at the end)."""
        if model not in self._next_id:
            top = model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
            self._next_id[model] = top + 1
        start = self._next_id[model]
        self._next_id[model] = start + n
        return range(start, start + n)

    def new_id(self, model: type[models.Model]) -> int:
        return self.new_ids(model, 1)[0]

    def make(self, model: type[M], **values: Any) -> M:
        """``model(**values)``, about four times faster (Django's ``Model.__init__`` was a quarter of the Python
        time of the city's build): the fields' defaults are worked out once per model. Same instance: every field
        set, its default where not given, foreign keys by ``<name>_id`` or by object, properties through their
        setters; unknown names refused. Models with ``pre_init``/``post_init`` receivers are built by ``model()``."""
        maker = _MAKERS.get(model)
        if maker is None:
            maker = _MAKERS[model] = _Maker(model)
        return maker.make(values)  # type: ignore[return-value]

    def bulk(self, model: type[models.Model], objs: Iterable[models.Model], *, batch_size: int | None = None) -> int:
        """Insert ``objs`` in batches without reading them back; returns the number of rows.

        On PostgreSQL each batch is one ``COPY`` (``copy_rows``): several times faster than
        ``bulk_create`` for the city's ~1.1 million rows, in Python and in the server. Elsewhere
        ``bulk_create``. Either way the values are those ``bulk_create`` would write (``pre_save``,
        then ``get_db_prep_save``); rows planned without a primary key get theirs from the
        sequence, and on PostgreSQL it is not read back (hand out keys with ``new_ids`` when a step
        needs them)."""
        size = batch_size or self.batch_size
        total = 0
        iterator: Iterator[models.Model] = iter(objs)
        copy = connection.vendor == "postgresql"
        while batch := list(islice(iterator, size)):
            if copy:
                copy_rows(model, batch)
            else:
                model._default_manager.bulk_create(batch, batch_size=size)
            total += len(batch)
        self.counts[model._meta.label] += total
        return total

    def count(self, model: type[models.Model], n: int = 1) -> None:
        """Count rows a step wrote some other way (through a service, bulk_update …)."""
        self.counts[model._meta.label] += n

    def reset_sequences(self) -> None:
        """Move the primary-key sequences past the keys handed out by ``new_ids`` (PostgreSQL)."""
        from django.core.management.color import no_style

        if not self._next_id:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), list(self._next_id))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


_IMMUTABLE = (type(None), str, int, float, bool, dt.date, dt.datetime, dt.time, dt.timedelta)


class _Maker:
    """Builds instances of one model as ``Model.__init__`` does with keyword arguments, without its per-field work."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.signals = pre_init.has_listeners(model) or post_init.has_listeners(model)
        meta = model._meta
        self.static: dict[str, Any] = {}  # attname → its default, where that is one immutable value
        self.dynamic: list[Any] = []  # fields whose default is made anew for each instance (callables, database defaults)
        for f in meta.concrete_fields:
            default = f.get_default()
            if isinstance(default, _IMMUTABLE) and not (f.has_default() and callable(f.default)) and not f.has_db_default():
                self.static[f.attname] = default
            else:
                self.dynamic.append(f)
        self.attnames = {f.attname for f in meta.concrete_fields}
        self.names = {f.name for f in meta.concrete_fields} | set(meta._property_names)  # type: ignore[attr-defined]

    def make(self, values: dict[str, Any]) -> models.Model:
        if self.signals:
            return self.model(**values)
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        d = obj.__dict__
        d.update(self.static)
        for f in self.dynamic:
            d[f.attname] = f.get_default()
        for key, value in values.items():
            if key in self.attnames:
                d[key] = value
            elif key in self.names:  # a foreign key given as an object, a property
                setattr(obj, key, value)
            else:
                raise TypeError(f"{self.model.__name__}() got unexpected keyword arguments: '{key}'")
        return obj


_MAKERS: dict[type[models.Model], _Maker] = {}


# Field classes (exactly these, not subclasses) whose ``get_db_prep_save`` returns a value of these types unchanged
# on PostgreSQL: such values go to ``COPY`` as they are, the rest through ``get_db_prep_save`` (Decimal, JSON,
# naive datetimes, lazy strings …).
_INTS = (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField, models.BigIntegerField,
         models.SmallIntegerField, models.PositiveIntegerField, models.PositiveBigIntegerField, models.PositiveSmallIntegerField)
_PASS_THROUGH: dict[type, tuple[type, ...]] = {
    **dict.fromkeys(_INTS, (int,)), models.BooleanField: (bool,), models.DateField: (dt.date,), models.DateTimeField: (dt.datetime,),
}
_STRINGS = (models.CharField, models.TextField)  # any str, choices' members too (``to_python`` returns them as they are)


def _pass_through(field: models.Field) -> tuple[tuple[type, ...], bool]:
    """(the value types that need no preparation, whether a str of any kind does) for ``field``."""
    kind = type(field)
    if isinstance(field, models.ForeignKey) and kind in (models.ForeignKey, models.OneToOneField):
        target = type(field.target_field)
        return (int,) if target in _INTS else (), False
    return _PASS_THROUGH.get(kind, ()), kind in _STRINGS


def copy_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    """Write ``objs`` with PostgreSQL's ``COPY``, each value as ``bulk_create`` would prepare it.

    ``pre_save`` where a field needs it (``auto_now``), then ``get_db_prep_save`` unless the value is of a type it
    returns unchanged (an int key, a str, a date, an aware datetime, None where the column allows it). Objects with
    a primary key are written with it; those without get one from the sequence (not read back). Related objects
    assigned before they had a key are resolved (or refused) as ``bulk_create`` does.
    """
    from django.db.models.fields import Field

    meta = model._meta
    with_pk = [o for o in objs if o.pk is not None]
    without_pk = [o for o in objs if o.pk is None]
    with connection.cursor() as cur:
        db = cur.db  # the connection itself: ``django.db.connection`` is a proxy, slow at millions of look-ups
        for group, keep_pk in ((with_pk, True), (without_pk, False)):
            if not group:
                continue
            fields = [f for f in meta.concrete_fields if not f.generated and (keep_pk or not f.primary_key)]
            plan = []
            stamp = timezone.now()  # auto_now and auto_now_add: the time of the batch (bulk_create takes it per row)
            for f in fields:
                auto = isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)
                now = auto and type(f) is models.DateTimeField
                plain = type(f).pre_save is Field.pre_save or (type(f) in (models.DateField, models.DateTimeField) and not auto)
                types, strings = _pass_through(f)
                plan.append((f, f.attname, plain, now, types, strings, f.null))
            aware = [i for i, (f, *_rest) in enumerate(plan) if type(f) is models.DateTimeField]
            cols = ", ".join(db.ops.quote_name(f.column) for f in fields)
            with cur.cursor.copy(f"COPY {db.ops.quote_name(meta.db_table)} ({cols}) FROM STDIN") as copy:
                for obj in group:
                    if obj._state.fields_cache:  # a related object was assigned: check it as bulk_create does
                        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
                    row = []
                    for f, attname, plain, now, types, strings, null in plan:
                        if now:
                            value = stamp
                            setattr(obj, attname, stamp)
                        else:
                            value = getattr(obj, attname) if plain else f.pre_save(obj, True)
                        if not ((value is None and null) or type(value) in types or (strings and isinstance(value, str))):
                            value = f.get_db_prep_save(value, db)
                        row.append(value)
                    for i in aware:  # a naive datetime gets bulk_create's warning and conversion
                        value = row[i]
                        if value is not None and value.utcoffset() is None:
                            row[i] = plan[i][0].get_db_prep_save(value, db)
                    copy.write_row(row)
                    obj._state.adding = False
                    obj._state.db = db.alias


@contextmanager
def given_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the ``created_at``/``updated_at`` the step computed (the history of
    the demo) instead of stamping the moment of the build."""
    fields = [m._meta.get_field(name) for m in model_classes for name in ("created_at", "updated_at")]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add  # type: ignore[union-attr]


def step_line(seconds: float, cpu: float, summary: str = "-") -> str:
    """A step's time line: wall seconds, the seconds this process computed (the rest is the database, or waiting for
    a core on a busy machine), what it wrote."""
    return f"    {seconds:6.1f} s  ({cpu:.1f} s CPU here)  {summary}"


def run_steps(ctx: DemoContext, steps: list[Step] | None = None) -> list[tuple[str, float, dict[str, int]]]:
    """Run the steps in order; returns (key, seconds, rows per table) for each and prints each step's wall time, its
    CPU time in this process and the rows it wrote."""
    report = []
    for step in steps if steps is not None else registered_steps():
        before = Counter(ctx.counts)
        started, cpu = time.perf_counter(), time.process_time()
        ctx.out(f"  · {step.key}")
        step.fn(ctx)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        rows = {k: v - before.get(k, 0) for k, v in ctx.counts.items() if v - before.get(k, 0)}
        report.append((step.key, seconds, rows))
        summary = ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) or "-"
        ctx.out(step_line(seconds, cpu, summary))
    return report
