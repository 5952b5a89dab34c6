"""The system's periodic work: the overdue sweep and the reminders before an assignment's deadline."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from gongjian.accounts import selectors as accounts_selectors
from gongjian.accounts.choices import Role
from gongjian.core import audit, notify, registry

from .. import deadlines
from ..choices import ASSIGNMENT_ACTIVE, MATTER_OPEN, EventKind, MatterStatus
from ..models import Assignment, Matter, MatterEvent
from .common import MODULE, _now


def _update_returning(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """One ``UPDATE … RETURNING`` (PostgreSQL, SQLite ≥ 3.35): the rows this statement changed and no other."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    vals = list(values)
    return ", ".join(["%s"] * len(vals)), vals


def _bulk_events(rows: list[MatterEvent]) -> None:
    MatterEvent.objects.bulk_create(rows, batch_size=2000)


def _notify_grouped(by_region: dict[int, list[str]], by_dept: dict[int, list[str]], *, verb: str, title: Any) -> None:
    """One notification per level / department with the count and the first numbers (never one per matter)."""
    def body(numbers: list[str]) -> str:
        head = "、".join(numbers[:10])
        return f"{len(numbers)}：{head}{'…' if len(numbers) > 10 else ''}"

    admin_roles = [Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.SUBDISTRICT_ADMIN, Role.COMMUNITY_ADMIN]
    admins = accounts_selectors.holders_by_place(roles=admin_roles, region_ids=by_region) if by_region else {}
    for (_kind, region_id), users in admins.items():
        notify.send(users, verb=verb, title=f"{title}（{len(by_region[region_id])}）", body=body(by_region[region_id]))
    handlers = accounts_selectors.holders_by_place(roles=[Role.DEPARTMENT_HANDLER], department_ids=by_dept) if by_dept else {}
    for (_kind, dept_id), users in handlers.items():
        notify.send(users, verb=verb, title=f"{title}（{len(by_dept[dept_id])}）", body=body(by_dept[dept_id]))


def _numbers(ids: set[int]) -> dict[int, str]:
    """Matter numbers by id for many ids (PostgreSQL: one array parameter instead of one placeholder per id)."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, number FROM {Matter._meta.db_table} WHERE id = ANY(%s)", [list(ids)])  # noqa: S608 - our table
            return dict(cur.fetchall())
    out: dict[int, str] = {}
    chunk = list(ids)
    for start in range(0, len(chunk), 900):
        out.update(Matter.objects.filter(pk__in=chunk[start:start + 900]).values_list("pk", "number"))
    return out


SWEEP_BATCH = 10_000  # rows flagged per statement and transaction (a first sweep over old data never holds locks for long)


def _mark_overdue(table: str, where: str, params: list[Any], returning: str, event_cols: str, *, at: Any, now: dt.datetime,
                  note: Any, batch: int) -> list[tuple[Any, ...]]:
    """Flag the rows of ``table`` matching ``where`` and not yet flagged, and write one OVERDUE timeline entry per row.

    The candidates are read once (their ids); they are flagged in batches of ``batch`` ids, each batch one
    ``UPDATE … SET is_overdue = true WHERE id IN (batch) AND <where> AND NOT is_overdue RETURNING …`` in its own
    short transaction. The update re-checks the condition on the locked row, so a row resolved meanwhile or flagged
    by a concurrent sweep is left alone and returned by neither. ``event_cols`` picks (matter id, region id,
    department id) from the returned columns. PostgreSQL inserts the entries in the same statement (a data-modifying
    CTE: they never leave the server); elsewhere the returned rows are inserted in batches. ``is_overdue`` is in no
    index and the tables keep free space on each page (fillfactor, migration 0004), so PostgreSQL updates the rows
    in place (HOT) without touching any index."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM {table} WHERE {where} AND is_overdue = %s", [*params, False])  # noqa: S608 - names only
        ids = [r[0] for r in cur.fetchall()]
    text = str(note)
    out: list[tuple[Any, ...]] = []
    pg = connection.vendor == "postgresql"
    step = batch if pg else min(batch, 900)
    cols = [c.strip() for c in returning.split(",")]
    picks = [c.strip() for c in event_cols.split(",")]
    for start in range(0, len(ids), step):
        chunk = ids[start:start + step]
        if pg:
            id_sql, id_vals = "id = ANY(%s)", [chunk]
        else:
            marks, id_vals = _in(chunk)
            id_sql = f"id IN ({marks})"
        update = (f"UPDATE {table} SET is_overdue = %s, updated_at = %s WHERE {id_sql} AND {where} AND is_overdue = %s "  # noqa: S608
                  f"RETURNING {returning}")
        with transaction.atomic():
            if pg:
                # Flags and entries are recomputed by the next sweep if a crash loses this commit: no need to wait for the
                # WAL to reach the disk (on this machine that wait was a fifth of the mass sweep).
                with connection.cursor() as cur:
                    cur.execute("SET LOCAL synchronous_commit TO OFF")
                ev = MatterEvent._meta.db_table
                sql = (f"WITH upd AS ({update}), ev AS (INSERT INTO {ev} (matter_id, region_id, department_id, kind, at, "  # noqa: S608
                       f"actor_label, from_status, to_status, note, created_at, updated_at) SELECT {event_cols}, %s, %s, %s, '', '', "
                       f"%s, %s, %s FROM upd) SELECT {', '.join(cols)} FROM upd")
                out += _update_returning(sql, [True, at, *id_vals, *params, False, EventKind.OVERDUE, at, "system", text, at, at])
                continue
            rows = _update_returning(update, [True, at, *id_vals, *params, False])

            def value(row: tuple[Any, ...], pick: str) -> Any:
                return None if pick == "NULL" else row[cols.index(pick)]

            _bulk_events([MatterEvent(matter_id=value(r, picks[0]), region_id=value(r, picks[1]), department_id=value(r, picks[2]),
                                      kind=EventKind.OVERDUE, at=now, actor_label="system", note=text) for r in rows])
            out += rows
    return out


