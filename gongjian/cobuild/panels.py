"""Home-page panels of the co-building module (needs and resources); the parts add their own."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel, panel

from . import permissions as perms
from . import selectors
from .choices import NeedSource, NeedStatus, ResourceStatus


@area_panel
def admin_panel(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.NEED_LIST):
        return None
    needs = selectors.need_list(actor=actor, action=perms.NEED_MANAGE)
    return panel("cobuild.area", _("Co-building in my area"), [
        ("wishes", _("Micro-wishes awaiting review"), needs.filter(source=NeedSource.WISH, status=NeedStatus.DRAFT).count()),
        ("published", _("Needs published"), needs.filter(status=NeedStatus.PUBLISHED).count()),
        ("resources", _("Resources offered"), selectors.resource_list(actor=actor, filters={"status": ResourceStatus.OFFERED}).count()),
    ], [(_("Needs"), reverse("cobuild:need_list")), (_("Resources"), reverse("cobuild:resource_list"))])


def resident_panel(actor: Actor) -> dict[str, Any] | None:
    if not can(actor, perms.WISH_SUBMIT):
        return None
    return panel("cobuild.wish", _("Micro-wishes"), links=[(_("Make a micro-wish"), reverse("cobuild:wish_create"))])
