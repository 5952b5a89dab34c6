from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class DemoConfig(AppConfig):
    name = "gongjian.demo"
    label = "demo"
    verbose_name = _("Demo")

    def ready(self) -> None:
        registry.load(self)
