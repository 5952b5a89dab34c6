"""Load benchmark (issue #12): every page and list of every role at its widest scope, under 8 connections, beside ``/healthz``.

Bars (issue #12, on the ``city`` demo on PostgreSQL, the production server with its default workers):

* every page and API list endpoint: one warm request ≤ 100 ms server time;
* under 8 connections, ≥ 10 % of ``/healthz``'s req/s measured in the same run for pages, ≥ 15 % for the home page ``/`` and
  the API's list endpoints;
* ``/healthz`` p99 under that load ≤ 100 ms (no warm-up stalls).

What a run does:

1. **The data.** ``--database-url`` (default ``postgres://postgres@127.0.0.1:5432/gj_load_city``) is created when missing,
   migrated, and gets the city demo (``gongjian demo --scale city``, with ``DATABASE_URL`` and ``GONGJIAN_VAR_DIR`` set, as
   ``bench_demo.py`` runs it) when it holds no demo yet; the build time is printed. A database with the city demo is reused;
   one with another demo is refused unless ``--rebuild`` (``gongjian demo --scale city --reset``), which also forces a
   rebuild of the city demo. ``--var-dir`` (default ``var/bench/postgres-<db name>``) is the demo's ``GONGJIAN_VAR_DIR``:
   it holds the PII key the demo's ID numbers were encrypted with and ``demo-accounts.json``.
2. **The server.** ``gongjian serve --production 127.0.0.1:<free port>`` (deploy check, collectstatic, then gunicorn with its
   default processes and threads; ``--workers``/``--threads`` override) with the environment production needs:
   ``DATABASE_URL``, ``REDIS_URL`` (``--redis-url``, default database 9 of the local Redis so that no other instance's keys
   mix in), a random ``GONGJIAN_SECRET_KEY`` for the run, ``GONGJIAN_PII_KEY`` = the demo's key, ``GONGJIAN_ALLOWED_HOSTS``
   ``127.0.0.1,localhost`` and ``GONGJIAN_HTTPS=0`` (plain HTTP on loopback, the documented intranet setting: without it
   every request would be redirected to HTTPS). It waits for ``/healthz`` and stops the server (its process group) at the
   end, on errors and on Ctrl-C. The server's log goes to ``<var dir>/bench-load-server.log``.
3. **Who.** The demo's accounts (``gongjian.demo.city.DEMO_USERNAMES``) with an active scope of each role, the widest first
   (lowest region depth; among the community secretaries the demo's first, 淮河社区's): city, district, subdistrict and
   community administrators, and the member whose account is linked to a member record (skipped, with a note, when the
   demo made none). ``--roles`` also offers the liaison, department handler, instructor and reviewer. Each signs in by
   POSTing the login form (with its CSRF token) to the running server, with the password from ``demo-accounts.json``;
   when that file is missing or its password no longer matches (a database built elsewhere), a session is written to the
   server's session store instead (what ``django.contrib.auth.login`` stores) — the table says which. The session cookie is
   then used by wrk (``-H "Cookie: …"``) and by the in-process measurement.
4. **What.** Per role, from the project itself: the home page ``/``; every sidebar entry the role sees
   (``gongjian.core.context_processors.navigation``, i.e. the registry's ``nav_entries`` and their permissions); every list
   page with its default filters — every parameter-less page of the URLconf (exports and ``logout`` left out) that answers
   the role 200 with a page of a paginator (``django.core.paginator.Page``) or ``layouts/list.html`` in its context; and every
   list endpoint of the API — the GET paths of ``/api/v1/openapi.json`` without path parameters whose 200 response has
   ``items`` (a page object ``{count, page, size, pages, items}`` or a JSON array) — that the role may read. A list page or
   API list that refuses the role (401/403/404) is not one of its endpoints: it is listed under "not open to this role",
   not driven; an API list that cannot answer without a parameter (422) is listed under "need parameters". Sidebar entries
   are driven whatever they answer (a 3xx is accepted: wrk counts it as a success; 4xx/5xx are errors and marked). Any 5xx
   met on the way is reported under ERRORS.
5. **How.** For each (role, endpoint), once the server is idle again (its processes use no CPU and the database runs no
   query of it: the requests the previous wrk left in flight are done): in this process, with the production settings on
   the same database, Redis and session (``django.test.Client`` carrying the role's session cookie,
   ``CaptureQueriesContext``), one request to warm up and ``--repeat`` (default 1) measured warm requests, giving
   status, queries, server time ("warm ms", the median) and bytes; then one request over HTTP to the server
   (its status is the one shown) and wrk ``-t2 -c8 -d<duration>s --latency --timeout 30s`` against it: completed requests
   ("done"), req/s, p50, p99 (none when nothing completed), responses that are not 2xx/3xx, socket errors (connect, read,
   write, timeout). ``/healthz`` runs under the same wrk settings at the start, the middle and the end of the run; the %
   column is the endpoint's req/s over the mean of those three.
6. **Report.** The machine, the load average before and after, one markdown table per role (a ✗ names each missed bar),
   the ``/healthz`` runs, the ten rows furthest below their throughput bar, the gunicorn workers booted during the run; and
   the same as JSON with ``--json PATH``. Exit status 1 when a bar is missed.

Usage (a whole run with the defaults takes about 20–25 minutes on 2 cores, plus 4–6 minutes when the demo is built)::

    .venv/bin/python bench/bench_load.py [--database-url URL] [--var-dir DIR] [--redis-url URL] [--rebuild]
        [--duration 4] [--connections 8] [--threads 2] [--repeat 1] [--roles city district subdistrict community member]
        [--only SUBSTRING ...] [--workers N] [--server-threads N] [--json PATH]

``--smoke`` (used by the tests) runs inside an already configured Django (the test database holding the small demo, and
``settings.VAR_DIR`` its accounts file): signs in through the login form in-process, enumerates and measures every endpoint
in-process once, without a server or wrk, and exits 1 when an endpoint answered an error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_demo import _env, _gongjian, machine_facts  # noqa: E402

WARM_MS = 100.0  # one warm request, server time
PAGE_SHARE = 10.0  # % of /healthz's req/s for a page
HOME_API_SHARE = 15.0  # % of /healthz's req/s for the home page and the API's list endpoints
HEALTHZ_P99_MS = 100.0
# --roles key → (role, label)
ROLES: dict[str, tuple[str, str]] = {
    "city": ("city_admin", "city administrator"),
    "district": ("district_admin", "district administrator"),
    "subdistrict": ("subdistrict_admin", "subdistrict administrator"),
    "community": ("community_admin", "community administrator"),
    "member": ("member", "member with a linked account"),
    "liaison": ("unit_liaison", "unit liaison"),
    "department": ("department_handler", "department handler"),
    "instructor": ("instructor", "instructor"),
    "reviewer": ("reviewer", "reviewer"),
}
DEFAULT_ROLES = ["city", "district", "subdistrict", "community", "member"]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/gj_load_city"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
CITY_COMMUNITIES = 900  # at least this many communities: the city demo is there

WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def say(text: str) -> None:
    """Progress, to stderr."""
    print(text, file=sys.stderr, flush=True)


@dataclass
class Endpoint:
    path: str
    kind: str  # home | page | api
    source: str  # home | nav | list | api
    cold_status: int = 0

    @property
    def share(self) -> float:
        return HOME_API_SHARE if self.kind in ("home", "api") else PAGE_SHARE


@dataclass
class Account:
    key: str  # --roles key
    role: str
    username: str
    scope: str
    user: Any = None
    cookies: dict[str, str] = field(default_factory=dict)
    sign_in: str = ""


@dataclass
class Row:
    role: str
    path: str
    kind: str
    source: str
    status: int = 0  # the server's answer (smoke: the in-process one)
    queries: int = 0
    warm_ms: float = 0.0
    bytes: int = 0
    requests: int | None = None  # completed under wrk
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    non_2xx_3xx: int | None = None
    socket_errors: int | None = None
    share: float | None = None  # % of /healthz
    bar: float = PAGE_SHARE
    missed: list[str] = field(default_factory=list)


# --- the database and the demo -------------------------------------------------------------------


def _db_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def _ensure_pg_database(url: str) -> None:
    import psycopg

    name = _db_name(url)
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _communities(url: str) -> int:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        if not conn.execute("SELECT to_regclass('regions_region')").fetchone()[0]:  # type: ignore[index]
            return 0
        row = conn.execute("SELECT count(*) FROM regions_region WHERE level = 'community'").fetchone()
        return int(row[0]) if row else 0


def ensure_city(args: argparse.Namespace, var_dir: Path) -> dict[str, Any]:
    """Create, migrate and (when it holds no city demo, or with --rebuild) build the city demo; returns what happened."""
    _ensure_pg_database(args.database_url)
    env = _env({"DATABASE_URL": args.database_url, "GONGJIAN_VAR_DIR": str(var_dir)})
    subprocess.run(_gongjian("migrate", "-v", "0"), env=env, cwd=ROOT, check=True)
    communities = _communities(args.database_url)
    if communities >= CITY_COMMUNITIES and not args.rebuild:
        return {"demo": f"reused (city demo present: {communities:,} communities)", "build_seconds": None}
    if communities and not args.rebuild:
        raise SystemExit(f"the database holds another demo ({communities} communities); pass --rebuild to replace it with the city demo")
    cmd = _gongjian("demo", "--scale", "city", "--seed", str(args.seed), *(["--reset"] if communities else []), "--no-migrate")
    say(f"building the city demo in {_db_name(args.database_url)} (gongjian demo --scale city{' --reset' if communities else ''}) …")
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=sys.stderr, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"gongjian demo failed (rc {proc.returncode})")
    return {"demo": f"built the city demo in {seconds:.1f} s", "build_seconds": round(seconds, 1)}


def _pii_key(var_dir: Path) -> str:
    if os.environ.get("GONGJIAN_PII_KEY"):
        return os.environ["GONGJIAN_PII_KEY"]
    path = var_dir / ".pii-key"
    if not path.exists():
        raise SystemExit(f"no PII key: {path} is missing (pass --var-dir: the GONGJIAN_VAR_DIR the demo was built with, "
                         "or set GONGJIAN_PII_KEY)")
    return path.read_text().strip()


# --- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """What production needs (config/settings/production.py), for the server and for this process."""
    return {
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "GONGJIAN_SECRET_KEY": secrets.token_urlsafe(50),
        "GONGJIAN_PII_KEY": _pii_key(var_dir),
        "GONGJIAN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GONGJIAN_HTTPS": "0",
        "GONGJIAN_VAR_DIR": str(var_dir),
    }


class Server:
    """``gongjian serve --production`` on 127.0.0.1:<port>, in a process group of its own (stopped as a whole)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int | None, threads: int | None) -> None:
        self.port = _free_port()
        self.log = log
        argv = ["serve", "--production", f"127.0.0.1:{self.port}"]
        argv += ["--workers", str(workers)] if workers else []
        argv += ["--threads", str(threads)] if threads else []
        self.cmd = _gongjian(*argv)
        self.env = _env(env)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 240.0) -> None:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited (rc {self.proc.returncode}):\n{self.log_tail()}")
            try:
                if http_get(self.port, "/healthz", {}, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit(f"the server did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")
        expected = int(self.processes().split()[0]) if self.processes()[0].isdigit() else 1
        while time.monotonic() < deadline and self.workers_booted() < expected:  # every worker booted before counting recycles
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # gunicorn's master (the serve command exec'd into it) and its workers
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cpu_ticks(self) -> int:
        """CPU time (clock ticks) used so far by the server's processes (its process group)."""
        assert self.proc is not None
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.proc.pid:  # pgrp; then utime, stime
                total += int(fields[11]) + int(fields[12])
        return total

    def wait_idle(self, limit: float = 60.0) -> float:
        """Wait until the requests wrk left in flight are done: the server's processes idle and no query of ours active."""
        from django.db import connection

        started = time.monotonic()
        while time.monotonic() - started < limit:
            before = self.cpu_ticks()
            time.sleep(0.3)
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                            "AND pid <> pg_backend_pid()")
                active = cur.fetchone()[0]
            if self.cpu_ticks() - before <= 2 and not active:
                break
        return time.monotonic() - started

    def processes(self) -> str:
        m = re.search(r"— (\d+ processes × \d+ threads)", self.log_tail(400))
        return m.group(1) if m else "?"

    def workers_booted(self) -> int:
        try:
            return self.log.read_text(errors="replace").count("Booting worker")
        except OSError:
            return 0


