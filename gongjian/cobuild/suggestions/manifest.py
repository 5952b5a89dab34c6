"""The suggestions part in the registry (its pages are served under /cobuild/matching/): the matching board's
navigation entry, home panel and export, and its permission rows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, NavEntry, Part, Warmup

from ..matching.text import tokenizer
from .index import current_index
from .panels import board_panel
from .permissions import MATCH_BOARD, RULES
from .selectors import warm_board_cache

MANIFEST = Part(
    key="cobuild.suggestions",
    nav=[NavEntry("cobuild.matching_board", _("Matching board"), "cobuild:suggest_board", icon="arrows-exchange", permission=MATCH_BOARD,
                  order=25)],
    panels=[board_panel],
    exports=[ExportDef("cobuild.match_board", _("Matching board"), "cobuild", "cobuild:suggest_board_export", permission=MATCH_BOARD)],
    permissions=[RULES],
    warm=[Warmup("cobuild.tokenizer", tokenizer), Warmup("cobuild.suggestions_index", current_index),
          Warmup("cobuild.board_cache", warm_board_cache)],
)
