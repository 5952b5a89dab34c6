"""``gongjian serve``: the embedded development server, or ``--production``: gunicorn.

Embedded (default): migrates the SQLite database if needed and runs Django's server; static
files come straight from the apps and node_modules (no collectstatic).

Production (``--production``, needs GONGJIAN_SECRET_KEY, GONGJIAN_PII_KEY, DATABASE_URL):
collects static files (compressed, hashed names, served by whitenoise), checks the deployment
settings, then replaces itself with gunicorn: GONGJIAN_WEB_WORKERS processes (default
2 × CPUs + 1, at most 8) of GONGJIAN_WEB_THREADS threads (default 4) each.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def default_workers(cpus: int | None = None) -> int:
    cpus = cpus or os.cpu_count() or 1
    return max(2, min(2 * cpus + 1, 8))


def _positive_int(name: str, value: str | int | None, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise CommandError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise CommandError(f"{name} must be at least 1")
    return number


def gunicorn_argv(*, bind: str, workers: int, threads: int, timeout: int = 60) -> list[str]:
    """The gunicorn command line (``python -m gunicorn`` of this interpreter, so the venv is used)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "30",
        # the application (warmed by config/wsgi.py) is loaded once and forked: a new worker starts warm
        "--preload",
        # recycle workers now and then (a leak stays bounded), staggered so they do not restart together; rarely: a
        # recycle takes a process out of the pool for a moment (at 4,000 requests a process, the load bench's /healthz
        # p99 rose from ~20 to 219 ms in a window where two processes were recycled)
        "--max-requests",
        "20000",
        "--max-requests-jitter",
        "10000",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("GONGJIAN_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]


class Command(BaseCommand):
    help = "Serve Gongjian: the embedded server, or with --production gunicorn with whitenoise."

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="", help="host:port (default 127.0.0.1:8000, production 0.0.0.0:8000)")
        parser.add_argument("--production", action="store_true", help="run gunicorn (multi-process) with the production settings")
        parser.add_argument("--workers", default=None, help="gunicorn processes (default GONGJIAN_WEB_WORKERS or 2 × CPUs + 1, at most 8)")
        parser.add_argument("--threads", default=None, help="threads per process (default GONGJIAN_WEB_THREADS or 4)")
        parser.add_argument("--no-collectstatic", action="store_true", help="production: static files were collected already")
        parser.add_argument("--migrate", action="store_true", help="production: apply database migrations before serving")
        parser.add_argument("--dry-run", action="store_true", help="print the server command instead of running it")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["production"]:
            self._production(options)
        else:
            self._embedded(options)

    def _embedded(self, options: dict[str, Any]) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("GONGJIAN_PRODUCTION is set: use `gongjian serve --production`.")
        addrport = options["addrport"] or "127.0.0.1:8000"
        if options["dry_run"]:
            self.stdout.write(f"runserver {addrport}")
            return
        call_command("migrate", interactive=False, verbosity=0)
        call_command("runserver", addrport)

    def _production(self, options: dict[str, Any]) -> None:
        if not getattr(settings, "PRODUCTION", False) or settings.DEBUG:
            raise CommandError(
                "Production mode needs the production settings: run `gongjian serve --production` "
                "(DJANGO_SETTINGS_MODULE=config.settings.production)."
            )
        workers = _positive_int("GONGJIAN_WEB_WORKERS", options["workers"] or os.environ.get("GONGJIAN_WEB_WORKERS"), default_workers())
        threads = _positive_int("GONGJIAN_WEB_THREADS", options["threads"] or os.environ.get("GONGJIAN_WEB_THREADS"), 4)
        timeout = _positive_int("GONGJIAN_WEB_TIMEOUT", os.environ.get("GONGJIAN_WEB_TIMEOUT"), 60)
        bind = options["addrport"] or os.environ.get("GONGJIAN_BIND", "0.0.0.0:8000")
        if bind.isdigit():
            bind = f"0.0.0.0:{bind}"
        argv = gunicorn_argv(bind=bind, workers=workers, threads=threads, timeout=timeout)
        if options["dry_run"]:
            self.stdout.write(" ".join(argv))
            return
        call_command("check", deploy=True, fail_level="ERROR")
        if options["migrate"]:
            call_command("migrate", interactive=False)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Gongjian (production) on http://{bind}/ — {workers} processes × {threads} threads")
        sys.stdout.flush()
        os.environ["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        os.environ.setdefault("GONGJIAN_WARM_START", "1")  # config/wsgi.py warms the preloaded application (0: do not)
        os.execv(argv[0], argv)  # noqa: S606 - replaces this process with gunicorn