# --- HTTP and signing in -------------------------------------------------------------------------


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _set_cookies(headers: list[str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for h in headers:
        jar.load(h)
    return {k: m.value for k, m in jar.items() if m.value}


def http_get(port: int, path: str, cookies: dict[str, str], timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    return _http(port, "GET", path, cookies, None, timeout)


def _http(port: int, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None,
          timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Cookie": cookie_header(cookies)} if cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, _set_cookies(resp.msg.get_all("Set-Cookie") or []), data
    finally:
        conn.close()


class HttpTransport:
    """Requests to the running server."""

    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str, cookies: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return _http(self.port, "GET", path, cookies, None)

    def post(self, path: str, cookies: dict[str, str], form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        return _http(self.port, "POST", path, cookies, form)


class ClientTransport:
    """The same requests through ``django.test.Client`` (``--smoke``: no server), with CSRF checks on."""

    def _client(self, cookies: dict[str, str]) -> Any:
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
        for k, v in cookies.items():
            client.cookies[k] = v
        return client

    def get(self, path: str, cookies: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        resp = self._client(cookies).get(path)
        return resp.status_code, {k: m.value for k, m in resp.cookies.items() if m.value}, resp.content

    def post(self, path: str, cookies: dict[str, str], form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        resp = self._client(cookies).post(path, form)
        return resp.status_code, {k: m.value for k, m in resp.cookies.items() if m.value}, resp.content


def demo_passwords() -> dict[str, str]:
    from django.conf import settings

    path = Path(settings.VAR_DIR) / "demo-accounts.json"
    try:
        return {a["username"]: a["password"] for a in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError, KeyError):
        return {}


def sign_in(transport: Any, account: Account, password: str | None) -> None:
    """POST the login form with its CSRF token; else a session written to the server's session store."""
    from django.conf import settings

    if password:
        status, cookies, body = transport.get("/accounts/login/", {})
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status == 200 and m:
            status, got, _body = transport.post("/accounts/login/", cookies, {
                "username": account.username, "password": password, "csrfmiddlewaretoken": m.group(1).decode()})
            cookies.update(got)
            if status == 302 and settings.SESSION_COOKIE_NAME in got:
                account.cookies, account.sign_in = cookies, "login form"
                return
    # Fallback: what django.contrib.auth.login stores, written to the same session store the server reads.
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(account.user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = account.user.get_session_auth_hash()
    store.save()
    account.cookies = {settings.SESSION_COOKIE_NAME: str(store.session_key)}
    account.sign_in = "session store (" + ("no password in demo-accounts.json" if not password else "the demo password was refused") + ")"


def choose_accounts(keys: list[str]) -> tuple[list[Account], list[str]]:
    """The demo's account of each role at its widest scope; notes for roles without one."""
    from gongjian.accounts.models import Scope
    from gongjian.demo.city import DEMO_USERNAMES
    from gongjian.orgs.models import Member

    order = {name: i for i, name in enumerate(DEMO_USERNAMES)}
    accounts, notes = [], []
    for key in keys:
        role = ROLES[key][0]
        scopes = list(Scope.objects.filter(role=role, is_active=True, user__is_active=True, user__username__in=DEMO_USERNAMES)
                      .select_related("user", "region", "unit", "department"))
        if role == "member":
            linked = set(Member.objects.filter(user__in=[s.user for s in scopes]).values_list("user_id", flat=True))
            scopes = [s for s in scopes if s.user_id in linked]
            if not scopes:  # any member account linked to a member record
                scopes = list(Scope.objects.filter(role=role, is_active=True, user__is_active=True,
                                                   user__in=Member.objects.filter(user__isnull=False).values("user"))
                              .select_related("user", "region")[:1])
        if not scopes:
            notes.append(f"{key}: the demo has no account of role {role}" + (" linked to a member record" if role == "member" else "")
                         + " — skipped")
            continue
        s = min(scopes, key=lambda s: (s.region.depth if s.region else 99, order.get(s.user.username, 99), s.user.username))
        target = s.region or s.unit or s.department
        scope = f"{getattr(target, 'name', target)} {getattr(target, 'code', '') or ''}".strip()
        accounts.append(Account(key=key, role=role, username=s.user.username, scope=scope, user=s.user))
    return accounts, notes


# --- what to drive (in-process) ------------------------------------------------------------------


def page_candidates() -> list[str]:
    """Every parameter-less page of the URLconf, without the API, the language switch, downloads and logout."""
    from django.urls import URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    paths: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            if not isinstance(p.pattern, RoutePattern):
                continue
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif "<" not in route:
                paths.append("/" + route)

    walk(get_resolver().url_patterns, "")
    skip = ("/api/", "/i18n/", "/static/", "/healthz")
    return [p for p in dict.fromkeys(paths)
            if not p.startswith(skip) and "export" not in p.rsplit("/", 2)[-2] and not p.endswith("/logout/")]


def _is_list(resp: Any) -> bool:
    from django.core.paginator import Page

    if "layouts/list.html" in [t.name for t in (resp.templates or [])]:
        return True
    contexts = resp.context if isinstance(resp.context, list) else [resp.context] if resp.context is not None else []
    for ctx in contexts:
        for d in getattr(ctx, "dicts", [ctx]):
            if isinstance(d, dict) and any(isinstance(v, Page) for v in d.values()):
                return True
    return False


def api_lists(client: Any) -> list[str]:
    """GET paths of the OpenAPI document without path parameters whose 200 response has ``items``."""
    resp = client.get("/api/v1/openapi.json")
    if resp.status_code != 200:
        raise SystemExit(f"/api/v1/openapi.json: HTTP {resp.status_code}")
    doc = resp.json()
    components = doc.get("components", {}).get("schemas", {})

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    out = []
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not op or "{" in path:
            continue
        schema = resolve(op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema", {}))
        if "items" in schema.get("properties", {}) or schema.get("type") == "array":
            out.append(path)
    return out


def _client_for(account: Account) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for k, v in account.cookies.items():
        client.cookies[k] = v
    return client


def discover(account: Account, candidates: list[str], apis: list[str], errors: list[str]) -> tuple[list[Endpoint], list[str]]:
    """The role's endpoints (home, sidebar, list pages, API lists) and the lists that refuse it."""
    from django.test import RequestFactory

    from gongjian.core.context_processors import navigation

    client = _client_for(account)
    request = RequestFactory().get("/", HTTP_HOST="127.0.0.1")
    request.user = account.user
    nav = [e["url"] for e in navigation(request)["nav_entries"]]
    endpoints = [Endpoint("/", "home", "home")] + [Endpoint(u, "page", "nav") for u in nav if u != "/"]
    refused: list[str] = []
    for e in endpoints:
        e.cold_status = client.get(e.path).status_code
        if e.cold_status >= 500:
            errors.append(f"{account.key} {e.path}: HTTP {e.cold_status}")
    seen = {e.path for e in endpoints}
    for path in candidates:
        if path in seen:
            continue
        resp = client.get(path)
        if resp.status_code >= 500:
            errors.append(f"{account.key} {path}: HTTP {resp.status_code}")
        if resp.status_code == 200 and resp.get("Content-Type", "").startswith("text/html") and _is_list(resp):
            endpoints.append(Endpoint(path, "page", "list", 200))
    for path in apis:
        status = client.get(path).status_code
        if status >= 500:
            errors.append(f"{account.key} {path}: HTTP {status}")
        if status == 200:
            endpoints.append(Endpoint(path, "api", "api", 200))
        else:
            refused.append(f"{path} {status}")
    return endpoints, refused


# --- measuring ---------------------------------------------------------------------------------


def warm(client: Any, path: str, repeat: int) -> dict[str, Any]:
    """One request to warm up, then ``repeat`` measured requests: status, queries, median ms, bytes.

    The warm-up comes right before: the enumeration's request to the same path may be many minutes old by now, past
    the lifetime of what the page keeps in the cache (home panels: 60 s for an account's own, 300 s for an area's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    times, queries, resp = [], 0, None
    for _ in range(max(1, repeat)):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
        queries = len(ctx.captured_queries)
    assert resp is not None
    return {"status": resp.status_code, "queries": queries, "warm_ms": statistics.median(times), "bytes": len(resp.content)}


def run_wrk(port: int, path: str, cookies: dict[str, str], args: argparse.Namespace, lua: Path) -> dict[str, Any]:
    cmd = [args.wrk, f"-t{args.threads_wrk}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", "--timeout", "30s",
           "-s", str(lua)]
    if cookies:
        cmd += ["-H", f"Cookie: {cookie_header(cookies)}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 120)
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith('{"requests"')), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {path} (rc {proc.returncode}): {proc.stderr.strip() or proc.stdout[-500:]}")
    r = json.loads(line)
    seconds = r["duration_us"] / 1e6 or 1.0
    done = r["requests"] > 0  # none completed: no latency to show (the requests still running when wrk stopped are not counted)
    return {"rps": r["requests"] / seconds, "p50_ms": r["p50_us"] / 1000 if done else None, "p99_ms": r["p99_us"] / 1000 if done else None,
            "requests": r["requests"],
            "non_2xx_3xx": r["status"], "socket_errors": r["connect"] + r["read"] + r["write"] + r["timeout"],
            "timeouts": r["timeout"]}


def healthz_run(port: int, args: argparse.Namespace, lua: Path, when: str) -> dict[str, Any]:
    r = run_wrk(port, "/healthz", {}, args, lua)
    r["when"] = when
    say(f"  /healthz ({when}): {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms")
    return r


# --- report ------------------------------------------------------------------------------------


def _fmt(v: float | int | None, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def judge(row: Row, smoke: bool) -> None:
    row.bar = HOME_API_SHARE if row.kind in ("home", "api") else PAGE_SHARE
    row.missed = []
    if row.status >= 400:
        row.missed.append(f"HTTP {row.status}")
    if row.warm_ms > WARM_MS:
        row.missed.append("warm")
    if not smoke and row.share is not None and row.share < row.bar:
        row.missed.append(f"<{row.bar:.0f}%")
    if (row.non_2xx_3xx or 0) + (row.socket_errors or 0):
        row.missed.append("errors")


def print_report(result: dict[str, Any], smoke: bool) -> None:
    print()
    h = result.get("healthz") or []
    if h:
        print(f"/healthz under the same wrk settings (mean {result['healthz_mean_rps']:.0f} req/s; bar: p99 ≤ {HEALTHZ_P99_MS:.0f} ms):")
        print("| when | req/s | p50 ms | p99 ms | non-2xx/3xx | socket errors | bar |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for r in h:
            bad = r["p99_ms"] is None or r["p99_ms"] > HEALTHZ_P99_MS or r["non_2xx_3xx"] or r["socket_errors"]
            print(f"| {r['when']} | {r['rps']:.0f} | {_fmt(r['p50_ms'], '.1f')} | {_fmt(r['p99_ms'], '.1f')} | {r['non_2xx_3xx']} | "
                  f"{r['socket_errors']} | "
                  f"{'✗ p99' if bad else 'ok'} |")
    for role in result["roles"]:
        print()
        print(f"== {role['key']}: {role['username']} ({role['role']}, {role['scope']}); signed in by {role['sign_in']}; "
              f"{len(role['rows'])} endpoints")
        print("| endpoint | from | status | queries | warm ms | KB | done | req/s | p50 ms | p99 ms | non-2xx/3xx | socket err | % /healthz | bars |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in role["rows"]:
            bars = "ok" if not r["missed"] else "✗ " + ", ".join(r["missed"])
            print(f"| `{r['path']}` | {r['source']} | {r['status']} | {r['queries']} | {r['warm_ms']:.1f} | {r['bytes'] / 1024:.0f} | "
                  f"{_fmt(r['requests'], 'd')} | {_fmt(r['rps'], '.1f')} | {_fmt(r['p50_ms'], '.0f')} | {_fmt(r['p99_ms'], '.0f')} | "
                  f"{_fmt(r['non_2xx_3xx'], 'd')} | "
                  f"{_fmt(r['socket_errors'], 'd')} | {_fmt(r['share'], '.1f')} | {bars} |")
        refused = [r for r in role["refused"] if not r.endswith(" 422")]
        needs = [r for r in role["refused"] if r.endswith(" 422")]
        if refused:
            print(f"   not open to this role (not driven): {', '.join(refused)}")
        if needs:
            print(f"   need parameters, not driven (422 without them): {', '.join(needs)}")
    for note in result["notes"]:
        print(f"note: {note}")
    if result["errors"]:
        print("\nERRORS (5xx): " + "; ".join(result["errors"]))
    rows = [r for role in result["roles"] for r in role["rows"]]
    if not smoke and rows:
        print("\nThe ten rows furthest below their throughput bar (% of /healthz ÷ bar):")
        print("| role | endpoint | warm ms | queries | req/s | p99 ms | % /healthz | bar |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for r in sorted(rows, key=lambda r: (r["share"] or 0) / r["bar"])[:10]:
            print(f"| {r['role']} | `{r['path']}` | {r['warm_ms']:.1f} | {r['queries']} | {_fmt(r['rps'], '.1f')} | {_fmt(r['p99_ms'], '.0f')} | "
                  f"{_fmt(r['share'], '.1f')} | {r['bar']:.0f}% |")
    missed = sum(1 for r in rows if r["missed"])
    print()
    print(f"load average (1/5/15 min) before: {result['load_before']}, after: {result['load_after']}")
    if not smoke:
        print(f"gunicorn workers booted: {result['workers_booted_at_start']} at start, {result['workers_booted_during_run']} more during "
              f"the run (recycled or replaced)")
        print(f"time: measuring {result['run_seconds'] / 60:.1f} min; the whole run (demo, server start, sign-in, enumeration, "
              f"measuring) {result['total_seconds'] / 60:.1f} min")
    h_missed = sum(1 for r in h if r["p99_ms"] is None or r["p99_ms"] > HEALTHZ_P99_MS)
    print(f"RESULT: {len(rows)} rows, {missed} miss a bar" + (f", /healthz p99 above {HEALTHZ_P99_MS:.0f} ms in {h_missed} of {len(h)} runs"
                                                              if h else "") + (" (smoke: no load, no throughput bars)" if smoke else ""))


# --- main --------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, accounts: list[Account], notes: list[str], server: Server | None) -> dict[str, Any]:
    """Enumerate every role's endpoints, then measure them (in-process; with a server, over HTTP under wrk too)."""
    from django.test import utils as test_utils

    errors: list[str] = []
    own_env = getattr(test_utils._TestState, "saved_data", None) is None  # pytest has set it up already
    if own_env:
        test_utils.setup_test_environment()  # templates and context on responses, to recognise list pages
    try:
        candidates = page_candidates()
        apis: list[str] = api_lists(_client_for(accounts[0])) if accounts else []
        plan: list[tuple[Account, list[Endpoint], list[str]]] = []
        for a in accounts:
            say(f"enumerating {a.key} ({a.username}) …")
            endpoints, refused = discover(a, candidates, apis, errors)
            if args.only:
                endpoints = [e for e in endpoints if any(s in e.path for s in args.only)]
            plan.append((a, endpoints, refused))
    finally:
        if own_env:
            test_utils.teardown_test_environment()
    total = sum(len(e) for _a, e, _r in plan)
    if server:
        say(f"{total} endpoints × ({args.duration} s of wrk + in-process requests): about "
            f"{(total + 3) * (args.duration + 1.5) / 60:.0f} minutes")
    lua = Path(tempfile.mkstemp(prefix="bench-load-", suffix=".lua")[1])
    lua.write_text(WRK_LUA)
    result: dict[str, Any] = {"roles": [], "notes": notes, "errors": errors, "healthz": []}
    started = time.perf_counter()
    result["load_before"] = [round(x, 2) for x in os.getloadavg()]
    try:
        if server:
            result["workers_booted_at_start"] = server.workers_booted()
            result["healthz"].append(healthz_run(server.port, args, lua, "start"))
        done = 0
        for a, endpoints, refused in plan:
            client = _client_for(a)
            rows = []
            for e in endpoints:
                if server:
                    server.wait_idle()
                w = warm(client, e.path, 1 if args.smoke else args.repeat)
                row = Row(role=a.key, path=e.path, kind=e.kind, source=e.source, status=w["status"], queries=w["queries"],
                          warm_ms=round(w["warm_ms"], 1), bytes=w["bytes"])
                if w["status"] >= 500:
                    errors.append(f"{a.key} {e.path}: HTTP {w['status']} (in-process)")
                if server:
                    row.status = http_get(server.port, e.path, a.cookies)[0]
                    if row.status >= 500:
                        errors.append(f"{a.key} {e.path}: HTTP {row.status} (server)")
                    r = run_wrk(server.port, e.path, a.cookies, args, lua)
                    row.requests = r["requests"]
                    row.rps = round(r["rps"], 1)
                    row.p50_ms = None if r["p50_ms"] is None else round(r["p50_ms"], 1)
                    row.p99_ms = None if r["p99_ms"] is None else round(r["p99_ms"], 1)
                    row.non_2xx_3xx, row.socket_errors = r["non_2xx_3xx"], r["socket_errors"]
                rows.append(row)
                done += 1
                say(f"[{done}/{total}] {a.key} {e.path}: {row.status}, {row.queries} queries, warm {row.warm_ms:.0f} ms"
                    + (f"; {row.rps:.1f} req/s ({row.requests} in {args.duration} s), p99 {_fmt(row.p99_ms, '.0f')} ms" if server else ""))
                if server and done == total // 2:
                    server.wait_idle()
                    result["healthz"].append(healthz_run(server.port, args, lua, "middle"))
            result["roles"].append({"key": a.key, "role": a.role, "username": a.username, "scope": a.scope, "sign_in": a.sign_in,
                                    "refused": refused, "rows": rows})
        if server:
            server.wait_idle()
            result["healthz"].append(healthz_run(server.port, args, lua, "end"))
    finally:
        lua.unlink(missing_ok=True)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["run_seconds"] = round(time.perf_counter() - started, 1)
    mean = statistics.mean(r["rps"] for r in result["healthz"]) if result["healthz"] else None
    result["healthz_mean_rps"] = mean
    for role in result["roles"]:
        for row in role["rows"]:
            if mean and row.rps is not None:
                row.share = round(100 * row.rps / mean, 1)
            judge(row, args.smoke)
        role["rows"] = [asdict(r) for r in role["rows"]]
    if server:
        result["workers_booted_during_run"] = server.workers_booted() - result["workers_booted_at_start"]
    return result


def ensure_wrk(path: str) -> None:
    """wrk from Debian, installed the way the set-up command installs its Debian packages (``bin/_setup.sh``'s
    ``ensure_debs``: as root with apt-get) when the default path lacks it; an explicit other path must exist."""
    if Path(path).exists():
        return
    if path == "/usr/bin/wrk":
        say("installing wrk (Debian package) …")
        subprocess.run(["bash", "-c", f'source "{ROOT}/bin/_setup.sh" && ensure_debs wrk:/usr/bin/wrk'], check=False)
    if not Path(path).exists():
        raise SystemExit(f"wrk not found at {path} (Debian package wrk; install it as root: apt-get install wrk)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--var-dir", default=None, help="GONGJIAN_VAR_DIR of the demo (default var/bench/postgres-<db name>)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--rebuild", action="store_true", help="build the city demo again (gongjian demo --scale city --reset)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duration", type=int, default=4, help="seconds of wrk per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", dest="threads_wrk", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=1, help="warm in-process requests per endpoint (the median is shown)")
    parser.add_argument("--roles", nargs="+", choices=list(ROLES), default=DEFAULT_ROLES)
    parser.add_argument("--only", nargs="+", default=None, help="drive only paths containing one of these substrings")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes (default: the server's own default)")
    parser.add_argument("--server-threads", type=int, default=None, help="gunicorn threads per process (default: the server's)")
    parser.add_argument("--wrk", default="/usr/bin/wrk")
    parser.add_argument("--json", default=None, help="write the results to this file as JSON")
    parser.add_argument("--smoke", action="store_true", help="already inside a configured Django (tests): in-process only, no wrk")
    args = parser.parse_args(argv)

    facts = machine_facts(None if args.smoke else args.database_url)
    print("gongjian load benchmark (issue #12)")
    for key, value in facts.items():
        print(f"  {key:<10} {value}")
    settings_line = (f"wrk -t{args.threads_wrk} -c{args.connections} -d{args.duration}s; warm = median of {args.repeat} in-process request(s) "
                     f"after one to warm up; bars: warm ≤ {WARM_MS:.0f} ms, ≥ {PAGE_SHARE:.0f}% of /healthz (pages), "
                     f"≥ {HOME_API_SHARE:.0f}% (/ and API lists), "
                     f"/healthz p99 ≤ {HEALTHZ_P99_MS:.0f} ms")
    if args.smoke:
        settings_line = "smoke: in-process only (the configured database), one request per endpoint, no server, no wrk"
    print(f"  settings   {settings_line}")
    server: Server | None = None
    info: dict[str, Any] = {}
    started = time.perf_counter()

    def stop_on_term(signum: int, frame: Any) -> None:
        raise SystemExit(f"stopped by signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop_on_term) if not args.smoke else None
    try:
        if not args.smoke:
            ensure_wrk(args.wrk)
            var_dir = Path(args.var_dir or ROOT / "var" / "bench" / f"postgres-{_db_name(args.database_url)}").resolve()
            var_dir.mkdir(parents=True, exist_ok=True)
            info = ensure_city(args, var_dir)
            print(f"  database   {args.database_url}: {info['demo']}", flush=True)
            env = server_env(args, var_dir)
            server = Server(env, var_dir / "bench-load-server.log", args.workers, args.server_threads)
            say(f"starting gongjian serve --production on 127.0.0.1:{server.port} (log {server.log}) …")
            server.start()
            print(f"  server     gongjian serve --production on 127.0.0.1:{server.port} ({server.processes()}), REDIS_URL={args.redis_url}, "
                  "GONGJIAN_HTTPS=0", flush=True)
            # this process: the production settings on the same database, cache and session store
            os.environ.update(env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
            import django

            django.setup()
        import logging

        logging.getLogger("django.request").setLevel(logging.ERROR)  # 403/404 while enumerating are expected
        accounts, notes = choose_accounts(args.roles)
        passwords = demo_passwords()
        transport: Any = HttpTransport(server.port) if server else ClientTransport()
        for a in accounts:
            sign_in(transport, a, passwords.get(a.username))
            say(f"signed in {a.key}: {a.username} ({a.scope}) by {a.sign_in}")
        result = measure(args, accounts, notes, server)
    finally:
        if server:
            server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result.update({"machine": facts, "settings": settings_line, "database": None if args.smoke else args.database_url,
                   "demo": info, "duration": args.duration, "connections": args.connections})
    print_report(result, args.smoke)
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    rows = [r for role in result["roles"] for r in role["rows"]]
    if args.smoke:
        return 1 if result["errors"] or any(r["status"] >= 400 for r in rows) else 0
    healthz_bad = any(r["p99_ms"] is None or r["p99_ms"] > HEALTHZ_P99_MS for r in result["healthz"])
    return 1 if result["errors"] or healthz_bad or any(r["missed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
