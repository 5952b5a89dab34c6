"""Smoke test of bench/bench_volunteering_signup.py (not timed): members are built, an activity published, the sign-ups
run and the capacity rule is checked — with tiny numbers on the test database (several workers on PostgreSQL, one on
SQLite, which cannot run two writers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from gongjian.volunteering.models import Shift, Signup

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_smoke(capsys: Any) -> None:
    import bench_volunteering_signup as bench

    workers = "4" if connection.vendor == "postgresql" else "1"
    assert bench.main(["--smoke", "--signups", "80", "--capacity", "10", "--workers", workers, "--board", "3000", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert "sign-ups per second" in out and "capacity rule held: yes" in out and "errors: 0" in out and "leaderboard on 3000" in out
    assert Shift.objects.count() == 4
    assert Signup.objects.filter(status="confirmed").count() == 40 == sum(Shift.objects.values_list("taken", flat=True))
    assert Signup.objects.filter(status="waiting").count() == 40
    # members are reused by a second run
    assert bench.main(["--smoke", "--signups", "40", "--capacity", "10", "--workers", workers, "--board", "0"]) == 0
    assert "created" not in capsys.readouterr().out
