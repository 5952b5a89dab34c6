from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class RegionsConfig(AppConfig):
    name = "gongjian.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        registry.load(self)
