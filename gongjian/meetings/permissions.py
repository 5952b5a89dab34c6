"""Who may do what in this app. Deny by default; registered at app start."""

from __future__ import annotations

from gongjian.accounts.choices import Role
from gongjian.core.permissions import Reach, register

RULES: dict[str, dict[Role, Reach]] = {}

register(RULES)  # type: ignore[arg-type]