def sweep_overdue(*, now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Mark matters past their accept or resolve deadline and assignments past theirs as overdue.

    Set-based: per kind, one query for the candidates on the (status, due) indexes and one ``UPDATE … RETURNING`` per
    batch of ``batch`` rows (``_mark_overdue``); a row already marked is not touched again, so each matter gets one
    OVERDUE timeline entry and its owners (and each department its handlers) one notification per sweep that found
    something — and two sweeps at once never mark a row twice (the second waits for the row and re-checks
    ``is_overdue``). Each batch commits on its own; the notifications and the audit event follow the last one."""
    now = now or _now()
    at = connection.ops.adapt_datetimefield_value(now)
    open_in, open_vals = _in(MATTER_OPEN)
    active_in, active_vals = _in(ASSIGNMENT_ACTIVE)
    accept_rows = _mark_overdue(Matter._meta.db_table, "status = %s AND accept_due < %s", [MatterStatus.REPORTED, at],
                                "id, owner_id, number", "id, owner_id, NULL", at=at, now=now, note=_("Not accepted within the deadline."),
                                batch=batch)
    resolve_rows = _mark_overdue(Matter._meta.db_table, f"status IN ({open_in}) AND resolve_due < %s", [*open_vals, at],
                                 "id, owner_id, number", "id, owner_id, NULL", at=at, now=now, note=_("Not resolved within the deadline."),
                                 batch=batch)
    asg_rows = _mark_overdue(Assignment._meta.db_table, f"status IN ({active_in}) AND deadline < %s", [*active_vals, at],
                             "matter_id, department_id, by_region_id", "matter_id, NULL, department_id", at=at, now=now,
                             note=_("The department did not report its result within the deadline."), batch=batch)
    numbers = _numbers({r[0] for r in asg_rows})
    by_region: dict[int, list[str]] = defaultdict(list)
    for _mid, owner, number in (*accept_rows, *resolve_rows):
        by_region[owner].append(number)
    by_dept: dict[int, list[str]] = defaultdict(list)
    by_assigner: dict[int, list[str]] = defaultdict(list)
    for mid, dept, by in asg_rows:
        by_dept[dept].append(numbers.get(mid, ""))
        by_assigner[by].append(numbers.get(mid, ""))
    counts = {"accept": len(accept_rows), "resolve": len(resolve_rows), "assignments": len(asg_rows)}
    if any(counts.values()):
        with transaction.atomic():
            _notify_grouped(by_region, by_dept, verb="matters.overdue", title=_("Matters overdue"))
            _notify_grouped(by_assigner, {}, verb="matters.assignment_overdue", title=_("Assignments overdue"))
            audit.record(actor=None, verb="matters.sweep_overdue", target="matters.matter", changes=counts)
        registry.bump(MODULE)
    return counts


@transaction.atomic
def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind departments of active assignments whose deadline is within the rule's ``remind_before_hours``, once each."""
    now = now or _now()
    rules = deadlines.rules()
    ids: list[int] = []
    for urgency, rule in rules.items():
        window = now + dt.timedelta(hours=rule.remind_before_hours)
        ids += list(Assignment.objects.filter(status__in=ASSIGNMENT_ACTIVE, reminded_at__isnull=True, deadline__gt=now,
                                              deadline__lte=window, matter__urgency=urgency).values_list("pk", flat=True))
    if not ids:
        return 0
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 900):
        chunk_in, chunk = _in(ids[start:start + 900])
        rows += _update_returning(
            f"UPDATE {Assignment._meta.db_table} SET reminded_at = %s "  # noqa: S608
            f"WHERE id IN ({chunk_in}) AND reminded_at IS NULL RETURNING id, matter_id, department_id, deadline",
            [connection.ops.adapt_datetimefield_value(now), *chunk],
        )
    numbers = dict(Matter.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "number"))
    note = str(_("Deadline approaching"))
    _bulk_events([MatterEvent(matter_id=mid, kind=EventKind.REMINDER, at=now, actor_label="system", department_id=dept, note=note)
                  for _a, mid, dept, _d in rows])
    by_dept: dict[int, list[str]] = defaultdict(list)
    for _a, mid, dept, _d in rows:
        by_dept[dept].append(numbers.get(mid, ""))
    _notify_grouped({}, by_dept, verb="matters.reminder", title=_("Assignments due soon"))
    return len(rows)
