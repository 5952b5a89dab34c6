"""Reading registered figures for a region in the actor's scope: the figures page and its export.

The cockpit (a later module) draws charts; this is the plain table every administrator can read:
each registered figure for one region of his scope, "as of now" or for a year or quarter, and,
for one chosen figure, the same number for each child region (drill-down one level at a time).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import registry
from .contracts import region_model
from .errors import NotFound, ValidationError
from .permissions import require
from .registry import Figure, Period
from .scope import region_paths

VIEW = "core.figures_view"
PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:[Qq](?P<q>[1-4]))?$")


@dataclass(frozen=True)
class FigureRow:
    figure: Figure
    value: float | int


def parse_period(value: str | None) -> Period | None:
    """'' → as of now; '2026' → the year; '2026Q3' → the quarter. Anything else is a clear error."""
    text = (value or "").strip()
    if not text:
        return None
    m = PERIOD_RE.match(text)
    if not m or not 2000 <= int(m["year"]) <= 2100:
        raise ValidationError(_("Choose a year such as 2026 or a quarter such as 2026Q3."), details={"period": [_("Unknown period.")]})
    year = int(m["year"])
    return Period.quarter(year, int(m["q"])) if m["q"] else Period.year(year)


def period_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    """This and last year, and the quarters of this year so far."""
    today = today or timezone.localdate()
    out: list[tuple[str, str]] = []
    for year in (today.year, today.year - 1):
        out.append((str(year), str(_("Year %(year)s") % {"year": year})))
        last_q = (today.month - 1) // 3 + 1 if year == today.year else 4
        out.extend((f"{year}Q{q}", str(_("%(year)s Q%(q)s") % {"year": year, "q": q})) for q in range(last_q, 0, -1))
    return out


def figure_regions(*, actor: Any) -> list[Any]:
    """The top regions the actor may read figures for."""
    Region = region_model()
    require(actor, VIEW)
    paths = region_paths(actor, VIEW)
    if paths == [""]:
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return list(Region.objects.filter(path__in=tops).order_by("code"))


def figure_region(*, actor: Any, code: str | None) -> Any:
    """The region named by ``code`` if it lies in the actor's scope (else NotFound); default: his first top region."""
    Region = region_model()
    roots = figure_regions(actor=actor)
    if not code:
        if not roots:
            raise NotFound()
        return roots[0]
    region = Region.objects.filter(code=str(code).strip()[:15]).first()
    if region is None or not any(region.path.startswith(r.path) for r in roots):
        raise NotFound()
    return region


def figure_rows(region: Any, period: Period | None) -> list[tuple[registry.Module, list[FigureRow]]]:
    figures = [(module, f) for module in registry.modules() for f in module.figures]
    values = registry.figure_values([(f.key, region) for _, f in figures], period)
    out: list[tuple[registry.Module, list[FigureRow]]] = []
    for (module, fig), value in zip(figures, values, strict=True):
        if not out or out[-1][0] is not module:
            out.append((module, []))
        out[-1][1].append(FigureRow(fig, value))
    return out


def figure_breakdown(key: str, region: Any, period: Period | None) -> tuple[Figure, list[tuple[Any, float | int]]]:
    """One figure for each active child region of ``region`` (unknown key = NotFound)."""
    try:
        fig = registry.figure(key)
    except KeyError:
        raise NotFound() from None
    children = list(region.children.filter(is_active=True).order_by("code"))
    return fig, list(zip(children, registry.figure_values([(fig.key, child) for child in children], period), strict=True))
