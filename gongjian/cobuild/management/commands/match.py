"""``gongjian match``: the batch interface of the matching engine, for spreadsheets and evaluation. Needs no database."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongjian.cobuild.matching import Matcher, MatchingInputError, Suggestion, assign, read_needs_csv, read_resources_csv, write_suggestions_csv
from gongjian.cobuild.matching.csvio import parse_date


class Command(BaseCommand):
    help = (
        "Rank resources for needs from two CSV files and write need_id,rank,resource_id,score,reasons. "
        "Input errors name the row and column and exit with code 2, writing nothing."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--needs", required=True, help="needs CSV: id,title,description,category,lat,lng,wanted_from,wanted_to")
        parser.add_argument(
            "--resources",
            required=True,
            help="resources CSV: id,title,description,category,unit,lat,lng,radius_km,capacity,available_from,available_to",
        )
        parser.add_argument("--top", type=int, default=5, help="suggestions per need (at most), default 5")
        parser.add_argument("--output", required=True, help="output CSV (written only when everything succeeded); '-' for standard output")
        parser.add_argument("--assign", action="store_true", help="global mode: each resource given within its capacity (min-cost flow)")
        parser.add_argument("--workers", type=int, default=0, help="processes for a large batch (default: the number of CPU cores, at most 4)")
        parser.add_argument("--today", default="", help="date that decides which resources have expired (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        top = options["top"]
        if top < 1 or top > 1000:
            raise CommandError("--top 应为 1 到 1000 之间的整数", returncode=2)
        started = time.perf_counter()
        try:
            today = parse_date(options["today"]) if options["today"] else None
        except MatchingInputError as exc:
            raise CommandError(f"--today：{exc.detail}", returncode=2) from exc
        needs = self._read(read_needs_csv, options["needs"])
        resources = self._read(read_resources_csv, options["resources"])
        workers = max(options["workers"] or min(os.cpu_count() or 1, 4), 1)
        matcher = Matcher(resources, today=today, workers=workers)
        suggestions = matcher.suggest_all(needs, top_k=top, workers=workers)
        if options["assign"]:
            suggestions = self._assigned(needs, resources, suggestions)
        self._write(options["output"], suggestions)
        rows = sum(len(v) for v in suggestions.values())
        self.stderr.write(f"{len(needs)} needs × {len(resources)} resources → {rows} rows in {time.perf_counter() - started:.2f} s")

    @staticmethod
    def _read(reader: Any, path: str) -> list[Any]:
        try:
            return list(reader(path))
        except MatchingInputError as exc:
            raise CommandError(f"{path}：{exc}", returncode=2) from exc

    @staticmethod
    def _assigned(needs: list[Any], resources: list[Any], suggestions: dict[str, list[Suggestion]]) -> dict[str, list[Suggestion]]:
        by_pair = {(s.need_id, s.resource_id): s for items in suggestions.values() for s in items}
        chosen: dict[str, list[Suggestion]] = {n.id: [] for n in needs}
        for need_id, resource_id, amount in assign(needs, resources, suggestions):
            s = by_pair[(need_id, resource_id)]
            chosen[need_id].append(s)
            chosen[need_id][-1] = Suggestion(s.need_id, s.resource_id, 0, s.score, (*s.reasons, f"分配 {amount:g}"), s.components)
        out: dict[str, list[Suggestion]] = {}
        for need_id, items in chosen.items():
            items.sort(key=lambda s: (-s.score, s.resource_id))
            out[need_id] = [Suggestion(s.need_id, s.resource_id, i, s.score, s.reasons, s.components) for i, s in enumerate(items, start=1)]
        return out

    @staticmethod
    def _write(output: str, suggestions: dict[str, list[Suggestion]]) -> None:
        if output == "-":
            write_suggestions_csv(suggestions, sys.stdout)
            return
        target = Path(output)
        if target.is_dir():
            raise CommandError(f"输出路径 {output} 是一个目录", returncode=2)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".match-", suffix=".csv", dir=target.parent if str(target.parent) else ".")
        except OSError as exc:
            raise CommandError(f"无法写入 {output}：{exc.strerror or exc}", returncode=2) from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write("\ufeff")  # Excel opens a UTF-8 CSV with BOM correctly
                write_suggestions_csv(suggestions, fh)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
