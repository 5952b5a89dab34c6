"""Home-page panel of the suggestions part: the matching board's waiting needs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel
from gongjian.core.scope import scoped

from .. import permissions as cperms
from ..choices import NeedStatus
from ..models import Need
from .permissions import MATCH_BOARD


@area_panel
def board_panel(actor: Actor) -> dict[str, Any] | None:
    """Subdistrict, district and city administrators: how many published needs of their area wait for a match."""
    if not can(actor, MATCH_BOARD):
        return None
    waiting = scoped(Need.objects.filter(status=NeedStatus.PUBLISHED), actor, cperms.NEED_MANAGE).count()
    return {
        "key": "cobuild.matching",
        "title": _("Matching board"),
        "stats": [{"key": "waiting", "label": _("Published needs waiting for a match"), "value": waiting}],
        "links": [{"label": _("Open the matching board"), "url": reverse("cobuild:suggest_board")}],
    }

