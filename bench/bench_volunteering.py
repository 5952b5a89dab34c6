"""Benchmark of volunteering reads at scale (issue #4): 118,000 members' report-ins and 1,000,000 hour records.

Target: a unit's report-in page (``volunteering:unit_members``, contract ``members.selectors.unit_report_ins``) and a
community's leaderboard (``volunteering:leaderboard?community=<id>``, contract ``activities.selectors.leaderboard``)
≤ 150 ms median server time each.

The database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/gj4_vol_bench``) gets the demo city
(``--demo city``, built once and reused): its ``volunteering`` step already reports in every in-service member
(118,000, confirmed, to the community where he lives, with his employer unit) and writes the demo's own hour records.
Report-ins missing for an in-service member are added (none after the city demo). The hour records are then topped up
to ``--hours`` (1,000,000) with PostgreSQL ``COPY`` (reused when present; ``--rebuild-hours`` replaces them): each
for a member with a confirmed report-in, in his community, dated over 2025 – 2026, 85 % confirmed (points by the rule),
10 % pending, 5 % not confirmed, kind ``task`` (a sign-up holds at most one record), note ``bench-volunteering``.
Then ``VACUUM ANALYZE``.

Measured in one Django process (``django.test.Client``, signed in; URL resolution, middleware, view, templates, no
network), each variant ``--repeat`` times after three warm-up requests, median and p90:

* the unit liaison of the unit with the most report-ins: ``/volunteering/unit/`` (and filtered by status), and the
  selector ``unit_report_ins`` (count + first page);
* the community administrator of the community with the most hour records: ``/volunteering/activities/leaderboard/
  ?community=<id>&year=<y>`` (this year and last year), and the selector ``leaderboard``;
* the unit page's "not reported in" tab (``?show=missing``).

A page or selector not built yet is reported as missing. Prints the machine, the figures and ``EXPLAIN ANALYZE`` of
the slowest measured query when a target is missed.

    .venv/bin/python bench/bench_volunteering.py [--database-url URL] [--hours 1000000] [--repeat 30] [--demo city|small]
        [--rebuild-hours] [--smoke]

``--smoke`` (used by the tests) runs everything on the configured database with a few thousand records, no targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

PAGE_TARGET_MS = 150.0
MARK = "bench-volunteering"  # note of the generated hour records
LIAISON_USER = "bench_vol_liaison"
ADMIN_USER = "bench_vol_community"
TABLES = ("volunteering_memberreportin", "volunteering_hourrecord")

from bench_matters import _create_database, ensure_demo, timed  # noqa: E402 - the same demo, timing and database steps

# --- data -----------------------------------------------------------------------------------------


def _copy(table: str, cols: list[str], rows: Any) -> int:
    """Write ``rows`` (tuples in ``cols`` order): COPY on PostgreSQL, executemany on SQLite (the smoke test)."""
    from django.db import connection

    written = 0
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608 - ours
        else:
            batch = list(rows)
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", batch)  # noqa: S608
            written = len(batch)
    return written


def _next_id(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table names
        return int(cur.fetchone()[0]) + 1


def ensure_report_ins(out: Any = print) -> str:
    """Confirmed report-ins for the active in-service members who have none (the city demo's step already made them)."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from gongjian.orgs.models import Member
    from gongjian.volunteering.choices import REPORT_IN_ACTIVE
    from gongjian.volunteering.models import MemberReportIn

    active = MemberReportIn.objects.filter(member_id=OuterRef("pk"), status__in=list(REPORT_IN_ACTIVE))
    missing = list(Member.objects.filter(in_service=True, is_active=True, home_community__isnull=False).filter(~Exists(active))
                   .values_list("pk", "home_community_id", "home_path", "employer_unit_id"))
    have = MemberReportIn.objects.filter(status="confirmed").count()
    if not missing:
        return f"reused ({have:,} confirmed report-ins)"
    rng = random.Random(2026)
    now = timezone.now()
    start = _next_id(TABLES[0])
    cols = [str(f.column) for f in MemberReportIn._meta.concrete_fields]

    def rows() -> Any:
        for i, (pk, home, path, unit) in enumerate(missing):
            at = now - dt.timedelta(days=rng.uniform(30, 900))
            values = {"id": start + i, "created_at": at, "updated_at": at, "member_id": pk, "community_id": home, "region_path": path,
                      "unit_id": unit, "status": "confirmed", "skills": "", "reported_at": at, "confirmed_at": at + dt.timedelta(days=1),
                      "confirmed_by_id": None, "rejected_reason": "", "ended_at": None, "end_reason": ""}
            yield tuple(values[c] for c in cols)

    n = _copy(TABLES[0], cols, rows())
    return f"added {n:,} confirmed report-ins ({have + n:,} now)"


def generate_hours(n: int, seed: int = 2026) -> float:
    """Write ``n`` hour records with COPY over the members with a confirmed report-in; returns the seconds it took."""
    from gongjian.volunteering.common import point_rule, points_for_hours
    from gongjian.volunteering.models import HourRecord, MemberReportIn

    started = time.perf_counter()
    rng = random.Random(seed)
    rule = point_rule()
    pool = list(MemberReportIn.objects.filter(status="confirmed").values_list("member_id", "community_id", "region_path"))
    if not pool:
        raise SystemExit("no confirmed report-ins: build the demo first")
    start = _next_id(TABLES[1])
    cols = [str(f.column) for f in HourRecord._meta.concrete_fields]
    first, span = dt.date(2025, 1, 1), (dt.date(2026, 12, 31) - dt.date(2025, 1, 1)).days
    hours_choices = [Decimal(h) for h in ("1.00", "1.50", "2.00", "2.50", "3.00", "4.00")]
    points = {h: points_for_hours(h, rule) for h in hours_choices}

    def rows() -> Any:
        for i in range(n):
            member, community, path = rng.choice(pool)
            day = first + dt.timedelta(days=rng.randint(0, span))
            h = rng.choice(hours_choices)
            roll = rng.random()
            status = "confirmed" if roll < 0.85 else "pending" if roll < 0.95 else "rejected"
            at = dt.datetime.combine(day, dt.time(20), tzinfo=dt.UTC)
            values = {"id": start + i, "created_at": at, "updated_at": at, "member_id": member, "community_id": community,
                      "region_path": path, "kind": "task", "signup_id": None, "activity_id": None, "post_id": None, "date": day,
                      "hours": h, "points": points[h] if status == "confirmed" else 0, "status": status, "note": MARK,
                      "confirmed_at": at if status != "pending" else None, "confirmed_by_id": None}
            yield tuple(values[c] for c in cols)

    _copy(TABLES[1], cols, rows())
    vacuum()
    return time.perf_counter() - started


def ensure_hours(total: int, rebuild: bool) -> str:
    from django.db import connection

    from gongjian.volunteering.models import HourRecord

    if rebuild:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM volunteering_hourrecord WHERE note = %s", [MARK])
    have = HourRecord.objects.count()
    if have >= total:
        vacuum()
        return f"reused ({have:,} hour records)"
    n = total - have
    seconds = generate_hours(n)
    return f"generated {n:,} hour records in {seconds:.1f} s (COPY; {total:,} now)"


def vacuum() -> None:
    """``VACUUM ANALYZE`` the tables read (PostgreSQL; ``ANALYZE`` on SQLite or inside a transaction)."""
    from django.db import connection

    full = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cur:
        for table in (*TABLES, "orgs_member"):
            cur.execute(f"{'VACUUM ANALYZE' if full else 'ANALYZE'} {table}")


def bench_users() -> tuple[Any, Any, Any, Any]:
    """A liaison of the unit with the most report-ins and an administrator of the community with the most hour records."""
    from django.db.models import Count

    from gongjian.accounts import services
    from gongjian.accounts.models import User
    from gongjian.orgs.models import ResidentUnit
    from gongjian.regions.models import Region
    from gongjian.volunteering.models import HourRecord, MemberReportIn

    top_unit = MemberReportIn.objects.filter(unit__isnull=False).values("unit_id").annotate(n=Count("id")).order_by("-n", "unit_id").first()
    top_comm = HourRecord.objects.values("community_id").annotate(n=Count("id")).order_by("-n", "community_id").first()
    if top_unit is None or top_comm is None:
        raise SystemExit("no report-ins or hour records")
    unit = ResidentUnit.objects.get(pk=top_unit["unit_id"])
    community = Region.objects.get(pk=top_comm["community_id"])
    users = []
    for username, role, target, display in ((LIAISON_USER, "unit_liaison", {"unit": unit}, "联络员（基准测试）"),
                                            (ADMIN_USER, "community_admin", {"region": community}, "社区书记（基准测试）")):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(actor=None, username=username, password=services.generate_password(), display_name=display,
                                        validate=False)
        user.scopes.filter(is_active=True).update(is_active=False)
        services.scope_grant(actor=None, user=user, role=role, **target)
        users.append(user)
    return users[0], unit, users[1], community


# --- measuring ------------------------------------------------------------------------------------


def _selector(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(f"gongjian.volunteering.{module}.selectors"), name)
    except (ImportError, AttributeError):
        return None


def _url(name: str) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(f"volunteering:{name}")
    except NoReverseMatch:
        return None


def measure(args: argparse.Namespace, out: Any = print) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from gongjian.orgs.models import Member
    from gongjian.volunteering.models import HourRecord, MemberReportIn

    liaison, unit, admin, community = bench_users()
    facts = {
        "report_ins_confirmed": MemberReportIn.objects.filter(status="confirmed").count(),
        "in_service_members": Member.objects.filter(in_service=True).count(),
        "hour_records": HourRecord.objects.count(),
        "unit": f"{unit.name} ({MemberReportIn.objects.filter(unit=unit).count():,} report-ins)",
        "community": f"{community.name} ({HourRecord.objects.filter(community=community).count():,} hour records)",
    }
    year = timezone.localdate().year
    results: list[dict[str, Any]] = []
    missing: list[str] = []
    explains: dict[str, Any] = {}

    unit_report_ins = _selector("members", "unit_report_ins")
    if unit_report_ins is not None:
        def unit_sel() -> None:
            qs = unit_report_ins(actor=liaison, unit=unit)
            qs.count()
            list(qs[:20])
        stats = timed(unit_sel, args.repeat)
        results.append({"variant": "selectors.unit_report_ins (count + first 20)", **stats, "queries": None})
        explains["selectors.unit_report_ins (count + first 20)"] = lambda: unit_report_ins(actor=liaison, unit=unit)[:20]
    else:
        missing.append("members.selectors.unit_report_ins")
    leaderboard = _selector("activities", "leaderboard")
    if leaderboard is not None:
        for label, y in ((f"selectors.leaderboard year={year}", year), (f"selectors.leaderboard year={year - 1}", year - 1)):
            stats = timed(lambda y=y: leaderboard(actor=admin, community=community, year=y), args.repeat)
            results.append({"variant": label, **stats, "queries": None})
    else:
        missing.append("activities.selectors.leaderboard")

    pages: list[tuple[str, Any, str | None, dict[str, str]]] = [
        ("page /volunteering/unit/", liaison, _url("unit_members"), {}),
        ("page /volunteering/unit/?status=confirmed", liaison, _url("unit_members"), {"status": "confirmed"}),
        (f"page leaderboard ?community&year={year}", admin, _url("leaderboard"), {"community": str(community.pk), "year": str(year)}),
        (f"page leaderboard ?community&year={year - 1}", admin, _url("leaderboard"), {"community": str(community.pk), "year": str(year - 1)}),
        ("page /volunteering/unit/?show=missing", liaison, _url("unit_members"), {"show": "missing"}),
    ]
    clients: dict[int, Any] = {}
    for label, user, url, params in pages:
        if url is None:
            missing.append(label)
            continue
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)  # a page in the works: HTTP 500
            client.force_login(user)
        resp = client.get(url, params)
        if resp.status_code != 200:
            missing.append(f"{label} (HTTP {resp.status_code})")
            continue
        connection.queries_log.clear()  # a full log (9,000 entries, after the selectors' runs) would count nothing new
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, params)
        stats = timed(lambda client=client, url=url, params=params: client.get(url, params), args.repeat)
        slowest_sql = max(ctx.captured_queries, key=lambda q: float(q.get("time") or 0), default={"sql": ""})["sql"]
        results.append({"variant": label, **stats, "queries": len(ctx.captured_queries), "slowest_sql": slowest_sql})
    for r in results:
        out(f"  {r['variant']:<50} median {r['median_ms']:7.1f} ms, p90 {r['p90_ms']:7.1f} ms"
            + (f", {r['queries']} queries" if r.get("queries") else ""))
    for m in missing:
        out(f"  missing: {m}")
    explain = ""
    slowest = max(results, key=lambda r: r["median_ms"], default=None)
    if slowest is not None and slowest["median_ms"] > PAGE_TARGET_MS and not args.smoke:
        if slowest["variant"] in explains:
            explain = explains[slowest["variant"]]().explain(analyze=True)
        elif slowest.get("slowest_sql") and connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("EXPLAIN ANALYZE " + slowest["slowest_sql"])
                explain = "\n".join(row[0] for row in cur.fetchall())
        explain = f"{slowest['variant']}:\n{explain}"
    return {"facts": facts, "results": results, "missing": missing, "explain": explain}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/gj4_vol_bench"))
    parser.add_argument("--hours", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--demo", choices=("small", "city"), default="city")
    parser.add_argument("--rebuild-hours", action="store_true")
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
    print("gongjian volunteering benchmark")
    for key, value in facts.items():
        print(f"  {key:<10} {value}")
    print(f"  load avg   {os.getloadavg()[0]:.1f}")
    if not args.smoke:
        print("  demo:", ensure_demo(args.demo), flush=True)
    print("  report-ins:", ensure_report_ins(), flush=True)
    print("  hours:", ensure_hours(args.hours, args.rebuild_hours), flush=True)
    result = measure(args)
    print(f"\n{result['facts']}")
    print("\n| what | median | p90 | queries | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    failed = False
    for r in result["results"]:
        met = r["median_ms"] <= PAGE_TARGET_MS
        failed |= not met
        print(f"| {r['variant']} | {r['median_ms']:.1f} ms | {r['p90_ms']:.1f} ms | {r['queries'] or ''} | {PAGE_TARGET_MS:.0f} ms | "
              f"{'yes' if met else 'NO'} |")
    for m in result["missing"]:
        print(f"| {m} | not built | | | {PAGE_TARGET_MS:.0f} ms | — |")
    if result["explain"]:
        print("\nEXPLAIN ANALYZE of the slowest:\n" + result["explain"])
    print(f"\n  load avg   {os.getloadavg()[0]:.1f}")
    return 1 if failed and not args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
