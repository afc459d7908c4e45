from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "duban.documents"
    label = "documents"
    verbose_name = _("文件")
    # No job of its own: ``extract_document`` ends in a plan, so it is plans' (plans/jobs.py).
