from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class OrgsConfig(AppConfig):
    name = "gongjian.orgs"
    label = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        registry.load(self)
