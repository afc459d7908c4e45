"""Stored values are English slugs; what users see is translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorKind(models.TextChoices):
    """How an indicator's months are read against its annual target.

    ``growth``: a rate (增长6%), the year-to-date rate each month, higher is better;
    ``cumulative``: a total built up over the year (新增就业4.2万人), the plan rises evenly;
    ``level``: a level to reach or hold (粮食产量125万吨), the plan is the target itself;
    ``ceiling``: a value not to exceed (失业率5.5%以内, 能耗降低2.5%), lower is better.
    """

    GROWTH = "growth", _("增速（%）")
    CUMULATIVE = "cumulative", _("累计值")
    LEVEL = "level", _("水平值")
    CEILING = "ceiling", _("上限值（越低越好）")


class Qualifier(models.TextChoices):
    """The word after the number in the target: 左右 allows a tolerance, 以上 and 以内 say
    which side of the number is good."""

    NONE = "none", _("无")
    ABOUT = "about", _("左右")
    AT_LEAST = "at_least", _("以上")
    AT_MOST = "at_most", _("以内")


#: The kinds whose smaller values are better (for the gap and the rank among peers).
LOWER_IS_BETTER = frozenset({IndicatorKind.CEILING})
