from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "duban.documents"
    label = "documents"
    verbose_name = _("文件")

    def ready(self) -> None:
        # Registers this app's background jobs (extract_document) with the queue.
        from duban.documents import jobs  # noqa: F401
