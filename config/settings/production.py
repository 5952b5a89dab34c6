"""Production mode: GONGJIAN_PRODUCTION=1, PostgreSQL via DATABASE_URL, Redis via REDIS_URL."""

import os

os.environ.setdefault("GONGJIAN_PRODUCTION", "1")

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env_bool("GONGJIAN_HTTPS", True)
CSRF_COOKIE_SECURE = env_bool("GONGJIAN_HTTPS", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000 if env_bool("GONGJIAN_HTTPS", True) else 0
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("GONGJIAN_PROXY_COUNT", "1"))
