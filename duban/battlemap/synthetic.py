"""A generated plan of any size for query-count tests and the province benchmark.

``build_dataset(units=300, tasks=20_000, reports=500_000)`` writes a confirmed plan with
framework pillars, units, leaders, tasks with assignments (some with co-units), milestones,
monthly reporting schedules and progress reports. Rows go in with ``bulk_create`` and, for
the two big tables, one prepared INSERT run with ``executemany`` in batches: the audit log
is bypassed on purpose (this is fixture data, not business edits), and a province's half a
million reports load in seconds instead of minutes.

The data is pseudo-random from ``seed``, so two runs produce the same numbers.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from duban.org.choices import UnitKind
from duban.org.models import Unit, User
from duban.plans.choices import Light, PlanStatus, TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task
from duban.supervision.choices import Frequency, ReportStatus
from duban.supervision.models import ProgressReport, ReportingSchedule

PILLARS = (
    "创新之城",
    "开放之城",
    "宜居之城",
    "善治之城",
    "民生保障",
    "安全发展",
    "政府建设",
    "乡村振兴",
)
VERBS = ("加快", "推进", "实施", "完善", "落实", "深化", "建设", "提升")
OBJECTS = (
    "重点项目",
    "产业园区",
    "城市更新",
    "营商环境",
    "数字政府",
    "生态修复",
    "公共服务",
    "安全生产",
)


def _month_end_25(today: dt.date, months_back: int) -> dt.date:
    """The 25th of the month ``months_back`` months before ``today``'s month."""
    index = today.year * 12 + today.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 25)


