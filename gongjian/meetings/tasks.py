"""Periodic and background tasks of this app (Celery in production; a command in the embedded mode)."""

from __future__ import annotations

from gongjian.core.registry import PeriodicTask

PERIODIC: list[PeriodicTask] = []
