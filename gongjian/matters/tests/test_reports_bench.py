"""Smoke test of bench/bench_matters.py (not timed): the generator writes consistent matters, the sweep flags and is
undone, and every measured page answers — on a few thousand matters in the test database."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from gongjian.matters.choices import MATTER_OPEN, AssignmentStatus, MatterStatus
from gongjian.matters.models import Assignment, Matter

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_smoke(tree: Any, capsys: Any, seeded_catalogue: None) -> None:
    import bench_matters

    assert bench_matters.main(["--smoke", "--matters", "3000", "--repeat", "1", "--repeat-sweep", "1"]) == 0
    out = capsys.readouterr().out
    assert "overdue sweep" in out and "/matters/" in out and "HTTP" not in out
    generated = Matter.objects.filter(source_ref=bench_matters.MARK)
    assert generated.count() == 3000
    share = generated.filter(status__in=MATTER_OPEN).count() / 3000
    assert 0.07 < share < 0.13
    for m in generated.filter(status=MatterStatus.ASSIGNED)[:50]:
        assert Assignment.objects.filter(matter=m, status__in=(AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS)).count() == 1
    assert all(m.region_path.startswith(m.owner_path) for m in generated[:200])
    # the run leaves the overdue flags set by a last sweep, as in production
    assert generated.filter(is_overdue=True).exists()
    # reused when present
    assert bench_matters.ensure_matters(3000, False).startswith("reused")
