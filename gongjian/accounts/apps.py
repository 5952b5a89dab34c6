from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class AccountsConfig(AppConfig):
    name = "gongjian.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        registry.load(self)
