"""``gongjian meetings_sweep``: the periodic work of the meetings app in the embedded mode (cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from gongjian.meetings.services import send_reminders, sweep_overdue


class Command(BaseCommand):
    help = "Flag overdue decision tasks, close finished decisions and send deadline reminders."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = sweep_overdue()
        reminded = send_reminders()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in {**counts, "reminders": reminded}.items()))
