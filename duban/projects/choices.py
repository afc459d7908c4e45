"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PREPARING = "preparing", _("前期")
    BUILDING = "building", _("在建")
    COMPLETED = "completed", _("竣工")
    SUSPENDED = "suspended", _("停缓建")


#: The 板块 a new site starts with; the office adds its own on the ledger page.
DEFAULT_SECTORS = ("产业项目", "基础设施", "社会民生", "生态环保", "城市更新")

#: Photos a month may carry, and the image formats kept (what every phone exports).
MAX_PHOTOS = 9
PHOTO_FORMATS = {"JPEG": ".jpg", "PNG": ".png"}
