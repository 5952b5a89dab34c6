"""Test settings: SQLite in memory unless TEST_DATABASE_URL points at PostgreSQL."""

import os

import dj_database_url

from .base import *  # noqa: F403
from .base import VAR_DIR

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
if TEST_DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(TEST_DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
        }
    }
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Off in tests but core/tests/test_listcache.py (which turns it on): factories write records without the services,
# whose audit moves the versions the kept lists are checked against — production has no such writes.
GONGJIAN_LIST_CACHE = False
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
PII_KEY = "test-pii-key-not-secret"
MEDIA_ROOT = VAR_DIR / "test-media"
