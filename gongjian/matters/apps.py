from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class MattersConfig(AppConfig):
    name = "gongjian.matters"
    label = "matters"
    verbose_name = _("Matters")

    def ready(self) -> None:
        registry.load(self)
