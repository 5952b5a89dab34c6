"""Settings shared by every mode.

With no environment set, Gongjian runs embedded: SQLite under var/, tasks eager, cache in memory.
DATABASE_URL / REDIS_URL switch on PostgreSQL, Redis cache and Celery workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GONGJIAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = env_bool("GONGJIAN_PRODUCTION")
DEBUG = env_bool("GONGJIAN_DEBUG", default=not PRODUCTION)


def _secret(name: str, filename: str) -> str:
    """A secret from the environment; in embedded mode one is generated once under var/."""
    value = os.environ.get(name)
    if value:
        return value
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name} must be set in production mode")
    path = VAR_DIR / filename
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret("GONGJIAN_SECRET_KEY", ".secret-key")
# Key for personal data at rest (AES-GCM) and its keyed lookup hash.
PII_KEY = _secret("GONGJIAN_PII_KEY", ".pii-key")

ALLOWED_HOSTS = [h for h in os.environ.get("GONGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GONGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "gongjian.core",
    "gongjian.accounts",
    "gongjian.regions",
    "gongjian.orgs",
    "gongjian.cobuild",
    "gongjian.matters",
    "gongjian.meetings",
    "gongjian.volunteering",
    "gongjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gongjian.core.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "gongjian.accounts.middleware.AuthenticationMiddleware",  # Django's, the account kept by version
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gongjian.core.middleware.RequestContextMiddleware",
    "gongjian.core.exceptions.DomainErrorMiddleware",
    "gongjian.accounts.middleware.OTPRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gongjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongjian.core.context_processors.navigation",
            ],
            # {% load i18n %} loads Django's library with {% translate "a constant" %} kept per language
            "libraries": {"i18n": "gongjian.core.templatetags.i18n_kept"},
        },
    }
]
# templates.W003 says "i18n" names two tag modules: Django's and the one above, which replaces it on purpose.
# core/tests/test_i18n_kept.py fails if any other library name is taken twice, which this silence would hide.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

DATABASE_URL = os.environ.get("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "gongjian.sqlite3"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    # Django's Redis cache, keeping its Redis client instead of building one per call (gongjian/core/rediscache.py)
    CACHES = {"default": {"BACKEND": "gongjian.core.rediscache.RedisCache", "LOCATION": REDIS_URL}}
    # Sessions read from the shared cache, written to both (the database keeps them through a Redis restart): a page no
    # longer compiles and runs a session query. Only with a shared cache — a per-machine cache would let one server
    # keep a session another has ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "gongjian"}}

# Celery: workers on Redis in production mode, eager in the embedded default.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not bool(REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Periodic tasks are registered by modules (core.registry.PeriodicTask) and installed into the
# beat schedule by config/celery.py; this dict only holds entries set here.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

AUTH_USER_MODEL = "accounts.User"
# The models core reads by contract, named here like AUTH_USER_MODEL so that core imports no app (decision 0011):
# an account's scope rows (user_id, role, kind, region → path, unit_id, department_id, is_active) and the region tree
# (code, path, parent, name) that the figures page walks.
GONGJIAN_SCOPE_MODEL = "accounts.Scope"
GONGJIAN_REGION_MODEL = "regions.Region"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock-out after repeated failures (django-axes): per username and IP.
AXES_FAILURE_LIMIT = int(os.environ.get("GONGJIAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# TOTP for staff roles: optional by default; this setting makes it mandatory.
GONGJIAN_REQUIRE_OTP = env_bool("GONGJIAN_REQUIRE_OTP")
# Lists marked core.listcache.shared_list are kept in the shared cache until the next write (docs/decisions/0013).
GONGJIAN_LIST_CACHE = True
OTP_TOTP_ISSUER = "Gongjian 共建"

# Session and cookie security (both modes). A session lasts a working day at most and ends with
# the browser; cookies are out of reach of scripts and of other sites' POSTs. Pages send the CSRF
# token from the form field (htmx reads it from the page), so the CSRF cookie is HttpOnly too.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("GONGJIAN_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_USE_SESSIONS = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Number of reverse proxies in front of Gongjian whose X-Forwarded-For entries are trusted
# (production only; the embedded server is reached directly).
GONGJIAN_PROXY_COUNT = int(os.environ.get("GONGJIAN_PROXY_COUNT", "1" if PRODUCTION else "0"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The project catalog, then the catalogs of an app's parts (gongjian/<app>/<part>/locale, e.g. the
# co-building projects or partners package): a part owns its strings as an app does.
LOCALE_PATHS = [BASE_DIR / "gongjian" / "locale", *sorted(p.parent for p in (BASE_DIR / "gongjian").glob("*/*/locale/zh_Hans"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS: list[tuple[str, Path] | Path] = [
    BASE_DIR / "gongjian" / "static",  # the project's own stylesheet and images (gongjian/...)
    # Tabler's own CSS, JS and images; its dist/libs (34 MB of optional editors and maps) are not used.
    ("vendor/tabler/css", NODE_MODULES / "@tabler" / "core" / "dist" / "css"),
    ("vendor/tabler/js", NODE_MODULES / "@tabler" / "core" / "dist" / "js"),
    ("vendor/tabler/img", NODE_MODULES / "@tabler" / "core" / "dist" / "img"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),  # the matter page's map (tiles from OpenStreetMap when online)
]
STATICFILES_DIRS = [d for d in STATICFILES_DIRS if (d[1] if isinstance(d, tuple) else d).exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Embedded mode serves static files straight from the apps and node_modules (no collectstatic);
# production serves the collected, compressed, hashed files (see production.py).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG and not PRODUCTION
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# The API's lists: ?page=&size=, at most this many items a page (a larger size is clamped to it).
GONGJIAN_API_MAX_PAGE_SIZE = int(os.environ.get("GONGJIAN_API_MAX_PAGE_SIZE", "100"))

# Uploads: imports are limited to this many bytes.
GONGJIAN_IMPORT_MAX_BYTES = int(os.environ.get("GONGJIAN_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

NINJA_PAGINATION_PER_PAGE = 20

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("GONGJIAN_LOG_LEVEL", "WARNING")},
        "gongjian": {"handlers": ["console"], "level": os.environ.get("GONGJIAN_LOG_LEVEL", "INFO")},
    },
}
