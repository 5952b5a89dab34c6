"""Periodic and background tasks of this app (Celery in production; ``gongjian matters_sweep`` in the embedded mode).

Every ten minutes: the overdue sweep (matters past their accept or resolve deadline, assignments past
theirs) and the reminders before an assignment's deadline. Both are set-based and idempotent, so a
late or doubled run changes nothing twice.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from gongjian.core.registry import PeriodicTask

from . import services

SWEEP_EVERY_SECONDS = 600.0


@shared_task(name="gongjian.matters.tasks.sweep_overdue")
def sweep_overdue() -> dict[str, int]:
    return services.sweep_overdue()


@shared_task(name="gongjian.matters.tasks.send_reminders")
def send_reminders() -> int:
    return services.send_reminders()


def run_all(now: Any = None) -> dict[str, int]:
    """Both jobs once (the embedded mode's command and tests)."""
    counts = services.sweep_overdue(now=now)
    counts["reminders"] = services.send_reminders(now=now)
    return counts


PERIODIC: list[PeriodicTask] = [
    PeriodicTask("sweep_overdue", "gongjian.matters.tasks.sweep_overdue", SWEEP_EVERY_SECONDS),
    PeriodicTask("send_reminders", "gongjian.matters.tasks.send_reminders", SWEEP_EVERY_SECONDS),
]
