"""The race harness of every app's concurrency tests (PostgreSQL only: SQLite serialises writers).

``race(*actions, hold=(module, "function"))`` runs the actions in threads. Each runs ``hold``'s function
(typically the service's checks), then waits at a barrier until all have got there, so they reach the
row lock or the constraint together — the moment two people press the button at once. Each outcome is
the action's result or the exception it raised; the test judges them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite cannot run two writers")


def race(*actions: Callable[[], Any], hold: tuple[Any, str] | None = None, wait: float = 20, join: float = 60) -> list[Any]:
    """Run ``actions`` at once; returns each one's result or exception, in order."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[Any] = [None] * len(actions)
    real = getattr(hold[0], hold[1]) if hold else None

    def held(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)  # type: ignore[misc]
        if threading.current_thread() is not threading.main_thread():
            try:
                barrier.wait(timeout=wait)
            except threading.BrokenBarrierError:
                pass
        return out

    def run(i: int) -> None:
        try:
            if hold is None:
                barrier.wait(timeout=wait)
            outcomes[i] = actions[i]()
        except Exception as exc:  # noqa: BLE001 - any outcome is judged by the test
            outcomes[i] = exc
        finally:
            connections.close_all()

    if hold:
        setattr(hold[0], hold[1], held)
    try:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=join)
    finally:
        if hold:
            setattr(hold[0], hold[1], real)
    return outcomes
