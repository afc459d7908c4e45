"""The workbench (工作台, ``/``): what this user should do now, by role, with counts.

Each item is a count and a link to the page where the work is done (the office desk, the
unit desk, a task page). The office also gets two bulk actions on the page itself: accept
the selected reports, and 催办 every unit with a late report; both go through
:mod:`duban.supervision.services`. Everything is counted over what the user may see
(:mod:`duban.plans.access`), with a fixed number of queries whatever the city's size.

The apps above supervision add their own items: each ``AppConfig`` with a ``workbench``
hook (``workbench(user, today=…)`` returning :class:`WorkItem` rows) is asked, so this
module imports none of them. 「领导批示即将到期」 comes that way from duban/instructions
(one query over the instructions the user may see), as the chasing ladder's steps do.

「本周将亮红灯」 is a forecast: the light rules evaluated on next Monday
(:func:`~duban.supervision.lights.forecast_lights`) for the tasks that can turn red by
then — yellow ones, and those with a deadline or an unfinished milestone this week —
plus the tasks that already turned red since Monday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.org.choices import Role
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES, Light
from duban.plans.models import Milestone, Task
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.models import ClosureRequest, Notice, ProgressReport
from duban.supervision.services import late_reports

ACTIVE = WORKING_STATUSES
UNIT_ROLES = frozenset({Role.UNIT_LEADER, Role.CLERK})
# How many rows the page lists under an item; the count is always the full number.
SHOWN = 50


@dataclass
class WorkItem:
    """One line of the workbench: a count of things to do and where to do them."""

    key: str
    label: str
    count: int
    url: str
    action: str
    note: str = ""


@dataclass
class RedSoon:
    task: Task
    reason: str
    already: bool  # red since Monday, rather than forecast


@dataclass
class LateUnit:
    unit_id: int
    name: str
    reports: int


@dataclass
class Workbench:
    items: list[WorkItem] = field(default_factory=list)
    reviews: list[ProgressReport] = field(default_factory=list)
    late_units: list[LateUnit] = field(default_factory=list)
    red_soon: list[RedSoon] = field(default_factory=list)
    week_end: dt.date | None = None
    can_accept: bool = False
    can_chase: bool = False

    @property
    def total(self) -> int:
        return sum(i.count for i in self.items)


def week_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ``today``'s week."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _red_soon(user: Any, today: dt.date) -> list[RedSoon]:
    """Tasks the user may see that turned red this week or will by its end."""
    from duban.supervision.lights import forecast_lights

    monday, sunday = week_bounds(today)
    visible = access.visible_tasks(user, Task.objects.filter(status__in=ACTIVE))
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    already = list(
        visible.filter(light=Light.RED, light_updated_at__gte=start)
        .select_related("assignment__lead_unit")
        .order_by("deadline", "pk")
    )
    open_milestone = Milestone.objects.filter(
        task=OuterRef("pk"), done_at__isnull=True, due_date__lte=sunday
    )
    candidates = visible.exclude(light=Light.RED).filter(
        Q(light=Light.YELLOW) | Q(deadline__lte=sunday) | Exists(open_milestone)
    )
    forecast = forecast_lights(candidates, on=sunday + dt.timedelta(days=1))
    red_ids = [pk for pk, result in forecast.items() if result.light == Light.RED]
    soon = Task.objects.filter(pk__in=red_ids).select_related("assignment__lead_unit")
    result = [RedSoon(t, forecast[t.pk].reason, False) for t in soon.order_by("deadline", "pk")]
    result += [RedSoon(t, t.light_reason, True) for t in already]
    return result


def build_workbench(user: Any, *, today: dt.date | None = None) -> Workbench:
    """The workbench of ``user``: items for each of their roles, office items first."""
    today = today or timezone.localdate()
    g = access.grants(user)
    is_office = access.is_office(user)
    is_leader = access.has_global_role(user, Role.LEADER)
    wb = Workbench(week_end=week_bounds(today)[1])
    office_url = reverse("office-desk")
    desk_url = reverse("desk")

    if is_office:
        reviews = ProgressReport.objects.filter(status=ReportStatus.UNIT_APPROVED)
        review_count = reviews.count()
        wb.reviews = list(reviews.select_related("task", "unit").order_by("due_date", "pk")[:SHOWN])
        wb.can_accept = True
        wb.items.append(
            WorkItem(
                "reviews",
                _("待督查室审核的报告"),
                review_count,
                office_url + "#reviews",
                _("去审核"),
            )
        )
        wb.items.append(
            WorkItem(
                "closures",
                _("待审核的销号申请"),
                ClosureRequest.objects.filter(status=ClosureRequest.Status.PENDING).count(),
                office_url + "#closures",
                _("去审核"),
            )
        )
        waiting = Notice.objects.filter(status=NoticeStatus.OPEN).exclude(
            level=NoticeLevel.COORDINATION
        )
        overdue = waiting.aggregate(
            n=Count("pk"), late=Count("pk", filter=Q(reply_deadline__lt=today))
        )
        wb.items.append(
            WorkItem(
                "notices",
                _("待单位回复的通知"),
                overdue["n"],
                office_url + "#ladder",
                _("查看"),
                note=_("其中逾期未回复 {n} 件").format(n=overdue["late"])
                if overdue["late"]
                else "",
            )
        )
        late = list(
            late_reports(today=today)
            .order_by()
            .values("unit_id", "unit__name")
            .annotate(n=Count("pk"))
            .order_by("-n", "unit__name")
        )
        wb.late_units = [LateUnit(r["unit_id"], r["unit__name"], r["n"]) for r in late]
        wb.can_chase = True
        wb.items.append(
            WorkItem(
                "late",
                _("逾期未报进展的单位"),
                len(late),
                "#late",
                _("一键催办"),
            )
        )
    if is_office or is_leader:
        wb.items.append(
            WorkItem(
                "coordination",
                _("待协调的事项"),
                Notice.objects.filter(
                    level=NoticeLevel.COORDINATION, status=NoticeStatus.OPEN
                ).count(),
                office_url + "#coordination",
                _("去协调"),
            )
        )

    unit_roles = {u: r for u, r in g.unit_roles.items() if r & UNIT_ROLES}
    if unit_roles and not is_office:
        leader_units = [u for u, r in unit_roles.items() if Role.UNIT_LEADER in r]
        if leader_units:
            approvals = ProgressReport.objects.filter(
                unit_id__in=leader_units, status=ReportStatus.SUBMITTED
            ).count()
            wb.items.append(
                WorkItem(
                    "approvals",
                    _("待我审核的报告"),
                    approvals,
                    desk_url + f"#approvals-{min(leader_units)}",
                    _("去审核"),
                )
            )
        ids = sorted(unit_roles)
        notices = Notice.objects.filter(unit_id__in=ids, status=NoticeStatus.OPEN).exclude(
            level=NoticeLevel.COORDINATION
        )
        counted = notices.aggregate(
            n=Count("pk"), late=Count("pk", filter=Q(reply_deadline__lt=today))
        )
        wb.items.append(
            WorkItem(
                "reply",
                _("待回复的通知"),
                counted["n"],
                desk_url + f"#notices-{ids[0]}",
                _("去回复"),
                note=_("其中逾期未回复 {n} 件").format(n=counted["late"])
                if counted["late"]
                else "",
            )
        )
        returned = ProgressReport.objects.filter(
            unit_id__in=ids, status=ReportStatus.RETURNED, task__status__in=ACTIVE
        ).count()
        wb.items.append(
            WorkItem("returned", _("被退回待重报的报告"), returned, desk_url, _("去重报"))
        )

    # The apps above add their own items (the leaders' instructions coming due).
    for config in apps.get_app_configs():
        hook = getattr(config, "workbench", None)
        if hook is not None:
            wb.items.extend(hook(user, today=today))
    if is_office or is_leader or g.global_roles or unit_roles:
        wb.red_soon = _red_soon(user, today)
        wb.items.append(
            WorkItem(
                "red",
                _("本周转红的任务"),
                len(wb.red_soon),
                "#red-soon",
                _("查看"),
            )
        )
    return wb
