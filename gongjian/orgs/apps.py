from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "gongjian.orgs"
    label = "orgs"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from gongjian.core import registry

        from . import importers, permissions  # noqa: F401 - registers the permission matrix and importers
        from .figures import MODULE

        registry.register_module(MODULE)
