from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "duban.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from duban.core import audit

        audit.connect_signals()
