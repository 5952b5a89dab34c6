"""The home-page panel of the regions module (``core.registry.Module.panels``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry
from gongjian.core.kernel import Actor
from gongjian.core.permissions import can
from gongjian.core.registry import area_panel

from . import permissions as P
from .selectors import region_roots


@area_panel
def home_panel(actor: Actor) -> dict[str, Any] | None:
    """The region(s) an administrator works in, with the figures of this module."""
    if not can(actor, P.VIEW):
        return None
    roots = region_roots(actor=actor)
    if not roots:
        return None
    keys = [
        ("regions.subdistricts", _("Subdistricts")),
        ("regions.communities", _("Urban communities")),
        ("regions.staff_quotas", _("Staff quotas")),
        ("regions.delegated_powers", _("Delegated powers")),
    ]
    stats = [{"key": key, "label": label, "value": sum(registry.figure_value(key, r) for r in roots)} for key, label in keys]
    links = [
        {"url": reverse("regions:tree"), "label": _("Region tree")},
        {"url": reverse("regions:structure_list"), "label": _("Subdistrict structure")},
    ]
    return {"key": "regions", "title": _("My regions"), "scope": "、".join(r.name for r in roots[:3]), "stats": stats, "links": links}
