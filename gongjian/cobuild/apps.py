from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CobuildConfig(AppConfig):
    name = "gongjian.cobuild"
    label = "cobuild"
    verbose_name = _("Co-building")

    def ready(self) -> None:
        from gongjian.core import registry

        from . import demo, importers, permissions  # noqa: F401 - registers the permission matrix and importers
        from .partners import permissions as _partners  # noqa: F401
        from .projects import permissions as _projects  # noqa: F401
        from .registration import MODULE
        from .suggestions import permissions as _suggestions  # noqa: F401

        registry.register_module(MODULE)
        demo.register()  # the demo city's co-building steps
