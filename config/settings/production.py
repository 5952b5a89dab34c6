"""Production mode: GONGJIAN_PRODUCTION=1, PostgreSQL via DATABASE_URL, Redis via REDIS_URL.

Refuses to start without GONGJIAN_SECRET_KEY, GONGJIAN_PII_KEY and DATABASE_URL
(PostgreSQL). Behind HTTPS by default; an intranet served over plain HTTP sets GONGJIAN_HTTPS=0,
which turns off secure cookies, HSTS and the HTTPS redirect (and silences the checks about them,
because that is then a deliberate choice).
"""

import os

os.environ["GONGJIAN_PRODUCTION"] = "1"  # base.py reads it: production settings always mean production mode

from django.core.exceptions import ImproperlyConfigured

_missing = [name for name in ("GONGJIAN_SECRET_KEY", "GONGJIAN_PII_KEY", "DATABASE_URL") if not os.environ.get(name, "").strip()]
if _missing:
    raise ImproperlyConfigured(
        "Production mode needs these environment variables: " + ", ".join(_missing) + " (DATABASE_URL e.g. postgres://user:password@host:5432/gongjian)"
    )
if os.environ["DATABASE_URL"].startswith("sqlite"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production mode; SQLite is for the embedded mode")
if len(os.environ["GONGJIAN_SECRET_KEY"]) < 50:
    raise ImproperlyConfigured(
        "GONGJIAN_SECRET_KEY must be at least 50 characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

from .base import *  # noqa: E402, F403
from .base import REDIS_URL, VAR_DIR, env_bool  # noqa: E402

DEBUG = False
TEMPLATES[0]["OPTIONS"]["debug"] = False  # type: ignore[index]  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # whitenoise's CompressedManifestStaticFilesStorage, tolerant of vendor source maps that npm omits
    "staticfiles": {"BACKEND": "gongjian.core.storage.StaticStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
WHITENOISE_MAX_AGE = 3600  # un-hashed names; hashed names are cached for ever by whitenoise

HTTPS = env_bool("GONGJIAN_HTTPS", True)
SESSION_COOKIE_SECURE = env_bool("GONGJIAN_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = env_bool("GONGJIAN_SECURE_COOKIES", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("GONGJIAN_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("GONGJIAN_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GONGJIAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("GONGJIAN_HSTS_PRELOAD", False)
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("GONGJIAN_PROXY_COUNT", "1"))

SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS,  # noqa: F405
    # Preloading HSTS is a commitment of the whole domain to browsers' lists; opt in with GONGJIAN_HSTS_PRELOAD=1.
    "security.W021",
]
if not HTTPS:
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]

if not REDIS_URL:
    # Several server processes must share one cache (figure versions, lock-outs): without Redis,
    # a cache directory under var/ on this machine.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("GONGJIAN_LOG_LEVEL", "WARNING"), "propagate": False},
        "gongjian": {"handlers": ["console"], "level": os.environ.get("GONGJIAN_LOG_LEVEL", "INFO"), "propagate": False},
    },
}
