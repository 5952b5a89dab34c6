from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteeringConfig(AppConfig):
    name = "gongjian.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering")

    def ready(self) -> None:
        from gongjian.core import registry

        from . import permissions  # noqa: F401 - registers the permission matrix
        from .registration import MODULE

        registry.register_module(MODULE)
        from .reports import demo as reports_demo

        reports_demo.register()
