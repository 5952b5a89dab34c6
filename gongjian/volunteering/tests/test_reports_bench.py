"""Smoke test of bench/bench_volunteering.py (not timed): the generators write consistent report-ins and hour records
(reused when present) and every measured selector and page that exists answers — on a few thousand records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from gongjian.volunteering.models import HourRecord, MemberReportIn

from .domain import World, w_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

pytestmark = pytest.mark.django_db


def test_bench_smoke(w: World, capsys: Any) -> None:
    import bench_volunteering

    assert bench_volunteering.main(["--smoke", "--hours", "2000", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "added 4 confirmed report-ins" in out and "generated 2,000 hour records" in out
    assert "selectors.unit_report_ins" in out or "missing: members.selectors.unit_report_ins" in out
    assert "leaderboard" in out
    # every in-service member reported in to his home community, with his unit
    for m in w.m.values():
        ri = MemberReportIn.objects.get(member=m, status="confirmed")
        assert ri.community_id == m.home_community_id and ri.unit_id == m.employer_unit_id
    records = HourRecord.objects.filter(note=bench_volunteering.MARK)
    assert records.count() == 2000
    assert set(records.values_list("status", flat=True)) == {"confirmed", "pending", "rejected"}
    assert not records.filter(status="confirmed", points=0).exists() and not records.exclude(status="confirmed").exclude(points=0).exists()
    paths = {m.pk: m.home_path for m in w.m.values()}
    assert all(paths[mid] == path for mid, path in records.values_list("member_id", "region_path")[:200])
    # reused when present
    assert bench_volunteering.ensure_report_ins().startswith("reused")
    assert bench_volunteering.ensure_hours(2000, False).startswith("reused")
