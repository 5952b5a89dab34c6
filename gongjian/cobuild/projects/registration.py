"""Navigation entries and home panels of this part, collected by cobuild.registration."""

from __future__ import annotations

from typing import Any

from gongjian.core.registry import NavEntry

NAV: list[NavEntry] = []
PANELS: list[Any] = []
