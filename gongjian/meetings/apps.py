from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongjian.core import registry


class MeetingsConfig(AppConfig):
    name = "gongjian.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        registry.load(self)
