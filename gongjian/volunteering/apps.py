from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class VolunteeringConfig(AppConfig):
    name = "gongjian.volunteering"
    label = "volunteering"
    verbose_name = _("Volunteering")

    def ready(self) -> None:
        registry.load(self)
