"""Navigation entries and home panels of this part (collected by ``volunteering.registration``)."""

from __future__ import annotations

from typing import Any

from gongjian.core.registry import ExportDef, NavEntry

NAV: list[NavEntry] = []
PANELS: list[Any] = []
EXPORTS: list[ExportDef] = []
