"""``gongjian match_eval``: run the matching engine on the packaged evaluation set and print recall@1, recall@5 and MRR.

Needs no database. A hit is a resource judged good (grade 2); the same figures are printed counting acceptable ones
(grade ≥ 1) too. ``--by-case`` adds a line per hard-case tag, ``--worst N`` lists the N worst-ranked needs with what
the engine put first and what it said about the good resource.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongjian.cobuild.matching import Matcher, MatchingInputError
from gongjian.cobuild.matching import eval as evaluation
from gongjian.cobuild.matching.csvio import parse_date


class Command(BaseCommand):
    help = "Evaluate the matching engine on its packaged evaluation set: recall@1, recall@5 and MRR (no database)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--top", type=int, default=5, help="suggestions asked per need (≥ 5; MRR is computed over them), default 5")
        parser.add_argument(
            "--today",
            default=evaluation.TODAY.isoformat(),
            help=f"the day that decides expiry, default {evaluation.TODAY} (the set is written for it)",
        )
        parser.add_argument("--by-case", action="store_true", help="also print the figures per hard-case tag")
        parser.add_argument("--worst", type=int, default=0, metavar="N", help="list the N worst-ranked needs with the engine's reasons")
        parser.add_argument("--data", default="", help="a directory with needs.csv, resources.csv, judgments.csv (default: the packaged set)")

    def handle(self, *args: Any, **options: Any) -> None:
        top = options["top"]
        if top < 5 or top > 1000:
            raise CommandError("--top should be between 5 and 1000 (recall@5 needs at least 5 suggestions)", returncode=2)
        try:
            today = parse_date(options["today"])
        except MatchingInputError as exc:
            raise CommandError(f"--today: {exc.detail}", returncode=2) from exc
        if today is None:
            raise CommandError("--today: a date is required (YYYY-MM-DD)", returncode=2)
        data_dir = Path(options["data"]) if options["data"] else evaluation.DATA_DIR
        try:
            ev = evaluation.load(data_dir)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read the evaluation set in {data_dir}: {exc}", returncode=2) from exc

        started = time.perf_counter()
        matcher = Matcher(ev.resources, today=today)
        built = time.perf_counter()
        suggestions = matcher.suggest_all(ev.needs, top_k=top)
        finished = time.perf_counter()
        rankings = {nid: [s.resource_id for s in items] for nid, items in suggestions.items()}

        out = self.stdout.write
        out(
            f"evaluation set: {len(ev.needs)} needs, {len(ev.resources)} resources, "
            f"{sum(len(v) for v in ev.judgments.values())} judgments · today {today} · top {top}"
        )
        out(f"{'':24}{'needs':>6}{'recall@1':>10}{'recall@5':>10}{'MRR@' + str(top):>9}")
        for label, grade in (("good (grade 2)", 2), ("acceptable (grade ≥ 1)", 1)):
            self._line(label, evaluation.score(rankings, ev.judgments, min_grade=grade))
        if options["by_case"]:
            out("per case (hit = grade 2):")
            tags = [t for t in evaluation.CASES if any(t in c for c in ev.cases.values())]
            tags += sorted({t for c in ev.cases.values() for t in c} - set(tags))
            for tag in tags:
                ids = [nid for nid, c in ev.cases.items() if tag in c]
                self._line(f"  {tag}", evaluation.score(rankings, ev.judgments, min_grade=2, need_ids=ids))
        per_need = (finished - built) / max(len(ev.needs), 1) * 1000
        out(f"time: index {built - started:.3f} s · ranking {finished - built:.3f} s ({per_need:.1f} ms per need) · total {finished - started:.3f} s")
        if options["worst"] > 0:
            self._worst(ev, matcher, rankings, options["worst"], top)

    def _line(self, label: str, scores: evaluation.Scores) -> None:
        self.stdout.write(f"{label:24}{scores.count:>6}{scores.recall[1]:>10.3f}{scores.recall[5]:>10.3f}{scores.mrr:>9.3f}")

    def _worst(self, ev: evaluation.EvalSet, matcher: Matcher, rankings: dict[str, list[str]], count: int, top: int) -> None:
        """The needs whose first good resource ranks lowest (outside the list last), with the engine's own explanation."""
        full = matcher.suggest_all(ev.needs, top_k=len(ev.resources))
        full_rank = {nid: [s.resource_id for s in items] for nid, items in full.items()}
        needs = {n.id: n for n in ev.needs}
        titles = {r.id: r.title for r in ev.resources}

        def key(nid: str) -> tuple[float, str]:
            good = evaluation.relevant(ev.judgments[nid], 2)
            position = evaluation.first_hit(full_rank.get(nid, []), good)
            return (-(position or 10_000), nid)

        worst = sorted((nid for nid in ev.judgments if nid in needs), key=key)[:count]
        self.stdout.write(f"worst {len(worst)} needs:")
        for nid in worst:
            need = needs[nid]
            good = sorted(evaluation.relevant(ev.judgments[nid], 2))
            position = evaluation.first_hit(full_rank.get(nid, []), good)
            where = f"first good at rank {position}" if position else "no good resource suggested at all"
            self.stdout.write(f"- {nid} {need.title} [{need.category or '—'}] ({';'.join(ev.cases.get(nid, ()))}) · {where}")
            for rank, rid in enumerate(rankings.get(nid, [])[:3], start=1):
                self.stdout.write(f"    #{rank} {rid} {titles[rid]}")
            for rid in good:
                s = matcher.explain(need, rid)
                if s is not None:
                    self.stdout.write(f"    good {rid} {titles[rid]} · score {s.score:.3f} · {'；'.join(s.reasons)}")
