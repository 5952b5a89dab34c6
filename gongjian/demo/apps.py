from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "gongjian.demo"
    label = "demo"
    verbose_name = _("Demo")

    def ready(self) -> None:
        from . import city

        city.register()
