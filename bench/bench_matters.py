"""Benchmark of matters at scale (issue #5): 1,000,000 matters in PostgreSQL, 10% open.

Targets: the overdue sweep (``matters.services.sweep_overdue``) ≤ 5 s; a district's work queue and the
matter list with filters ≤ 150 ms median server time.

The database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/gj5_reports_bench``)
gets the demo city (``--demo city``, built once and reused) and then 1,000,000 matters spread over its
urban communities (reused when present; ``--rebuild-matters`` replaces them), written with
PostgreSQL ``COPY``: reported over the last two years; 90% closed, resolved or rejected, 10% open
(reported, accepted, escalated to the subdistrict or district, assigned, reopened), the open ones
reported in the last 60 days so that about a third are past a deadline and not yet flagged; every
assigned matter has an active lead assignment of a department of its district, and 30% of the closed
ones a finished one. No timeline is written for the generated matters (the sweep adds its own).

Measured in one Django process on that database:

* **the sweep**: ``sweep_overdue()`` run for real on the unflagged data (it flags every matter and
  assignment past its deadline, writes one OVERDUE timeline entry each, one notification per level and
  department, an audit event) — then the flags, entries and notifications it made are removed and it
  runs again (``--repeat-sweep`` times, the median reported); and the steady-state sweep (nothing new
  to flag) right after a run;
* **the work queue** of 二七区's administrator: ``selectors.work_queue`` (every tab counted, the current
  tab's first page loaded) and the real page ``/matters/`` through ``django.test.Client`` (URL
  resolution, middleware, view, templates; no network);
* **the matter list** ``/matters/list/`` with filters (open + overdue; status + urgency; a category and
  a subdistrict; a text search; a date range), and ``selectors.matter_list`` for the same filters.

Server time is the in-process time of ``client.get``; each variant is requested ``--repeat`` times after
three warm-up requests. Prints the machine, the figures and ``EXPLAIN ANALYZE`` of the slowest query when
a target is missed.

    .venv/bin/python bench/bench_matters.py [--database-url URL] [--matters 1000000] [--repeat 30]
        [--repeat-sweep 3] [--demo city|small] [--rebuild-matters] [--smoke]

``--smoke`` (used by the tests) runs everything on the configured database with a few thousand
matters and no timing targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

SWEEP_TARGET_S = 5.0
PAGE_TARGET_MS = 150.0
DISTRICT = "410103"  # 二七区
BENCH_USER = "bench_matters_erqi"
MARK = "bench-matters"  # source_ref of the generated matters
OPEN_SHARE = 0.10


# --- data -----------------------------------------------------------------------------------------


def ensure_demo(scale: str) -> str:
    from django.core.management import call_command

    from gongjian.regions.models import Region

    call_command("migrate", interactive=False, verbosity=0)
    communities = Region.objects.filter(level="community", kind="community").count()
    if communities >= (900 if scale == "city" else 20):
        return f"reused ({communities:,} urban communities)"
    t = time.perf_counter()
    call_command("demo", scale=scale, seed=2026, reset=Region.objects.exists(), no_migrate=True, stdout=open(os.devnull, "w"))
    return f"built {scale} demo in {time.perf_counter() - t:.1f} s"


def bench_user() -> Any:
    from gongjian.accounts import services
    from gongjian.accounts.models import User
    from gongjian.regions.models import Region

    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = services.user_create(actor=None, username=BENCH_USER, password=services.generate_password(),
                                    display_name="二七区管理员（基准测试）", validate=False)
    district = Region.objects.get(code=DISTRICT)
    if not user.scopes.filter(role="district_admin", region=district, is_active=True).exists():
        services.scope_grant(actor=None, user=user, role="district_admin", region=district)
    return user


def generate(n: int, seed: int = 2026, out: Any = print) -> float:
    """Write ``n`` matters (and their assignments) with COPY; returns the seconds it took."""
    from django.db import connection
    from django.utils import timezone

    from gongjian.matters.choices import AssignmentRole, AssignmentStatus, MatterSource, MatterStatus, Urgency
    from gongjian.matters.models import Assignment, Matter, MatterCategory
    from gongjian.regions.models import Department, Region

    rng = random.Random(seed)
    started = time.perf_counter()
    now = timezone.now()
    regions = {r.pk: r for r in Region.objects.filter(level__in=("city", "district", "subdistrict", "community"))}
    by_path = {r.path: r for r in regions.values()}
    communities = [r for r in regions.values() if r.level == "community" and r.kind == "community"]
    depts: dict[str, list[int]] = {}
    for d in Department.objects.filter(kind__in=("civil_affairs", "finance", "urban_construction", "human_resources", "housing",
                                                 "urban_management")):
        depts.setdefault(d.region_path, []).append(d.pk)
    leaves = list(MatterCategory.objects.filter(level=3).values_list("pk", "default_urgency"))
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM matters_matter")
        next_id = cur.fetchone()[0] + 1
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM matters_assignment")
        next_aid = cur.fetchone()[0] + 1
    mcols = [str(f.column) for f in Matter._meta.concrete_fields]
    acols = [str(f.column) for f in Assignment._meta.concrete_fields]
    span = 730 * 86400
    open_statuses = ((MatterStatus.REPORTED, 0.15), (MatterStatus.ACCEPTED, 0.25), (MatterStatus.ESCALATED, 0.15),
                     (MatterStatus.ASSIGNED, 0.40), (MatterStatus.REOPENED, 0.05))
    urgency_hours: dict[str, tuple[int, int]] = {
        Urgency.EMERGENCY: (1, 2), Urgency.UTILITIES: (2, 24), Urgency.GENERAL: (24, 24 * 9), Urgency.COMPLEX: (24, 24 * 21)}
    assignments: list[dict[str, Any]] = []

    def rows() -> Any:
        nonlocal next_aid
        for i in range(n):
            mid = next_id + i
            c = rng.choice(communities)
            parts = c.path.strip("/").split("/")
            is_open = rng.random() < OPEN_SHARE
            age = rng.uniform(0, 60 * 86400) if is_open else rng.uniform(60 * 86400, span)
            reported = now - dt.timedelta(seconds=age)
            cat, default_urgency = rng.choice(leaves)
            urgency = default_urgency or Urgency.GENERAL
            acc_h, res_h = urgency_hours[urgency]
            accept_due = reported + dt.timedelta(hours=acc_h)
            resolve_due = reported + dt.timedelta(hours=res_h)
            if is_open:
                r = rng.random()
                status = MatterStatus.ASSIGNED
                for st, share in open_statuses:
                    if r < share:
                        status = st
                        break
                    r -= share
            else:
                r = rng.random()
                status = MatterStatus.CLOSED if r < 0.9 else MatterStatus.RESOLVED if r < 0.96 else MatterStatus.REJECTED
            owner = c
            escalations = 0
            if status != MatterStatus.REPORTED and rng.random() < 0.3:
                escalations = 1 if rng.random() < 0.75 else 2
                owner = by_path["/" + "/".join(parts[: 4 - escalations]) + "/"]
            accepted = reported + dt.timedelta(hours=rng.uniform(0.1, acc_h * 1.1)) if status != MatterStatus.REPORTED else None
            resolved = None
            closed = None
            callback = None
            satisfaction = ""
            if status in (MatterStatus.RESOLVED, MatterStatus.CLOSED):
                resolved = (accepted or reported) + dt.timedelta(hours=rng.uniform(2, res_h * 1.2))
            if status == MatterStatus.CLOSED:
                callback = resolved + dt.timedelta(hours=rng.uniform(12, 72))  # type: ignore[operator]
                closed = callback
                satisfaction = "satisfied" if rng.random() < 0.8 else "basically"
            rejected = reported + dt.timedelta(hours=5) if status == MatterStatus.REJECTED else None
            district = by_path["/" + "/".join(parts[:2]) + "/"]
            if status == MatterStatus.ASSIGNED or (status == MatterStatus.CLOSED and rng.random() < 0.3):
                pool = depts.get(district.path) or [0]
                assigned_at = (accepted or reported) + dt.timedelta(hours=rng.uniform(1, 48))
                deadline = assigned_at + dt.timedelta(days=rng.choice((5, 10, 15, 20)))
                done = status == MatterStatus.CLOSED
                assignments.append({
                    "id": next_aid, "created_at": assigned_at, "updated_at": resolved or assigned_at, "matter_id": mid,
                    "department_id": rng.choice(pool), "role": AssignmentRole.LEAD,
                    "status": AssignmentStatus.DONE if done else rng.choice((AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS)),
                    "deadline": deadline, "assigned_by_id": None, "assigned_at": assigned_at, "by_region_id": owner.pk,
                    "accepted_at": assigned_at if done else None, "done_at": resolved if done else None, "result": "已办结" if done else "",
                    "returned_at": None, "return_reason": "", "reminded_at": None, "is_overdue": False, "follow_up_count": 0,
                })
                next_aid += 1
            values = {
                "id": mid, "created_at": reported, "updated_at": closed or resolved or accepted or reported,
                "number": f"SX{timezone.localtime(reported):%Y%m%d}{mid:06d}", "title": f"基准事项{mid}：小区路灯不亮",
                "description": "", "category_id": cat, "urgency": urgency, "source": rng.choice(MatterSource.values), "status": status,
                "community_id": c.pk, "region_path": c.path, "owner_id": owner.pk, "owner_path": owner.path, "top_depth": owner.depth,
                "address": "", "lat": None, "lng": None, "reporter_name": "", "reporter_phone_enc": "", "reporter_phone_hash": "",
                "reported_by_id": None, "external_ref": None, "source_ref": MARK, "reported_at": reported, "accept_due": accept_due,
                "resolve_due": resolve_due, "accepted_at": accepted, "escalated_at": accepted if escalations else None,
                "escalation_count": escalations, "resolved_at": resolved, "closed_at": closed, "rejected_at": rejected,
                "reject_reason": "不属于政府职能范围" if rejected else "", "resolution": "已办结" if resolved else "", "satisfaction": satisfaction,
                "callback_at": callback, "callback_note": "", "reopen_count": 1 if status == MatterStatus.REOPENED else 0,
                "coordinated_at": None, "is_overdue": False, "version": 1,
            }
            yield tuple(values[col] for col in mcols)

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            raw = cur.cursor  # psycopg's own cursor for COPY
            written = 0
            with raw.copy(f"COPY matters_matter ({', '.join(mcols)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
                    written += 1
                    if written % 200_000 == 0:
                        out(f"    {written:,} matters …")
            with raw.copy(f"COPY matters_assignment ({', '.join(acols)}) FROM STDIN") as copy:
                for a in assignments:
                    copy.write_row(tuple(a[c] for c in acols))
            for table in ("matters_matter", "matters_assignment"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608 - our table names
        else:  # SQLite (the smoke test): plain inserts
            ph = ", ".join(["%s"] * len(mcols))
            cur.executemany(f"INSERT INTO matters_matter ({', '.join(mcols)}) VALUES ({ph})", list(rows()))  # noqa: S608
            ph = ", ".join(["%s"] * len(acols))
            cur.executemany(f"INSERT INTO matters_assignment ({', '.join(acols)}) VALUES ({ph})",  # noqa: S608
                            [tuple(a[c] for c in acols) for a in assignments])
    vacuum()
    out(f"    {n:,} matters and {len(assignments):,} assignments written")
    return time.perf_counter() - started


def ensure_matters(n: int, rebuild: bool, out: Any = print) -> str:
    from django.db import connection

    from gongjian.matters.models import Matter

    have = Matter.objects.filter(source_ref=MARK).count()
    if have >= n and not rebuild:
        return f"reused ({have:,} generated matters)"
    if have:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM meetings_decision_assignments WHERE assignment_id IN (SELECT a.id FROM matters_assignment a JOIN "
                        "matters_matter m ON m.id = a.matter_id WHERE m.source_ref = %s)", [MARK])
            for table in ("matters_assignment", "matters_matterevent"):
                cur.execute(f"DELETE FROM {table} WHERE matter_id IN (SELECT id FROM matters_matter WHERE source_ref = %s)", [MARK])  # noqa: S608
            cur.execute("DELETE FROM matters_matter WHERE source_ref = %s", [MARK])
    seconds = generate(n, out=out)
    return f"generated {n:,} matters in {seconds:.1f} s (COPY)"


def vacuum() -> None:
    """``VACUUM ANALYZE`` the matters' tables (PostgreSQL; ``ANALYZE`` on SQLite): what autovacuum does in operation after
    a mass write. Without it, a rebuild's deleted rows and a sweep's undone flags stay in the pages the measurements read."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("matters_matter", "matters_assignment", "matters_matterevent", "core_notification"):
            full = connection.vendor == "postgresql" and not connection.in_atomic_block  # VACUUM never runs in a transaction (tests)
            cur.execute(f"{'VACUUM ANALYZE' if full else 'ANALYZE'} {table}")


