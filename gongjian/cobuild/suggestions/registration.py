"""Navigation entries and home panels of this part, collected by cobuild.registration."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import NavEntry

from .permissions import MATCH_BOARD

NAV: list[NavEntry] = [
    NavEntry("cobuild.matching_board", _("Matching board"), "cobuild:suggest_board", icon="arrows-exchange", permission=MATCH_BOARD, order=25),
]
PANELS: list[Any] = []
