"""The accounts module's manifest: navigation, the home-page panels, permissions, URLs and the auth API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gongjian.core.registry import Module, NavEntry

from . import panels
from . import permissions as perms

MANIFEST = Module(
    key="accounts",
    name=_("Accounts"),
    order=800,
    nav=[
        NavEntry(key="accounts", label=_("Accounts"), url_name="accounts:account_list", icon="users", permission=perms.ACCOUNT_VIEW, order=10),
        NavEntry(key="profile", label=_("My account"), url_name="accounts:profile", icon="user", order=90),
    ],
    panels=[panels.my_scopes, panels.accounts_in_area, panels.my_membership, panels.my_unit, panels.my_department],
    permissions=[perms.RULES],
    urls="gongjian.accounts.urls",
    url_prefix="accounts/",
    api="gongjian.accounts.api:router",
    api_prefix="/auth",
)
