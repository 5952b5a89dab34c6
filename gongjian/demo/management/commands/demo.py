"""``gongjian demo --scale small|city [--seed N] [--reset]``: build the demo city."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from gongjian.demo.build import SCALES, DemoError, accounts_file, accounts_table, build


class Command(BaseCommand):
    help = "Build the demo city (Zhengzhou-like): regions, organisations, members, policies and one demo account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=SCALES, default="small",
                            help="small: a few districts, seconds; city: the whole city at the seed's scale")
        parser.add_argument("--seed", type=int, default=2026, help="random seed; the same seed builds the same city")
        parser.add_argument("--reset", action="store_true", help="delete the demo data first (audit events stay)")
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")

    def handle(self, *args: Any, **options: Any) -> None:
        out = self.stdout.write
        if not options["no_migrate"]:
            executor = MigrationExecutor(connection)
            if executor.migration_plan(executor.loader.graph.leaf_nodes()):
                out(_("Applying database migrations …"))
                call_command("migrate", interactive=False, verbosity=0)
        out(_("Building the demo city: scale %(scale)s, seed %(seed)s") % {"scale": options["scale"], "seed": options["seed"]})
        try:
            ctx = build(scale=options["scale"], seed=options["seed"], do_reset=options["reset"], out=out)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        out("")
        out(accounts_table(ctx.accounts))
        out("")
        out(_("Demo accounts written to %(path)s") % {"path": accounts_file()})
        out(self.style.SUCCESS(_("Demo city built in %(seconds).1f s.") % {"seconds": ctx.data["seconds"]}))
