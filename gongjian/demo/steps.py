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

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db import connection, models

from gongjian.core import registry

BATCH_SIZE = 2000


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

    def bulk(self, model: type[models.Model], objs: Iterable[models.Model], *, batch_size: int | None = None) -> int:
        """Insert ``objs`` in batches without reading them back; returns the number of rows."""
        size = batch_size or self.batch_size
        total = 0
        iterator: Iterator[models.Model] = iter(objs)
        while batch := list(islice(iterator, size)):
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


def run_steps(ctx: DemoContext, steps: list[Step] | None = None) -> list[tuple[str, float, dict[str, int]]]:
    """Run the steps in order; returns (key, seconds, rows per table) for each."""
    report = []
    for step in steps if steps is not None else registered_steps():
        before = Counter(ctx.counts)
        started = time.perf_counter()
        ctx.out(f"  · {step.key}")
        step.fn(ctx)
        seconds = time.perf_counter() - started
        rows = {k: v - before.get(k, 0) for k, v in ctx.counts.items() if v - before.get(k, 0)}
        report.append((step.key, seconds, rows))
        summary = ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items())) or "-"
        ctx.out(f"    {seconds:6.1f} s  {summary}")
    return report
