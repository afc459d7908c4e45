"""Who may see which progress reports, delegating to :mod:`duban.plans.access`.

A report is seen by whoever sees its task, except a draft: it belongs to its unit until it
is submitted, so only that unit's people and the office (which may file for any unit) see
it. Pages, downloads and the API all filter through here (issue 14: a co-unit read the
lead unit's draft and its evidence). The rules of tasks stay in ``plans.access``, which
knows nothing of reports.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from duban.plans import access as plans_access
from duban.supervision.choices import ReportStatus


def _sees_drafts_of(user: Any) -> tuple[bool, set[int]]:
    return plans_access.is_office(user), plans_access.grants(user).unit_ids


def visible_reports(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The progress reports this user may see: on visible tasks, and no other unit's draft."""
    from duban.supervision.models import ProgressReport

    qs = queryset if queryset is not None else ProgressReport.objects.all()
    qs = qs.filter(task__in=plans_access.visible_tasks(user).values("pk"))
    office, units = _sees_drafts_of(user)
    if office:
        return qs
    return qs.exclude(Q(status=ReportStatus.DRAFT) & ~Q(unit_id__in=units))


def may_see_report(user: Any, report: Any) -> bool:
    """:func:`visible_reports` for one loaded report (its task must be visible too)."""
    office, units = _sees_drafts_of(user)
    if not plans_access.can(user, "view", report.task):
        return False
    return office or report.status != ReportStatus.DRAFT or report.unit_id in units
