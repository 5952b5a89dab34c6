"""Periodic and background tasks of this app (Celery in production; ``gongjian meetings_sweep`` in the embedded mode).

* ``sweep_overdue`` (every 15 minutes): decision tasks past their deadline are flagged overdue and
  their departments notified once; decisions whose department work is all done become done.
* ``send_reminders`` (hourly): departments are reminded once of tasks due within 24 hours.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from gongjian.core.registry import PeriodicTask

from . import services


@shared_task(name="gongjian.meetings.tasks.sweep_overdue")
def sweep_overdue() -> dict[str, Any]:
    return services.sweep_overdue()


@shared_task(name="gongjian.meetings.tasks.send_reminders")
def send_reminders() -> int:
    return services.send_reminders()


PERIODIC: list[PeriodicTask] = [
    PeriodicTask(key="sweep_overdue", task="gongjian.meetings.tasks.sweep_overdue", schedule=15 * 60.0),
    PeriodicTask(key="send_reminders", task="gongjian.meetings.tasks.send_reminders", schedule=60 * 60.0),
]
