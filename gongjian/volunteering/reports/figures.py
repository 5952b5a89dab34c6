"""Figures of volunteering (filled in by the reports part)."""

from __future__ import annotations

from gongjian.core.registry import Figure

FIGURES: list[Figure] = []
