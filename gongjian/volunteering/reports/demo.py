"""The demo city's volunteering steps (filled in by the reports part)."""

from __future__ import annotations


def register() -> None:
    """Register the demo steps with ``gongjian.demo.steps``."""
