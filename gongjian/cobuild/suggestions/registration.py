"""Navigation entries and home panels of this part, collected by cobuild.registration."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import NavEntry
from gongjian.core.scope import scoped

from .permissions import MATCH_BOARD

NAV: list[NavEntry] = [
    NavEntry("cobuild.matching_board", _("Matching board"), "cobuild:suggest_board", icon="arrows-exchange", permission=MATCH_BOARD, order=25),
]


def board_panel(actor: Any) -> dict[str, Any] | None:
    """Subdistrict, district and city administrators: how many published needs of their area wait for a match."""
    if not can(actor, MATCH_BOARD):
        return None
    from .. import permissions as cperms
    from ..choices import NeedStatus
    from ..models import Need

    waiting = scoped(Need.objects.filter(status=NeedStatus.PUBLISHED), actor, cperms.NEED_MANAGE).count()
    return {
        "key": "cobuild.matching",
        "title": _("Matching board"),
        "stats": [{"key": "waiting", "label": _("Published needs waiting for a match"), "value": waiting}],
        "links": [{"label": _("Open the matching board"), "url": reverse("cobuild:suggest_board")}],
    }


PANELS: list[Any] = [board_panel]
