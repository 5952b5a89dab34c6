from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "gongjian.regions"
    label = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from .permissions import register_rules
        from .registration import register

        register_rules()
        register()
