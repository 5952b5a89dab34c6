"""gongjian import_regions FILE [--scope CODE] [--valid-rows]: load a region tree fast (set-based)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongjian.core.errors import DomainError
from gongjian.regions.importer import import_file
from gongjian.regions.models import Region


class Command(BaseCommand):
    help = "Import the region tree from a CSV/.xlsx file (code,name,level,parent_code,kind); idempotent on code."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--scope", help="only rows inside this region (statistical code) are imported")
        parser.add_argument("--valid-rows", action="store_true", help="import the valid rows even when some rows have errors")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts.get("scope") and not Region.objects.filter(code=opts["scope"]).exists():
            raise CommandError(f"--scope {opts['scope']}: no such region; import its parent levels first.")
        try:
            result, outcome, timing, outside = import_file(opts["file"], scope_code=opts.get("scope"), mode="valid" if opts["valid_rows"] else "all")
        except (DomainError, OSError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from None
        for err in result.errors[:50]:
            self.stderr.write(f"row {err.row} · {err.column}: {err.reason}")
        if len(result.errors) > 50:
            self.stderr.write(f"… {len(result.errors) - 50} more errors")
        if outcome is None:
            raise CommandError(f"{result.error_rows} rows have errors; nothing was imported (use --valid-rows to import the others).")
        self.stdout.write(
            f"rows: {result.total} · created: {outcome.created} · updated: {outcome.updated} · unchanged: {outcome.unchanged} · "
            f"skipped: {outcome.skipped} · outside scope: {len(outside)} · "
            f"check {timing['check']:.2f}s · write {timing['write']:.2f}s · total {timing['total']:.2f}s"
        )
