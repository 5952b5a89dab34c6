"""Navigation, figures and exports of the co-building module, registered from ``apps.py``.

The figures (queries over records for any region, with their period semantics) are in
``figures.py``.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gongjian.core.permissions import can
from gongjian.core.registry import ExportDef, Module, NavEntry

from . import permissions as perms
from .choices import NeedSource, NeedStatus, ResourceStatus
from .figures import FIGURES
from .partners import permissions as partners_perms
from .partners import registration as partners_registration
from .projects import registration as projects_registration
from .suggestions import permissions as suggestions_perms
from .suggestions import registration as suggestions_registration


def admin_panel(actor: Any) -> dict[str, Any] | None:
    if not can(actor, perms.NEED_LIST):
        return None
    from . import selectors

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


def resident_panel(actor: Any) -> dict[str, Any] | None:
    if not can(actor, perms.WISH_SUBMIT):
        return None
    return {
        "key": "cobuild.wish",
        "title": _("Micro-wishes"),
        "stats": [],
        "links": [{"label": _("Make a micro-wish"), "url": reverse("cobuild:wish_create")}],
    }


MODULE = Module(
    key="cobuild",
    name=_("Co-building"),
    order=30,
    nav=[
        NavEntry("cobuild.needs", _("Needs"), "cobuild:need_list", icon="list-check", permission=perms.NEED_LIST, order=10),
        NavEntry("cobuild.resources", _("Resources"), "cobuild:resource_list", icon="package", permission=perms.RESOURCE_VIEW, order=20),
        NavEntry("cobuild.categories", _("Categories"), "cobuild:category_list", icon="tags", permission=perms.CATEGORY_MANAGE, order=30),
        NavEntry("cobuild.wish", _("My micro-wishes"), "cobuild:wish_create", icon="heart", permission=perms.WISH_SUBMIT, order=40),
        *projects_registration.NAV,
        *suggestions_registration.NAV,
        *partners_registration.NAV,
    ],
    figures=FIGURES,
    exports=[
        ExportDef("cobuild.needs", _("Needs"), "cobuild", "cobuild:need_export", permission=perms.NEED_LIST),
        ExportDef("cobuild.resources", _("Resources"), "cobuild", "cobuild:resource_export", permission=perms.RESOURCE_VIEW),
        ExportDef("cobuild.projects", _("Projects"), "cobuild", "cobuild:project_export", permission=perms.PROJECT_VIEW),
        ExportDef("cobuild.report_ins", _("Unit report-ins"), "cobuild", "cobuild:partner_report_in_export",
                  permission=partners_perms.REPORT_IN_VIEW),
        ExportDef("cobuild.partnerships", _("Partnerships"), "cobuild", "cobuild:partner_export", permission=partners_perms.PARTNERSHIP_VIEW),
        ExportDef("cobuild.match_board", _("Matching board"), "cobuild", "cobuild:suggest_board_export", permission=suggestions_perms.MATCH_BOARD),
    ],
    panels=[admin_panel, resident_panel, *projects_registration.PANELS, *suggestions_registration.PANELS, *partners_registration.PANELS],
)
