"""Figures of this app: queries over records for any region (and period), registered with the core."""

from __future__ import annotations

from gongjian.core.registry import Figure

FIGURES: list[Figure] = []
