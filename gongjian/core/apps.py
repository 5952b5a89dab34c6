from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongjian.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from gongjian.accounts.choices import Role

        from . import permissions, registry
        from .permissions import Reach

        permissions.register(
            {
                "core.audit_view": {
                    Role.CITY_ADMIN: Reach.SCOPE,
                    Role.DISTRICT_ADMIN: Reach.SCOPE,
                    Role.SUBDISTRICT_ADMIN: Reach.SCOPE,
                },
                # every administrator reads the registered figures of the regions in his scope
                "core.figures_view": {
                    Role.CITY_ADMIN: Reach.SCOPE,
                    Role.DISTRICT_ADMIN: Reach.SCOPE,
                    Role.SUBDISTRICT_ADMIN: Reach.SCOPE,
                    Role.COMMUNITY_ADMIN: Reach.SCOPE,
                },
            }
        )
        registry.register_module(
            registry.Module(
                key="figures",
                name=_("Figures"),
                order=800,
                nav=[registry.NavEntry(key="figures", label=_("Figures"), url_name="core:figures", icon="chart-bar", permission="core.figures_view")],
            )
        )

        registry.register_module(
            registry.Module(
                key="core",
                name=_("Audit"),
                order=900,
                nav=[
                    registry.NavEntry(
                        key="audit",
                        label=_("Audit log"),
                        url_name="core:audit_list",
                        icon="shield-check",
                        permission="core.audit_view",
                    )
                ],
            )
        )
