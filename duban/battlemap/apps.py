"""The battle map app: read-only pages over plans, tasks and lights (no models of its own)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BattlemapConfig(AppConfig):
    name = "duban.battlemap"
    label = "battlemap"
    verbose_name = _("挂图作战")
