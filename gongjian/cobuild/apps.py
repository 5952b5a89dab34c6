from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class CobuildConfig(AppConfig):
    name = "gongjian.cobuild"
    label = "cobuild"
    verbose_name = _("Co-building")

    def ready(self) -> None:
        registry.load(self)