def _raw_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """INSERT rows (values already in database form) with one prepared statement."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    count = 0
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _prep(field_owner: type[models.Model], name: str, value: Any) -> Any:
    return field_owner._meta.get_field(name).get_db_prep_save(value, connection)


@transaction.atomic
def build_dataset(
    *,
    units: int = 30,
    tasks: int = 600,
    reports: int = 6_000,
    milestones_per_task: int = 3,
    leaders: int = 8,
    seed: int = 2026,
    today: dt.date | None = None,
    title: str = "合成方案",
    prefix: str = "合成",
) -> dict[str, Any]:
    """Write one generated plan; returns its ids and the counts written."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    now = timezone.now()
    year_start = dt.date(today.year, 1, 1)
    plan = Plan.objects.create(
        title=title,
        year=today.year,
        period_start=year_start,
        period_end=dt.date(today.year, 12, 31),
        status=PlanStatus.CONFIRMED,
        confirmed_at=now,
    )
    pillar_nodes = FrameworkNode.objects.bulk_create(
        FrameworkNode(plan=plan, name=name, code=str(i + 1), kind="section", sort_order=i)
        for i, name in enumerate(PILLARS)
    )
    leaf_nodes = FrameworkNode.objects.bulk_create(
        FrameworkNode(
            plan=plan,
            parent=pillar,
            name=f"{pillar.name}·第{j + 1}项",
            code=f"{pillar.code}.{j + 1}",
            kind="item",
            sort_order=j,
        )
        for pillar in pillar_nodes
        for j in range(3)
    )
    unit_objs = Unit.objects.bulk_create(
        Unit(
            name=f"{prefix}单位{i:04d}",
            short_name=f"{prefix}{i:04d}",
            kind=UnitKind.DISTRICT if i % 5 == 0 else UnitKind.GOVERNMENT,
            sort_order=1000 + i,
        )
        for i in range(units)
    )
    leader_objs = User.objects.bulk_create(
        User(username=f"{prefix.lower() or 'syn'}-leader-{seed}-{i}", display_name=f"领导{i}")
        for i in range(leaders)
    )

    lights = (Light.GREEN, Light.GREEN, Light.GREEN, Light.YELLOW, Light.RED)
    reasons = {
        Light.GREEN: "按计划推进",
        Light.YELLOW: "进度滞后计划12个百分点",
        Light.RED: "已超过完成时限5个工作日；连续2期未报送",
        Light.NONE: "已办结",
    }
    task_objs = []
    for i in range(tasks):
        closed = rng.random() < 0.12
        light = Light.NONE if closed else rng.choice(lights)
        start = year_start + dt.timedelta(days=rng.randint(0, 60))
        deadline = today + dt.timedelta(days=rng.randint(-90, 300))
        task_objs.append(
            Task(
                plan=plan,
                framework_node=rng.choice(leaf_nodes),
                code=f"{i // 100 + 1}.{i % 100 + 1}",
                text=f"{rng.choice(VERBS)}{rng.choice(OBJECTS)}第{i + 1}号任务",
                status=TaskStatus.CLOSED if closed else TaskStatus.IN_PROGRESS,
                start_date=start,
                deadline=deadline,
                progress=100 if closed else rng.randint(0, 95),
                light=light,
                light_reason=reasons[light],
                light_updated_at=now,
                sort_order=i,
            )
        )
    task_objs = Task.objects.bulk_create(task_objs, batch_size=2000)
    assignments = Assignment.objects.bulk_create(
        (
            Assignment(
                task=t,
                lead_unit=unit_objs[i % units],
                leader_in_charge=leader_objs[i % leaders] if leaders else None,
                assigned_at=now,
            )
            for i, t in enumerate(task_objs)
        ),
        batch_size=2000,
    )
    through = Assignment.co_units.through
    through.objects.bulk_create(
        (
            through(assignment_id=a.pk, unit_id=unit_objs[(i + 7) % units].pk)
            for i, a in enumerate(assignments)
            if i % 3 == 0 and units > 1
        ),
        batch_size=2000,
    )
    ReportingSchedule.objects.bulk_create(
        (
            ReportingSchedule(
                task=t, frequency=Frequency.MONTHLY, day=25, starts_on=t.start_date, ends_on=None
            )
            for t in task_objs
        ),
        batch_size=2000,
    )

    created = _prep(Milestone, "created_at", now)
    ms_rows = []
    for t in task_objs:
        span = max(1, (t.deadline - t.start_date).days)
        for k in range(milestones_per_task):
            due = t.start_date + dt.timedelta(days=span * (k + 1) // (milestones_per_task + 1))
            done = due < today and rng.random() < 0.8
            ms_rows.append(
                (
                    created,
                    created,
                    1,
                    t.pk,
                    f"阶段{k + 1}",
                    _prep(Milestone, "due_date", due),
                    100 // max(1, milestones_per_task),
                    _prep(Milestone, "done_at", due if done else None),
                    k,
                )
            )
    n_ms = _raw_insert(
        Milestone,
        (
            "created_at",
            "updated_at",
            "version",
            "task",
            "name",
            "due_date",
            "proportion",
            "done_at",
            "sort_order",
        ),
        ms_rows,
    )

    per_task, extra = divmod(reports, max(1, tasks))
    date_cache: dict[dt.date, Any] = {}

    def d(value: dt.date) -> Any:
        if value not in date_cache:
            date_cache[value] = _prep(ProgressReport, "due_date", value)
        return date_cache[value]

    submitted = _prep(ProgressReport, "submitted_at", now)
    statuses = (ReportStatus.ACCEPTED,) * 6 + (ReportStatus.SUBMITTED, ReportStatus.RETURNED)

    def report_rows() -> Iterable[tuple]:
        for i, t in enumerate(task_objs):
            lead = unit_objs[i % units].pk
            count = per_task + (1 if i < extra else 0)
            for k in range(count):
                period_end = _month_end_25(today, k)
                period_start = _month_end_25(today, k + 1) + dt.timedelta(days=1)
                yield (
                    created,
                    created,
                    1,
                    t.pk,
                    lead,
                    d(period_start),
                    d(period_end),
                    d(period_end + dt.timedelta(days=1)),
                    rng.choice(statuses),
                    min(100, max(0, 90 - 3 * k)),
                    "按计划推进各项工作",
                    "",
                    "",
                    "",
                    submitted,
                    k % 9 == 0,
                    "",
                    "",
                    "",
                )

    n_reports = _raw_insert(
        ProgressReport,
        (
            "created_at",
            "updated_at",
            "version",
            "task",
            "unit",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "percent",
            "progress",
            "problems",
            "next_steps",
            "coordination_request",
            "submitted_at",
            "is_late",
            "return_reason",
            "remote_source",
            "remote_signature",
        ),
        report_rows(),
    )
    return {
        "plan_id": plan.pk,
        "unit_ids": [u.pk for u in unit_objs],
        "pillar_ids": [p.pk for p in pillar_nodes],
        "leader_ids": [u.pk for u in leader_objs],
        "units": len(unit_objs),
        "tasks": len(task_objs),
        "milestones": n_ms,
        "reports": n_reports,
    }
