from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "duban.supervision"
    label = "supervision"
    verbose_name = _("督查督办")

    def ready(self) -> None:
        # Registers this app's background jobs (recompute_lights, run_chasing, send_email,
        # deliver_webhook) with the queue, and its receivers of plans' signals.
        from duban.supervision import cascade_remote, jobs, notify, receivers  # noqa: F401
