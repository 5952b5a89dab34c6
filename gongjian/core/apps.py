from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import registry


class CoreConfig(AppConfig):
    name = "gongjian.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        registry.load(self)
