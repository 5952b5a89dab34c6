"""Building (and resetting) the demo city: runs the registered steps in one transaction."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from gongjian.accounts.choices import Role
from gongjian.accounts.models import Scope, User
from gongjian.core import audit
from gongjian.core.models import AuditEvent
from gongjian.regions.models import Region

from .city import DEMO_USERNAMES
from .steps import DemoAccount, DemoContext, registered_steps, run_steps, step_line

SCALES = ("small", "city")


class DemoError(Exception):
    """The demo city cannot be built (production mode, data present without --reset …)."""


def accounts_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.json"


def has_data() -> bool:
    return Region.objects.exists()


def reset(out: Callable[[str], None] = print) -> dict[str, int]:
    """Empty the tables the registered steps fill (reverse order) and retire the demo accounts.

    Audit events are append-only and stay. Scopes pointing at the deleted places go with them.
    Runs inside the caller's transaction; foreign keys are checked at commit.
    """
    deleted: dict[str, int] = {}
    deleted["accounts.Scope"] = Scope.objects.all()._raw_delete(connection.alias)
    # The steps' rows first: they may point at the demo accounts (a wish's resident, a project's proposer).
    for step in reversed(registered_steps()):
        for model in reversed(step.models):
            n = model._base_manager.all()._raw_delete(connection.alias)
            deleted[model._meta.label] = n
    demo_users = User.objects.filter(username__in=DEMO_USERNAMES)
    acted = set(AuditEvent.objects.filter(actor__in=demo_users).values_list("actor_id", flat=True).distinct())
    for user in demo_users:
        if user.pk in acted:  # audit events keep pointing at it: retire instead of deleting
            user.username = f"{user.username}.retired.{user.pk}"
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["username", "is_active", "password"])
        else:
            user.delete()
    out(_("Reset: deleted %(rows)s rows.") % {"rows": f"{sum(deleted.values()):,}"})
    return deleted


def build(*, scale: str, seed: int, do_reset: bool = False, out: Callable[[str], None] = print) -> DemoContext:
    """Build the demo city. Raises DemoError when it must not run."""
    if getattr(settings, "PRODUCTION", False):
        raise DemoError(_("The demo city cannot be built in production mode."))
    if scale not in SCALES:
        raise DemoError(_("Unknown scale %(scale)s: use small or city.") % {"scale": scale})
    if has_data() and not do_reset:
        raise DemoError(_("The database already holds regions. Run again with --reset to delete the demo data and rebuild it."))
    ctx = DemoContext(seed=seed, scale=scale, out=out)
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # One transaction of ~1.5 million rows: its commit need not wait for the WAL to reach the disk (a demo lost
            # to a crash is built again).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if do_reset:
            reset(out)
        report = run_steps(ctx)
        ctx.reset_sequences()
        audit.record(
            actor=None, verb="demo.build", target=("demo", f"{scale}:{seed}"), target_label=f"demo city {scale} (seed {seed})",
            changes={"scale": scale, "seed": seed, "reset": do_reset, "rows": dict(ctx.counts),
                     "steps": [{"key": k, "seconds": round(s, 2)} for k, s, _rows in report]},
        )
        finishing = _Timer(out, "commit")  # the deferred foreign-key checks of every row run here
    finishing.done()
    analyzing = _Timer(out, "analyze")
    analyze()
    analyzing.done()
    ctx.data["seconds"] = time.perf_counter() - started
    write_accounts(ctx.accounts)
    return ctx


class _Timer:
    """Prints a phase of the build after the steps (commit, analyze) as the steps are printed."""

    def __init__(self, out: Callable[[str], None], key: str) -> None:
        self.out, self.started, self.cpu = out, time.perf_counter(), time.process_time()
        out(f"  · {key}")

    def done(self) -> None:
        self.out(step_line(time.perf_counter() - self.started, time.process_time() - self.cpu))


def analyze() -> None:
    """Refresh the planner's statistics after the bulk load (and on PostgreSQL reclaim the rows
    ``--reset`` deleted).

    Without statistics PostgreSQL estimated a district's 20,000 members as ~190 rows and SQLite
    has none at all, so the first pages chose slow plans until autovacuum caught up; after a
    reset the member table also held as many dead rows as live ones, which doubled every scan.
    VACUUM cannot run inside a transaction: there (tests, callers' atomic blocks) only ANALYZE.
    """
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def write_accounts(accounts: list[DemoAccount]) -> Path:
    path = accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([a.as_json() for a in accounts], ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def accounts_table(accounts: list[DemoAccount]) -> str:
    """A plain-text table: role, username, password, scope."""
    rows: list[tuple[Any, ...]] = [(_("Role"), _("Username"), _("Password"), _("Scope"))]
    labels = dict(Role.choices)
    for a in accounts:
        rows.append((str(labels.get(a.role, a.role)), a.username, a.password, f"{a.scope_name} {a.scope_code}".strip()))

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cols = [max(width(str(r[i])) for r in rows) for i in range(4)]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(str(c) + " " * (cols[i] - width(str(c))) for i, c in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in cols))
    return "\n".join(lines)
