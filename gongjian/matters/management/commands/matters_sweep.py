"""``gongjian matters_sweep``: the overdue sweep and the deadline reminders, for the embedded mode (cron or a loop)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongjian.matters.tasks import run_all


class Command(BaseCommand):
    help = "Mark overdue matters and assignments and send the reminders before deadlines (once; --every N repeats every N seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (0: run once)")

    def handle(self, *args: Any, **options: Any) -> None:
        every = max(0, int(options["every"] or 0))
        while True:
            started = time.monotonic()
            counts = run_all()
            self.stdout.write(
                f"overdue: {counts['accept']} not accepted, {counts['resolve']} not resolved, {counts['assignments']} assignments; "
                f"reminders: {counts['reminders']} ({time.monotonic() - started:.2f} s)"
            )
            if not every:
                return
            time.sleep(every)
