"""Smoke test of bench/bench_load.py (not timed, no server, no wrk): on the small demo in the test database, every role signs
in through the login form, its endpoints are enumerated from the project (home, sidebar, list pages, API lists) and each
answers in-process.

What counts as answering: every endpoint driven for a role answers 200, except a sidebar entry, which may answer a redirect
(``/regions/`` sends an administrator to his own region); nothing answers 5xx while enumerating or measuring. List pages and
API lists that refuse a role (401/403/404) or need a parameter (422) are not that role's endpoints: the bench lists them
apart and does not drive them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from gongjian.demo import build as demo_build

# The bench runs on PostgreSQL; the SQLite pass keeps to what differs between the databases.
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="bench_load targets PostgreSQL")

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture
def small_demo(db: Any, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # the demo's accounts file, read by the bench for the passwords
    demo_build.build(scale="small", seed=11, out=lambda _s: None)


def test_bench_load_smoke(small_demo: None, tmp_path: Path, capsys: Any) -> None:
    import bench_load

    out_json = tmp_path / "load.json"
    assert bench_load.main(["--smoke", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    result = json.loads(out_json.read_text(encoding="utf-8"))
    assert result["errors"] == []
    roles = {r["key"]: r for r in result["roles"]}
    assert list(roles) == bench_load.DEFAULT_ROLES
    for key, role in roles.items():
        assert role["sign_in"] == "login form", key
        rows = role["rows"]
        assert rows and rows[0]["path"] == "/", key
        assert f"== {key}: {role['username']}" in out
        for row in rows:
            ok = row["status"] == 200 or (row["source"] == "nav" and 300 <= row["status"] < 400)
            assert ok, f"{key} {row['path']}: HTTP {row['status']}"
            assert row["queries"] > 0 and row["rps"] is None
        sources = {r["source"] for r in rows}
        assert {"home", "nav", "list", "api"} <= sources, (key, sources)
    # staff see the administrative lists, the member his own pages; the member is the demo's member with a linked account
    assert "/orgs/members/" in {r["path"] for r in roles["city"]["rows"]}
    assert "/api/v1/orgs/members" in {r["path"] for r in roles["city"]["rows"]}
    member_paths = {r["path"] for r in roles["member"]["rows"]}
    assert "/orgs/me/" in member_paths and "/orgs/members/" not in member_paths
    assert roles["member"]["username"] == "demo_member"
    assert any(r.startswith("/api/v1/orgs/members ") for r in roles["member"]["refused"])
