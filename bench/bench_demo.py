"""Benchmark of ``gongjian demo``: both scales on SQLite and on PostgreSQL.

Each run is a subprocess on a fresh database (SQLite: a new temporary GONGJIAN_VAR_DIR;
PostgreSQL: the database dropped, created and migrated first), so the timed run is the build
itself ("migrate-less"). Wall time is measured around the subprocess; peak RSS is the child's
maximum resident set size (``resource.getrusage(RUSAGE_CHILDREN)`` of a fresh helper process per
run) and its CPU time (user + system: the rest of the wall time is the database, or waiting for a core on a
busy machine); each step's wall and CPU time are read from the command's output; the load average before and
after each run is printed with it. Prints the figures with the machine's facts.

    .venv/bin/python bench/bench_demo.py [--scales small city] [--databases sqlite postgres]
        [--pg-url postgres://postgres@127.0.0.1:5432/gj_demo_bench] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LIMITS = {"small": 15.0, "city": 180.0}
RSS_LIMIT_MB = 2048

# Runs one command and prints {"seconds", "cpu", "maxrss_kb", "rc"} as JSON: the child's peak RSS and CPU time
# (user + system) are measured in a process of its own so earlier runs do not count.
_RUNNER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
seconds = time.perf_counter() - t
sys.stderr.write(p.stdout)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss, "rc": p.returncode}))
"""
# "  · key" then "    12.3 s  (4.5 s CPU here)  rows …": the command's line per step (and for commit and analyze).
_STEP = re.compile(r"^  · (?P<key>\S+)$")
_TIME = re.compile(r"^\s+(?P<seconds>[\d.]+) s  \((?P<cpu>[\d.]+) s CPU here\)")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def parse_steps(log: str) -> list[tuple[str, float, float]]:
    """(step, wall seconds, CPU seconds in the command's process) from the command's output."""
    steps, key = [], None
    for line in log.splitlines():
        if m := _STEP.match(line):
            key = m["key"]
        elif key and (t := _TIME.match(line)):
            steps.append((key, float(t["seconds"]), float(t["cpu"])))
            key = None
    return steps


def machine_facts(pg_url: str | None) -> dict[str, str]:
    facts = {"python": platform.python_version(), "platform": platform.platform(), "cores": str(os.cpu_count())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["ram"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    import sqlite3

    facts["sqlite"] = sqlite3.sqlite_version
    if pg_url:
        try:
            import psycopg

            with psycopg.connect(_admin_url(pg_url), connect_timeout=5) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                facts["postgresql"] = str(row[0]) if row else "?"
        except Exception as exc:  # noqa: BLE001 - a fact we could not read is reported as such
            facts["postgresql"] = f"unavailable ({exc.__class__.__name__})"
    return facts


def _admin_url(pg_url: str) -> str:
    return pg_url.rsplit("/", 1)[0] + "/postgres"


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "GONGJIAN_VAR_DIR")}
    env.update(extra)
    return env


def _gongjian(*args: str) -> list[str]:
    return [PYTHON, "-c", "from gongjian.cli import main; main()", *args]


def fresh_database(db: str, pg_url: str, var_dir: Path) -> dict[str, str]:
    env = _env({"GONGJIAN_VAR_DIR": str(var_dir)})
    if db == "postgres":
        import psycopg

        name = pg_url.rsplit("/", 1)[1]
        with psycopg.connect(_admin_url(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = pg_url
    subprocess.run(_gongjian("migrate", "-v", "0"), env=env, cwd=ROOT, check=True)
    return env


def run_one(db: str, scale: str, seed: int, pg_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gj-bench-") as tmp:
        env = fresh_database(db, pg_url, Path(tmp))
        cmd = [PYTHON, "-c", _RUNNER, *_gongjian("demo", "--scale", scale, "--seed", str(seed))]
        load_before = loadavg()
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started
        load = f"{load_before} → {loadavg()}"
        if proc.returncode != 0 or not proc.stdout.strip():
            sys.stderr.write(proc.stderr[-4000:])
            return {"db": db, "scale": scale, "ok": False, "seconds": wall, "cpu": 0.0, "peak_rss_mb": 0.0, "load": load, "steps": []}
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if result["rc"] != 0:
            sys.stderr.write(proc.stderr[-4000:])
        return {
            "db": db, "scale": scale, "ok": result["rc"] == 0, "seconds": result["seconds"], "cpu": result["cpu"],
            "peak_rss_mb": result["maxrss_kb"] / 1024, "load": load, "steps": parse_steps(proc.stderr),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", nargs="+", default=["small", "city"], choices=["small", "city"])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gj_demo_bench"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    facts = machine_facts(args.pg_url if "postgres" in args.databases else None)
    print("gongjian demo benchmark")
    for key, value in facts.items():
        print(f"  {key:<10} {value}")
    results = []
    for db in args.databases:
        for scale in args.scales:
            print(f"\n{db} / {scale} …", flush=True)
            r = run_one(db, scale, args.seed, args.pg_url)
            results.append(r)
            print("    | step | wall (s) | CPU here (s) |\n    |---|---:|---:|")
            for key, seconds, cpu in r["steps"]:
                print(f"    | {key} | {seconds:.1f} | {cpu:.1f} |")
            print(f"  {'ok' if r['ok'] else 'FAILED'}: {r['seconds']:.1f} s ({r['cpu']:.1f} s CPU in the command's process, the rest is "
                  f"the database or waiting for a core), peak RSS {r['peak_rss_mb']:.0f} MB, load average {r['load']}", flush=True)

    print("\n| database | scale | wall time (s) | CPU here (s) | limit (s) | peak RSS (MB) | load average (1, 5, 15 min) | within limits |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    failed = False
    for r in results:
        within = bool(r["ok"]) and float(r["seconds"]) <= LIMITS[str(r["scale"])] and float(r["peak_rss_mb"]) <= RSS_LIMIT_MB
        failed |= not within
        limit = LIMITS[str(r["scale"])]
        print(f"| {r['db']} | {r['scale']} | {r['seconds']:.1f} | {r['cpu']:.1f} | {limit:.0f} | {r['peak_rss_mb']:.0f} | {r['load']} | "
              f"{'yes' if within else 'NO'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
