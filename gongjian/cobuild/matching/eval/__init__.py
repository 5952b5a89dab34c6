"""The matching engine's evaluation set and its metrics (issue #3 point 5). No database.

The set lives in ``data/`` (packaged with the app): ``needs.csv`` and ``resources.csv`` in the batch format of
``gongjian match`` (needs add ``quantity`` and a ``case`` column of ``;``-separated tags, which the batch reader
ignores), and ``judgments.csv`` (``need_id,resource_id,grade``: 2 = good match, 1 = acceptable; pairs not listed
are not relevant). See ``README.md`` for how it was made. ``gongjian match_eval`` prints the figures.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from gongjian.cobuild.matching import Need, Resource, read_needs_csv, read_resources_csv

DATA_DIR = Path(__file__).resolve().parent / "data"
#: The set's expired / not-yet-available resources are written relative to this day; always evaluate with it.
TODAY = date(2026, 11, 25)
CASES = (
    "plain",
    "synonym",
    "short_title",
    "blank_category",
    "odd_category",
    "wrong_service",
    "far_away",
    "expired",
    "capacity",
)


@dataclass(frozen=True)
class EvalSet:
    needs: list[Need]
    resources: list[Resource]
    judgments: dict[str, dict[str, int]]  # need id -> {resource id: grade}
    cases: dict[str, tuple[str, ...]]  # need id -> case tags


@dataclass(frozen=True)
class Scores:
    """Mean figures over ``count`` needs; ``recall`` maps k to recall@k (the share of needs with a hit in the top k)."""

    count: int
    recall: dict[int, float]
    mrr: float


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_judgments(path: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    for row in _csv_rows(path):
        grade = int(row["grade"])
        if grade not in (1, 2):
            raise ValueError(f"judgment {row['need_id']} → {row['resource_id']}: grade {grade} is not 1 or 2")
        judged.setdefault(row["need_id"], {})[row["resource_id"]] = grade
    return judged


def read_cases(path: Path) -> dict[str, tuple[str, ...]]:
    return {row["id"]: tuple(t.strip() for t in (row.get("case") or "").split(";") if t.strip()) for row in _csv_rows(path)}


def load(data_dir: Path = DATA_DIR) -> EvalSet:
    """Read the set through the engine's own batch readers (so the set is also a test of them)."""
    return EvalSet(
        needs=read_needs_csv(data_dir / "needs.csv"),
        resources=read_resources_csv(data_dir / "resources.csv"),
        judgments=read_judgments(data_dir / "judgments.csv"),
        cases=read_cases(data_dir / "needs.csv"),
    )


def relevant(grades: Mapping[str, int], min_grade: int) -> set[str]:
    return {rid for rid, g in grades.items() if g >= min_grade}


def recall_at_k(ranked: Sequence[str], relevant_ids: Iterable[str], k: int) -> float:
    """1.0 when any relevant id is among the first ``k`` ranked ids, else 0.0 (the hit rate used for one good match)."""
    wanted = set(relevant_ids)
    return 1.0 if any(rid in wanted for rid in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant_ids: Iterable[str]) -> float:
    """1 / position of the first relevant id (positions start at 1); 0.0 when none is ranked."""
    wanted = set(relevant_ids)
    for position, rid in enumerate(ranked, start=1):
        if rid in wanted:
            return 1.0 / position
    return 0.0


def first_hit(ranked: Sequence[str], relevant_ids: Iterable[str]) -> int | None:
    wanted = set(relevant_ids)
    return next((position for position, rid in enumerate(ranked, start=1) if rid in wanted), None)


def score(
    rankings: Mapping[str, Sequence[str]],
    judgments: Mapping[str, Mapping[str, int]],
    *,
    min_grade: int = 2,
    ks: Sequence[int] = (1, 5),
    need_ids: Iterable[str] | None = None,
) -> Scores:
    """Mean recall@k and MRR over the needs (all judged needs, or ``need_ids``); a need without a ranking scores 0.

    A need with no resource of at least ``min_grade`` is left out (it cannot be hit)."""
    ids = list(need_ids) if need_ids is not None else list(judgments)
    counted = [nid for nid in ids if relevant(judgments.get(nid, {}), min_grade)]
    if not counted:
        return Scores(count=0, recall={k: 0.0 for k in ks}, mrr=0.0)
    recall = {k: 0.0 for k in ks}
    mrr = 0.0
    for nid in counted:
        ranked = rankings.get(nid, ())
        wanted = relevant(judgments[nid], min_grade)
        for k in ks:
            recall[k] += recall_at_k(ranked, wanted, k)
        mrr += reciprocal_rank(ranked, wanted)
    n = len(counted)
    return Scores(count=n, recall={k: v / n for k, v in recall.items()}, mrr=mrr / n)
