from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MattersConfig(AppConfig):
    name = "gongjian.matters"
    label = "matters"
    verbose_name = _("Matters")

    def ready(self) -> None:
        from gongjian.core import registry

        from . import permissions  # noqa: F401 - registers the permission matrix
        from .registration import MODULE

        registry.register_module(MODULE)
        from .reports import demo as reports_demo
        from .reports import importers as _reports_importers  # noqa: F401 - registers the hotline importer

        reports_demo.register()
