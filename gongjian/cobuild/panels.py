"""Home-page panels of the co-building module (needs and resources); the parts add their own."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can

from . import permissions as perms
from . import selectors
from .choices import NeedSource, NeedStatus, ResourceStatus


def admin_panel(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.NEED_LIST):
        return None
    needs = selectors.need_list(actor=actor, action=perms.NEED_MANAGE)
    return {
        "key": "cobuild.area",
        "title": _("Co-building in my area"),
        "stats": [
            {"key": "wishes", "label": _("Micro-wishes awaiting review"),
             "value": needs.filter(source=NeedSource.WISH, status=NeedStatus.DRAFT).count()},
            {"key": "published", "label": _("Needs published"), "value": needs.filter(status=NeedStatus.PUBLISHED).count()},
            {"key": "resources", "label": _("Resources offered"),
             "value": selectors.resource_list(actor=actor, filters={"status": ResourceStatus.OFFERED}).count()},
        ],
        "links": [
            {"label": _("Needs"), "url": reverse("cobuild:need_list")},
            {"label": _("Resources"), "url": reverse("cobuild:resource_list")},
        ],
    }


def resident_panel(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.WISH_SUBMIT):
        return None
    return {
        "key": "cobuild.wish",
        "title": _("Micro-wishes"),
        "stats": [],
        "links": [{"label": _("Make a micro-wish"), "url": reverse("cobuild:wish_create")}],
    }
