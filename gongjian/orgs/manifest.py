"""The organisations module's manifest: navigation, panels, figures, exports, importers, permissions, URLs, API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import ExportDef, ImporterDef, Module, NavEntry, Warmup

from . import permissions as perms
from .figures import FIGURES, admin_panel, liaison_panel, member_panel
from .importers import MemberImporter, PartyOrgImporter, UnitImporter
from .search import warm as warm_search

MANIFEST = Module(
    key="orgs",
    name=_("Organisations"),
    order=20,
    nav=[
        NavEntry("orgs.orgs", _("Party organisations"), "orgs:org_list", icon="sitemap", permission=perms.ORG_VIEW, order=10),
        NavEntry("orgs.members", _("Party members"), "orgs:member_list", icon="users", permission=perms.MEMBER_LIST, order=20),
        NavEntry("orgs.units", _("Resident units"), "orgs:unit_list", icon="building", permission=perms.UNIT_VIEW, order=30),
        NavEntry("orgs.policies", _("Policy library"), "orgs:policy_list", icon="book", permission=perms.POLICY_VIEW, order=40),
        NavEntry("orgs.me", _("My member information"), "orgs:me", icon="user", permission=perms.MEMBER_SELF, order=50),
    ],
    figures=FIGURES,
    exports=[
        ExportDef("orgs.members", _("Party members"), "orgs", "orgs:member_export", permission=perms.MEMBER_LIST),
        ExportDef("orgs.party_orgs", _("Party organisations"), "orgs", "orgs:org_export", permission=perms.ORG_VIEW),
        ExportDef("orgs.units", _("Resident units"), "orgs", "orgs:unit_export", permission=perms.UNIT_VIEW),
    ],
    panels=[admin_panel, liaison_panel, member_panel],
    importers=[
        ImporterDef(kind=MemberImporter.kind, factory=MemberImporter, permission=perms.MEMBER_MANAGE, back_url_name="orgs:member_list"),
        ImporterDef(kind=UnitImporter.kind, factory=UnitImporter, permission=perms.UNIT_MANAGE, back_url_name="orgs:unit_list"),
        ImporterDef(kind=PartyOrgImporter.kind, factory=PartyOrgImporter, permission=perms.ORG_MANAGE, back_url_name="orgs:org_list"),
    ],
    permissions=[perms.RULES],
    urls="gongjian.orgs.urls",
    url_prefix="orgs/",
    api="gongjian.orgs.api:router",
    api_prefix="/orgs",
    warm=[Warmup("orgs.policy_search", warm_search)],
)
