from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gongjian.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from gongjian.core import registry

        from . import panels
        from . import permissions as perms

        registry.register_module(
            registry.Module(
                key="accounts",
                name=_("Accounts"),
                order=800,
                nav=[
                    registry.NavEntry(key="accounts", label=_("Accounts"), url_name="accounts:account_list", icon="users",
                                      permission=perms.ACCOUNT_VIEW, order=10),
                    registry.NavEntry(key="profile", label=_("My account"), url_name="accounts:profile", icon="user", order=90),
                ],
                panels=[panels.my_scopes, panels.accounts_in_area, panels.my_membership, panels.my_unit, panels.my_department],
            )
        )
