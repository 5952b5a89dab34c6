"""Celery application: workers on Redis in production mode; eager in the embedded default.

Run in production with ``celery -A config worker`` and ``celery -A config beat``. Modules do not
edit a schedule here: they list ``core.registry.PeriodicTask`` entries on their registry
``Module(periodic=[...])`` and ``install_beat_schedule`` adds them when the app is finalised.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("gongjian")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def install_beat_schedule(celery_app: Celery) -> dict[str, dict[str, Any]]:
    """Merge the periodic tasks modules registered with the core into ``beat_schedule``."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from gongjian.core.registry import beat_schedule

    registered = beat_schedule()
    schedule = dict(celery_app.conf.beat_schedule or {})
    schedule.update(registered)
    celery_app.conf.beat_schedule = schedule
    return registered


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs: Any) -> None:
    install_beat_schedule(sender)
