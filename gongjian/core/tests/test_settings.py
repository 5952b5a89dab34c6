"""Settings of both modes, checked in fresh interpreters (settings are read once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SECRET = "s" * 20 + "-production-secret-key-for-tests-only-0123456789"
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({k: getattr(settings, k, None) for k in %r}, default=str))
"""


def _run(env: dict[str, str], code: str, settings_module: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GONGJIAN_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS"))}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = settings_module
    return subprocess.run([sys.executable, "-c", code], env=clean, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def _settings(env: dict[str, str], names: list[str], module: str) -> dict:
    proc = _run(env, PROBE % (names,), module)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def var_dir(tmp_path):
    return str(tmp_path)


PROD_ENV = {
    "GONGJIAN_SECRET_KEY": SECRET,
    "GONGJIAN_PII_KEY": "pii-key-for-tests",
    "DATABASE_URL": "postgres://gj:gj@127.0.0.1:5432/gj",
    "REDIS_URL": "redis://127.0.0.1:6379/5",
}


@pytest.mark.parametrize("missing", ["GONGJIAN_SECRET_KEY", "GONGJIAN_PII_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_required_env(var_dir, missing):
    env = {**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir}
    del env[missing]
    proc = _run(env, "import config.settings.production", "config.settings.production")
    assert proc.returncode != 0
    assert "ImproperlyConfigured" in proc.stderr and missing in proc.stderr


def test_production_refuses_sqlite_and_short_secret(var_dir):
    proc = _run({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir, "DATABASE_URL": "sqlite:///x.db"}, "import config.settings.production", "x")
    assert proc.returncode != 0 and "PostgreSQL" in proc.stderr
    proc = _run({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir, "GONGJIAN_SECRET_KEY": "short"}, "import config.settings.production", "x")
    assert proc.returncode != 0 and "50 characters" in proc.stderr


def test_production_settings_are_secure_by_default(var_dir):
    names = [
        "DEBUG", "PRODUCTION", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE", "STORAGES", "WHITENOISE_USE_FINDERS",
        "CELERY_TASK_ALWAYS_EAGER", "CACHES", "DATABASES", "SECRET_KEY", "PII_KEY",
    ]  # fmt: skip
    s = _settings({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir}, names, "config.settings.production")
    assert s["DEBUG"] is False and s["PRODUCTION"] is True
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == "gongjian.core.storage.StaticStorage"
    assert s["WHITENOISE_USE_FINDERS"] is False
    assert s["CELERY_TASK_ALWAYS_EAGER"] is False
    assert "Redis" in s["CACHES"]["default"]["BACKEND"]
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert s["SECRET_KEY"] == SECRET and s["PII_KEY"] == "pii-key-for-tests"


def test_plain_http_intranet_switches_off_secure_cookies(var_dir):
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_HTTPONLY"]
    s = _settings({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir, "GONGJIAN_HTTPS": "0"}, names, "config.settings.production")
    assert s == {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0, "SECURE_SSL_REDIRECT": False,
                 "SESSION_COOKIE_HTTPONLY": True}  # fmt: skip


def test_production_without_redis_shares_a_file_cache(var_dir):
    env = {**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir}
    del env["REDIS_URL"]
    s = _settings(env, ["CACHES", "SESSION_ENGINE"], "config.settings.production")
    assert s["CACHES"]["default"]["BACKEND"].endswith("FileBasedCache")
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"  # a per-machine cache must not hold sessions


def test_sessions_are_read_from_the_shared_cache_when_there_is_one(var_dir):
    s = _settings({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir}, ["CACHES", "SESSION_ENGINE"], "config.settings.production")
    assert s["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_deploy_check_is_clean_in_production(var_dir):
    code = (
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['x', 'check', '--deploy', '--fail-level', 'WARNING'])"
    )
    proc = _run({**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir}, code, "config.settings.production")
    assert proc.returncode == 0, proc.stderr
    assert "no issues" in proc.stdout


def test_embedded_mode_defaults(var_dir):
    names = ["DEBUG", "PRODUCTION", "DATABASES", "CACHES", "CELERY_TASK_ALWAYS_EAGER", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
             "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE", "WHITENOISE_USE_FINDERS",
             "MIDDLEWARE", "X_FRAME_OPTIONS"]  # fmt: skip
    s = _settings({"GONGJIAN_VAR_DIR": var_dir}, names, "config.settings.base")
    assert s["PRODUCTION"] is False
    assert s["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3" and s["DATABASES"]["default"]["NAME"].startswith(var_dir)
    assert "LocMem" in s["CACHES"]["default"]["BACKEND"] and s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax" and s["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert s["SESSION_COOKIE_AGE"] <= 8 * 3600
    assert s["CSRF_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert "django.middleware.csrf.CsrfViewMiddleware" in s["MIDDLEWARE"] and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["WHITENOISE_USE_FINDERS"] is True  # runserver needs no collectstatic
    # the generated secrets are kept under var/ with private permissions
    for name in (".secret-key", ".pii-key"):
        path = Path(var_dir) / name
        assert path.exists() and (path.stat().st_mode & 0o077) == 0


def test_embedded_secrets_are_stable_across_starts(var_dir):
    first = _settings({"GONGJIAN_VAR_DIR": var_dir}, ["SECRET_KEY", "PII_KEY"], "config.settings.base")
    second = _settings({"GONGJIAN_VAR_DIR": var_dir}, ["SECRET_KEY", "PII_KEY"], "config.settings.base")
    assert first == second and first["SECRET_KEY"] != first["PII_KEY"]


def test_serve_production_refuses_without_env(var_dir):
    proc = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "gongjian"), "serve", "--production", "--dry-run"],
        env={"PATH": os.environ.get("PATH", ""), "GONGJIAN_VAR_DIR": var_dir},
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode != 0 and "GONGJIAN_SECRET_KEY" in proc.stderr


def test_serve_production_runs_gunicorn_with_workers_from_env(var_dir):
    env = {**PROD_ENV, "GONGJIAN_VAR_DIR": var_dir, "PATH": os.environ.get("PATH", "")}
    cmd = [str(Path(sys.executable).parent / "gongjian"), "serve", "--production", "--dry-run", "127.0.0.1:8105"]
    proc = subprocess.run(cmd, env={**env, "GONGJIAN_WEB_WORKERS": "5"}, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert proc.returncode == 0, proc.stderr
    argv = proc.stdout.split()
    assert "gunicorn" in argv and "config.wsgi:application" in argv
    assert argv[argv.index("--workers") + 1] == "5" and argv[argv.index("--bind") + 1] == "127.0.0.1:8105"
    # loaded (and warmed, config/wsgi.py) once before forking; recycling staggered over half the interval
    assert "--preload" in argv
    assert int(argv[argv.index("--max-requests-jitter") + 1]) * 2 >= int(argv[argv.index("--max-requests") + 1])
    bad = subprocess.run(cmd, env={**env, "GONGJIAN_WEB_WORKERS": "many"}, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert bad.returncode != 0 and "GONGJIAN_WEB_WORKERS" in bad.stderr


def test_default_workers():
    from gongjian.core.management.commands.serve import default_workers

    assert default_workers(1) == 3 and default_workers(2) == 5 and default_workers(64) == 8


def test_serve_embedded_runs_the_development_server(var_dir):
    proc = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "gongjian"), "serve", "--dry-run", "127.0.0.1:8105"],
        env={"PATH": os.environ.get("PATH", ""), "GONGJIAN_VAR_DIR": var_dir},
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "runserver 127.0.0.1:8105"
