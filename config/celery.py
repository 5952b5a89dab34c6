"""Celery application: workers on Redis in production mode; eager in the embedded default."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("gongjian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