def unflag(since: dt.datetime) -> None:
    """Undo what sweeps did to the generated matters (flags, timeline entries, and the notifications since ``since``)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("UPDATE matters_matter SET is_overdue = false WHERE is_overdue AND source_ref = %s", [MARK])
        cur.execute("UPDATE matters_assignment SET is_overdue = false WHERE is_overdue AND matter_id IN "
                    "(SELECT id FROM matters_matter WHERE source_ref = %s)", [MARK])
        cur.execute("DELETE FROM matters_matterevent WHERE kind = 'overdue' AND matter_id IN "
                    "(SELECT id FROM matters_matter WHERE source_ref = %s)", [MARK])
        cur.execute("DELETE FROM core_notification WHERE created_at >= %s AND verb LIKE 'matters.%%overdue'", [since])
    vacuum()


# --- measuring ------------------------------------------------------------------------------------


def timed(fn: Any, repeat: int) -> dict[str, float]:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"median_ms": statistics.median(times), "p90_ms": times[int(0.9 * (len(times) - 1))], "min_ms": times[0]}


def measure(args: argparse.Namespace, out: Any = print) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from gongjian.matters import selectors, services
    from gongjian.matters.models import Assignment, Matter, MatterCategory
    from gongjian.regions.models import Region

    user = bench_user()
    facts = {
        "matters": Matter.objects.count(),
        "open": Matter.objects.filter(status__in=("reported", "accepted", "escalated", "assigned", "reopened")).count(),
        "assignments": Assignment.objects.count(),
    }
    district = Region.objects.get(code=DISTRICT)
    facts["district_matters"] = Matter.objects.filter(region_path__startswith=district.path).count()
    # the sweep, for real, on data no sweep has flagged yet (an earlier run leaves its flags)
    unflag(timezone.now())
    sweeps = []
    for _ in range(args.repeat_sweep):
        since = timezone.now()
        t = time.perf_counter()
        counts = services.sweep_overdue()  # as the periodic task runs it: each batch its own transaction
        sweeps.append((time.perf_counter() - t, counts))
        t = time.perf_counter()
        steady = services.sweep_overdue()
        steady_s = time.perf_counter() - t
        unflag(since)
    sweep = {"runs_s": [round(s, 2) for s, _c in sweeps], "median_s": statistics.median(s for s, _c in sweeps), "counts": sweeps[-1][1],
             "steady_s": steady_s, "steady_counts": steady}
    out(f"  sweep: {sweep['runs_s']} s, flagged {sweep['counts']}; steady state {steady_s * 1000:.0f} ms {steady}")
    services.sweep_overdue()  # leave the flags set, as in production, for the queue's overdue tab

    # the work queue (selector and page)
    def queue_selector() -> None:
        queues = selectors.work_queue(actor=user)
        for qs in queues.values():
            qs.count()
        list(next(iter(queues.values()))[:20])

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    sub = Region.objects.filter(path__startswith=district.path, level="subdistrict").order_by("code").first()
    cat = MatterCategory.objects.filter(level=2).order_by("sort_order").first()
    today = timezone.localdate()
    variants: list[tuple[str, str, dict[str, str]]] = [
        ("work queue /matters/", "/matters/", {}),
        ("work queue, overdue tab", "/matters/", {"tab": "overdue"}),
        ("list, no filter", "/matters/list/", {}),
        ("list status=open&overdue=1", "/matters/list/", {"status": "open", "overdue": "1"}),
        ("list status=assigned&urgency=general", "/matters/list/", {"status": "assigned", "urgency": "general"}),
        ("list category + subdistrict", "/matters/list/", {"category": str(cat.pk if cat else 0), "region": str(sub.pk if sub else 0)}),
        ("list q=路灯 (text search)", "/matters/list/", {"q": "路灯"}),
        ("list q=number", "/matters/list/", {"q": Matter.objects.filter(region_path__startswith=district.path).order_by("-id")
                                                .values_list("number", flat=True).first() or ""}),
        ("list reported this month, open", "/matters/list/", {"from": today.replace(day=1).isoformat(), "to": today.isoformat(),
                                                              "status": "open"}),
    ]
    results: list[dict[str, Any]] = []
    sel = timed(queue_selector, args.repeat)
    results.append({"variant": "selectors.work_queue (all tabs counted + a page)", **sel, "queries": None})
    out(f"  {'selectors.work_queue':<40} median {sel['median_ms']:7.1f} ms")
    for label, url, params in variants:
        resp = client.get(url, params)
        if resp.status_code != 200:
            raise SystemExit(f"{label}: HTTP {resp.status_code}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, params)
        stats = timed(lambda url=url, params=params: client.get(url, params), args.repeat)
        total = selectors.matter_list(actor=user, filters=params).count() if url.endswith("list/") else None
        results.append({"variant": label, **stats, "queries": len(ctx.captured_queries), "matches": total})
        out(f"  {label:<40} median {stats['median_ms']:7.1f} ms, p90 {stats['p90_ms']:7.1f} ms, {len(ctx.captured_queries)} queries"
            + (f", {total:,} matches" if total is not None else ""))
    slowest = max(results, key=lambda r: r["median_ms"])
    explain = ""
    if slowest["median_ms"] > PAGE_TARGET_MS and not args.smoke:
        label = slowest["variant"]
        params = next((p for lbl, _u, p in variants if lbl == label), {})
        qs = selectors.matter_list(actor=user, filters=params)[:20]
        explain = qs.explain(analyze=True)
    return {"facts": facts, "sweep": sweep, "pages": results, "explain": explain}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gj5_reports_bench"))
    parser.add_argument("--matters", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--repeat-sweep", type=int, default=3)
    parser.add_argument("--demo", choices=("small", "city"), default="city")
    parser.add_argument("--rebuild-matters", action="store_true")
    parser.add_argument("--var-dir", default=None)
    parser.add_argument("--smoke", action="store_true", help="already inside a configured Django (tests): small data, no targets")
    args = parser.parse_args(argv)

    if not args.smoke:
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
        os.environ["DATABASE_URL"] = args.database_url
        dbname = args.database_url.rsplit("/", 1)[1].split("?", 1)[0]
        os.environ["GONGJIAN_VAR_DIR"] = args.var_dir or str(ROOT / "var" / "bench" / f"postgres-{dbname}")
        Path(os.environ["GONGJIAN_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
        _create_database(args.database_url)
        import django

        django.setup()
    from bench_demo import machine_facts

    facts = machine_facts(args.database_url if not args.smoke else None)
    print("gongjian matters benchmark")
    for key, value in facts.items():
        print(f"  {key:<10} {value}")
    print(f"  load avg   {os.getloadavg()[0]:.1f}")
    if not args.smoke:
        print("  demo:", ensure_demo(args.demo), flush=True)
    print("  matters:", ensure_matters(args.matters, args.rebuild_matters), flush=True)
    result = measure(args)
    print(f"\n{result['facts']}")
    print("\n| what | median | p90 | queries | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    sweep = result["sweep"]
    ok = sweep["median_s"] <= SWEEP_TARGET_S
    print(f"| overdue sweep ({sweep['counts']}) | {sweep['median_s']:.2f} s | | | {SWEEP_TARGET_S:.0f} s | {'yes' if ok else 'NO'} |")
    print(f"| overdue sweep, nothing new | {sweep['steady_s'] * 1000:.0f} ms | | | {SWEEP_TARGET_S:.0f} s | yes |")
    failed = not ok
    for r in result["pages"]:
        met = r["median_ms"] <= PAGE_TARGET_MS
        failed |= not met
        print(f"| {r['variant']} | {r['median_ms']:.1f} ms | {r['p90_ms']:.1f} ms | {r['queries'] or ''} | {PAGE_TARGET_MS:.0f} ms | "
              f"{'yes' if met else 'NO'} |")
    if result["explain"]:
        print("\nEXPLAIN ANALYZE of the slowest list query:\n" + result["explain"])
    print(f"\n  load avg   {os.getloadavg()[0]:.1f}")
    return 1 if failed and not args.smoke else 0


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
