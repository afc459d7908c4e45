"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    PARTY = "party", _("党委部门")
    GOVERNMENT = "government", _("政府部门")
    AGENCY = "agency", _("直属机构")
    DISTRICT = "district", _("区县")
    OFFICE = "office", _("督查机构")
    ROOT = "root", _("党委政府")
    OTHER = "other", _("其他单位")


class Role(models.TextChoices):
    OFFICE = "office", _("督查室")
    LEADER = "leader", _("分管领导")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    CLERK = "clerk", _("联络员")
    VIEWER = "viewer", _("只读用户")
    # Held on a district unit (区县): the office for the district's own plans, and the
    # district's leader on the city's tasks assigned to it (duban/plans/access.py).
    DISTRICT_OFFICE = "district_office", _("区县督查室")
