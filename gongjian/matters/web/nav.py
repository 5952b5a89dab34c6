"""Navigation entries and home panels of this app (collected by ``registration``)."""

from __future__ import annotations

from typing import Any

from gongjian.core.registry import NavEntry

NAV: list[NavEntry] = []
PANELS: list[Any] = []
