from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "duban.plans"
    label = "plans"
    verbose_name = _("任务分解")

    def ready(self) -> None:
        # Registers this app's background jobs (import_taskbook, extract_document) with the
        # queue.
        from duban.plans import jobs, taskbook  # noqa: F401
