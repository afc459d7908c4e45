from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "duban.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from duban.core import audit, checks  # noqa: F401 - registers the start-up checks

        audit.connect_signals()
