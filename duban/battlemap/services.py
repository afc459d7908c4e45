"""The battle map's numbers: a handful of GROUP BY queries over the tasks a user may see.

Everything here reads; nothing writes. The overview is built from a fixed number of
queries whatever the number of tasks (one grouped count per dimension, two short lists,
the trend, the filter choices), so a province's 20,000 tasks cost the same number of round
trips as a city's 200. Counts per pillar and per lead unit come from
``values(...).annotate(Count)``; the light totals are the sum of the per-pillar rows, so
they cannot disagree with the bars.

The tasks counted are the tasks of the plan that are under way or done (confirmed, in
progress, closure requested, closed); proposals and rejected lines are not work.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, F, Max, Min, QuerySet, Sum
from django.utils.translation import gettext as _

from duban.core import params as params_
from duban.org.models import Unit, User
from duban.plans import access
from duban.plans.choices import COUNTED_STATUSES, Light, PlanStatus, TaskStatus
from duban.plans.models import Assignment, FrameworkNode, Milestone, Plan, Task
from duban.projects.services import summary as project_summary

ACTIVE_STATUSES = COUNTED_STATUSES
# The task page belongs to another app; its address is fixed by the project's URL plan.
TASK_URL = "/tasks/{pk}/"
DUE_SOON_DAYS = 14
RED_LIST_LIMIT = 100
DUE_SOON_LIMIT = 100
ROADMAP_MAX_TASKS = 3000  # beyond this the roadmap asks for a narrower filter
UNIT_IDS_INLINE_MAX = 20_000  # SQLite takes 32,766 parameters in one statement
SEGMENTS = ("closed", Light.GREEN.value, Light.YELLOW.value, Light.RED.value, Light.NONE.value)


@dataclass(frozen=True)
class Filters:
    """The battle map's and roadmap's GET filters; blank ones are ignored, bad ones refused."""

    plan_id: int | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    pillar_id: int | None = None
    unit_id: int | None = None
    leader_id: int | None = None
    light: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> Filters:
        """The filters of a query string; :class:`~duban.core.params.BadParameter` (a 400)
        for a value that is not an id, a date or a light."""
        return cls(
            plan_id=params_.get_id(params, "plan"),
            deadline_from=params_.get_date(params, "from"),
            deadline_to=params_.get_date(params, "to"),
            pillar_id=params_.get_id(params, "pillar"),
            unit_id=params_.get_id(params, "unit"),
            leader_id=params_.get_id(params, "leader"),
            light=params_.get_choice(params, "light", Light.values),
        )

    def as_params(self) -> dict[str, str]:
        pairs = {
            "plan": self.plan_id,
            "from": self.deadline_from,
            "to": self.deadline_to,
            "pillar": self.pillar_id,
            "unit": self.unit_id,
            "leader": self.leader_id,
            "light": self.light,
        }
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}

    def querystring(self) -> str:
        return urlencode(self.as_params())

    @property
    def narrows_below_plan(self) -> bool:
        """True when the filters select part of a plan (the per-plan trend then differs)."""
        return any(
            (
                self.deadline_from,
                self.deadline_to,
                self.pillar_id,
                self.unit_id,
                self.leader_id,
                self.light,
            )
        )


@dataclass
class LightMix:
    """How many tasks are closed, and how the open ones are lit."""

    closed: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0
    none: int = 0

    def add(self, light: str, status: str, n: int) -> None:
        if status == TaskStatus.CLOSED:
            self.closed += n
        elif light in (Light.GREEN, Light.YELLOW, Light.RED):
            setattr(self, str(light), getattr(self, str(light)) + n)
        else:
            self.none += n

    def merge(self, other: LightMix) -> None:
        for name in SEGMENTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total(self) -> int:
        return self.closed + self.green + self.yellow + self.red + self.none

    @property
    def open(self) -> int:
        return self.total - self.closed

    def share(self, name: str) -> float:
        """Percent of all tasks in segment ``name`` (0 when there are none)."""
        return getattr(self, name) * 100 / self.total if self.total else 0.0

    @property
    def completion(self) -> float:
        return self.share("closed")

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SEGMENTS} | {"total": self.total}


@dataclass
class GroupRow:
    key: int | None
    label: str
    mix: LightMix = field(default_factory=LightMix)


@dataclass
class TrendPoint:
    date: dt.date
    green: int
    yellow: int
    red: int
    closed: int


@dataclass
class Choices:
    plans: list[tuple[int, str]]
    pillars: list[tuple[int, str]]
    units: list[tuple[int, str]]
    leaders: list[tuple[int, str]]


@dataclass
class Overview:
    filters: Filters
    today: dt.date
    totals: LightMix
    pillars: list[GroupRow]
    units: list[GroupRow]
    red_list: list[Task]
    red_more: int
    due_soon: list[Task]
    trend: list[TrendPoint] | None
    choices: Choices
    # 重点项目投资完成 for the year, over the projects the viewer sees (one query).
    investment: Any = None


# -- the tasks in scope ---------------------------------------------------------------------


def is_global_reader(user: Any) -> bool:
    return access.reads_everything(user)


def scoped_tasks(user: Any) -> QuerySet:
    """Active tasks the user may see, as a queryset that GROUP BY can count correctly.

    ``access.visible_tasks`` joins co-units for unit users and adds DISTINCT; grouping over
    that join would count a task once per matching unit. So for unit users the visible
    ids are read once (a unit sees tens or hundreds of tasks) and the page's queries filter
    on that list. A ``pk IN (subquery)`` would be shorter, but nested under each GROUP BY
    PostgreSQL has planned it as a nested loop that ran for minutes on a test database
    whose statistics came from other data. The office's queryset is left as it is.
    """
    base = Task.objects.filter(status__in=ACTIVE_STATUSES)
    visible = access.visible_tasks(user, base)
    if not visible.query.distinct:
        return visible
    ids = list(visible.order_by().values_list("pk", flat=True))
    if len(ids) > UNIT_IDS_INLINE_MAX:
        return Task.objects.filter(pk__in=visible.values("pk"))
    return Task.objects.filter(pk__in=ids)


@dataclass
class NodeIndex:
    """Framework nodes mapped to their pillar (the top level, or a framework's item)."""

    names: dict[int, str]
    pillar_of: dict[int, int]
    order: list[int]  # pillar ids in the plan's order

    def descendants(self, pillar_id: int) -> list[int]:
        return [node for node, pillar in self.pillar_of.items() if pillar == pillar_id]


def node_index(plan_id: int | None = None) -> NodeIndex:
    """One query: every node of the plan (or of all plans) and the pillar it belongs to."""
    qs = FrameworkNode.objects.order_by("plan_id", "sort_order", "id")
    if plan_id:
        qs = qs.filter(plan_id=plan_id)
    rows = list(qs.values_list("id", "parent_id", "name", "kind"))
    parent = {r[0]: r[1] for r in rows}
    kind = {r[0]: r[3] for r in rows}
    names = {r[0]: r[2] for r in rows}

    def path(node: int) -> list[int]:
        chain = [node]
        seen = {node}
        while parent.get(chain[-1]) is not None and parent[chain[-1]] not in seen:
            chain.append(parent[chain[-1]])
            seen.add(chain[-1])
        return chain  # node … root

    pillar_of: dict[int, int] = {}
    for node_id, *_rest in rows:
        chain = path(node_id)
        # A numbered framework (「六字要求」) is a heading, not a pillar: its items are.
        pillar = chain[-2] if len(chain) > 1 and kind.get(chain[-1]) == "framework" else chain[-1]
        pillar_of[node_id] = pillar
    order: list[int] = []
    for node_id, *_rest in rows:
        p = pillar_of[node_id]
        if p not in order:
            order.append(p)
    return NodeIndex(names=names, pillar_of=pillar_of, order=order)


def city_scope(qs: QuerySet, user: Any, filters: Filters) -> QuerySet:
    """The city's readers see the city's own plans unless they choose a plan: a district's
    plan (区县, docs/cascade.md) repeats city tasks whose progress already rolls up, and
    would count them twice. A district office keeps its own plan in view."""
    if filters.plan_id or not is_global_reader(user):
        return qs
    district_plans = list(
        Plan.objects.filter(owner_unit__isnull=False).values_list("pk", flat=True)
    )
    return qs.exclude(plan_id__in=district_plans) if district_plans else qs


def apply_filters(qs: QuerySet, filters: Filters, nodes: NodeIndex | None = None) -> QuerySet:
    if filters.plan_id:
        qs = qs.filter(plan_id=filters.plan_id)
    if filters.deadline_from:
        qs = qs.filter(deadline__gte=filters.deadline_from)
    if filters.deadline_to:
        qs = qs.filter(deadline__lte=filters.deadline_to)
    if filters.pillar_id:
        ids = nodes.descendants(filters.pillar_id) if nodes else [filters.pillar_id]
        qs = qs.filter(framework_node_id__in=ids or [filters.pillar_id])
    if filters.unit_id:
        qs = qs.filter(assignment__lead_unit_id=filters.unit_id)
    if filters.leader_id:
        qs = qs.filter(assignment__leader_in_charge_id=filters.leader_id)
    if filters.light:
        qs = qs.filter(light=filters.light).exclude(status=TaskStatus.CLOSED)
    return qs


# -- the overview ---------------------------------------------------------------------------


def light_mix_by(qs: QuerySet, *keys: str) -> list[tuple[Any, ...]]:
    """``(key…, light, status, n)`` rows: one GROUP BY query."""
    return list(
        qs.order_by().values_list(*keys, "light", "status").annotate(n=Count("pk")).order_by()
    )


def by_pillar(qs: QuerySet, nodes: NodeIndex) -> tuple[list[GroupRow], LightMix]:
    """Per-pillar mixes and the totals, from one grouped count by framework node."""
    rows: dict[int | None, GroupRow] = {}
    totals = LightMix()
    for node_id, light, status, n in light_mix_by(qs, "framework_node_id"):
        pillar = nodes.pillar_of.get(node_id) if node_id is not None else None
        row = rows.get(pillar)
        if row is None:
            label = nodes.names.get(pillar, "") if pillar is not None else _("未归入框架")
            row = rows[pillar] = GroupRow(pillar, label)
        row.mix.add(light, status, n)
        totals.add(light, status, n)
    ordered = [rows[p] for p in nodes.order if p in rows]
    if None in rows:
        ordered.append(rows[None])
    return ordered, totals


def by_lead_unit(qs: QuerySet) -> list[GroupRow]:
    """Per-lead-unit mixes, best completion first (one query, unit names joined in)."""
    rows: dict[int | None, GroupRow] = {}
    for unit_id, name, short, light, status, n in light_mix_by(
        qs,
        "assignment__lead_unit_id",
        "assignment__lead_unit__name",
        "assignment__lead_unit__short_name",
    ):
        row = rows.get(unit_id)
        if row is None:
            label = (short or name) if unit_id is not None else _("未交办")
            row = rows[unit_id] = GroupRow(unit_id, label)
        row.mix.add(light, status, n)
    return sorted(
        rows.values(),
        key=lambda r: (r.key is None, -r.mix.completion, -r.mix.red, -r.mix.total, r.label),
    )


def most_red(units: list[GroupRow], n: int = 10) -> list[GroupRow]:
    """The units with the most red lights (the wall screen's "who is behind")."""
    return sorted((u for u in units if u.mix.red), key=lambda u: (-u.mix.red, u.label))[:n]


def red_list(qs: QuerySet, limit: int = RED_LIST_LIMIT) -> list[Task]:
    return list(
        qs.filter(light=Light.RED)
        .exclude(status=TaskStatus.CLOSED)
        .select_related("assignment__lead_unit")
        .only(
            "id",
            "code",
            "text",
            "deadline",
            "light",
            "light_reason",
            "progress",
            "assignment__lead_unit__name",
            "assignment__lead_unit__short_name",
        )
        .order_by(F("deadline").asc(nulls_last=True), "plan_id", "sort_order", "id")[:limit]
    )


def due_soon(
    qs: QuerySet, today: dt.date, days: int = DUE_SOON_DAYS, limit: int = DUE_SOON_LIMIT
) -> list[Task]:
    return list(
        qs.filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=days))
        .exclude(status=TaskStatus.CLOSED)
        .select_related("assignment__lead_unit")
        .only(
            "id",
            "code",
            "text",
            "deadline",
            "light",
            "progress",
            "assignment__lead_unit__name",
            "assignment__lead_unit__short_name",
        )
        .order_by("deadline", "plan_id", "sort_order", "id")[:limit]
    )


def light_trend(plan_id: int | None = None) -> list[TrendPoint]:
    """Daily light counts from ``LightDaily``, summed over plans (one query)."""
    from duban.supervision.models import LightDaily

    qs = LightDaily.objects.all()
    if plan_id:
        qs = qs.filter(plan_id=plan_id)
    rows = (
        qs.order_by()
        .values("date")
        .annotate(g=Sum("green"), y=Sum("yellow"), r=Sum("red"), c=Sum("closed"))
        .order_by("date")
    )
    return [TrendPoint(r["date"], r["g"], r["y"], r["r"], r["c"]) for r in rows]


def filter_choices(user: Any, nodes: NodeIndex) -> Choices:
    """The filter menus; unit users are offered only their own units and no leaders."""
    plans = list(
        access.visible_plans(user, Plan.objects.exclude(status=PlanStatus.DRAFT))
        .order_by("-year", "-id")
        .values_list("id", "title")
    )
    pillars = [(p, nodes.names[p]) for p in nodes.order]
    unit_qs = Unit.objects.filter(is_active=True).order_by("sort_order", "id")
    if is_global_reader(user):
        # Semi-joins (IN subquery), not JOIN + DISTINCT over 20,000 assignments.
        unit_qs = unit_qs.filter(pk__in=Assignment.objects.values("lead_unit_id"))
        leaders = [
            (pk, display or username)
            for pk, display, username in User.objects.filter(
                pk__in=Assignment.objects.values("leader_in_charge_id")
            )
            .order_by("username")
            .values_list("id", "display_name", "username")
        ]
    else:
        unit_qs = unit_qs.filter(pk__in=access.grants(user).unit_ids)
        leaders = []
    units = [
        (pk, short or name) for pk, name, short in unit_qs.values_list("id", "name", "short_name")
    ]
    return Choices(plans=plans, pillars=pillars, units=units, leaders=leaders)


def overview(user: Any, filters: Filters, *, today: dt.date, projects: bool = True) -> Overview:
    """Everything the battle map shows, in about ten queries whatever the data's size."""
    nodes = node_index(filters.plan_id)
    qs = apply_filters(city_scope(scoped_tasks(user), user, filters), filters, nodes)
    pillars, totals = by_pillar(qs, nodes)
    reds = red_list(qs)
    # The trend is kept per plan, so it is shown only to those who may see whole plans.
    trend = light_trend(filters.plan_id) if is_global_reader(user) else None
    return Overview(
        filters=filters,
        today=today,
        totals=totals,
        pillars=pillars,
        units=by_lead_unit(qs),
        red_list=reds,
        red_more=max(0, totals.red - len(reds)),
        due_soon=due_soon(qs, today),
        trend=trend,
        choices=filter_choices(user, nodes),
        # The wall screen shows no project panel, so it does not pay for one.
        investment=project_summary(user, year=today.year) if projects else None,
    )


# -- the roadmap ----------------------------------------------------------------------------


@dataclass
class RoadmapMilestone:
    name: str
    due_date: dt.date
    done: bool
    left: float


@dataclass
class RoadmapBar:
    pk: int
    code: str
    text: str
    light: str
    status: str
    progress: int
    start: dt.date
    end: dt.date | None
    left: float
    width: float
    unit: str
    milestones: list[RoadmapMilestone] = field(default_factory=list)


@dataclass
class RoadmapGroup:
    key: int | None
    label: str
    bars: list[RoadmapBar] = field(default_factory=list)


@dataclass
class Roadmap:
    filters: Filters
    group_by: str
    start: dt.date
    end: dt.date
    today: dt.date
    today_left: float | None
    months: list[tuple[str, float]]
    groups: list[RoadmapGroup]
    total: int
    shown: int
    choices: Choices


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _next_month(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def roadmap(
    user: Any,
    filters: Filters,
    *,
    group_by: str = "node",
    today: dt.date,
    limit: int = ROADMAP_MAX_TASKS,
) -> Roadmap:
    """Gantt bars (start → deadline) and milestones, grouped by pillar or lead unit.

    Positions are percentages of the whole time range, computed here so the template only
    writes them out. Four queries: the tasks (one ``values()`` pass), their milestones, the
    framework nodes and the filter choices.
    """
    nodes = node_index(filters.plan_id)
    qs = apply_filters(city_scope(scoped_tasks(user), user, filters), filters, nodes)
    rows = list(
        qs.order_by("plan_id", "sort_order", "id").values_list(
            "id",
            "code",
            "text",
            "light",
            "status",
            "progress",
            "start_date",
            "deadline",
            "framework_node_id",
            "assignment__lead_unit_id",
            "assignment__lead_unit__name",
            "assignment__lead_unit__short_name",
            "plan__period_start",
            "plan__year",
        )[: limit + 1]
    )
    total = len(rows)
    if total > limit:
        total = qs.count()
        rows = rows[:limit]
    milestones: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    if rows:
        # The ids of the tasks shown (at most ROADMAP_MAX_TASKS, far below SQLite's 32,766
        # parameters), not the tasks' queryset as a subquery: for unit users that nests
        # visible_tasks' DISTINCT join twice, and PostgreSQL, with statistics from other
        # data, has planned that as a nested loop running for minutes.
        for task_id, name, due, done_at in (
            Milestone.objects.filter(task_id__in=[r[0] for r in rows])
            .order_by("due_date")
            .values_list("task_id", "name", "due_date", "done_at")
        ):
            milestones[task_id].append((name, due, done_at))

    def start_of(row: tuple[Any, ...]) -> dt.date:
        start, deadline, plan_start, year = row[6], row[7], row[12], row[13]
        if start:
            return start
        if plan_start:
            return plan_start
        if year:
            return dt.date(year, 1, 1)
        return dt.date((deadline or today).year, 1, 1)

    starts = [start_of(r) for r in rows]
    ends = [r[7] for r in rows if r[7]] + [m[1] for ms in milestones.values() for m in ms]
    lo = min([*starts, today]) if rows else _month_start(today)
    hi = max([*ends, *starts, today]) if rows else today
    range_start = _month_start(lo)
    range_end = _next_month(hi)
    span = max(1, (range_end - range_start).days)

    def pos(d: dt.date) -> float:
        return round(max(0.0, min(100.0, (d - range_start).days * 100 / span)), 3)

    # Month ticks: every month up to two years, then quarters, then years, so labels never
    # overlap; January carries the year (and so does the first tick).
    count = (range_end.year - range_start.year) * 12 + range_end.month - range_start.month
    step = 1 if count <= 24 else 3 if count <= 72 else 12
    months: list[tuple[str, float]] = []
    cursor = range_start
    index = 0
    while cursor < range_end:
        if cursor.month == 1 or not months:
            months.append((str(cursor.year), pos(cursor)))
        elif index % step == 0:
            months.append((_("{month}月").format(month=cursor.month), pos(cursor)))
        cursor = _next_month(cursor)
        index += 1

    groups: dict[int | None, RoadmapGroup] = {}
    for row, start in zip(rows, starts, strict=True):
        pk, code, text, light, status, progress, _s, deadline, node_id, unit_id, uname, ushort = (
            row[:12]
        )
        if group_by == "unit":
            key = unit_id
            label = (ushort or uname) if unit_id else _("未交办")
        else:
            key = nodes.pillar_of.get(node_id) if node_id else None
            label = nodes.names.get(key, "") if key else _("未归入框架")
        group = groups.get(key)
        if group is None:
            group = groups[key] = RoadmapGroup(key, label)
        left = pos(start)
        right = pos(deadline) if deadline else 100.0
        bar = RoadmapBar(
            pk=pk,
            code=code,
            text=text,
            light=light,
            status=status,
            progress=progress,
            start=start,
            end=deadline,
            left=left,
            width=round(max(0.4, right - left), 3),
            unit=(ushort or uname or ""),
            milestones=[
                RoadmapMilestone(name, due, done_at is not None, pos(due))
                for name, due, done_at in milestones.get(pk, ())
            ],
        )
        group.bars.append(bar)

    if group_by == "unit":
        ordered = sorted(groups.values(), key=lambda g: (g.key is None, g.label))
    else:
        ordered = [groups[p] for p in nodes.order if p in groups]
        if None in groups:
            ordered.append(groups[None])
    return Roadmap(
        filters=filters,
        group_by=group_by,
        start=range_start,
        end=range_end,
        today=today,
        today_left=pos(today) if range_start <= today <= range_end else None,
        months=months,
        groups=ordered,
        total=total,
        shown=len(rows),
        choices=filter_choices(user, nodes),
    )


# -- the public page ------------------------------------------------------------------------


@dataclass
class PublicTask:
    code: str
    text: str
    unit: str
    progress: int
    closed: bool


@dataclass
class PublicArea:
    label: str
    tasks: list[PublicTask] = field(default_factory=list)

    @property
    def closed(self) -> int:
        return sum(1 for t in self.tasks if t.closed)


@dataclass
class PublicPlan:
    plan: Plan
    areas: list[PublicArea]
    total: int
    closed: int
    average_progress: int
    deadline_range: tuple[dt.date | None, dt.date | None]


def public_plan(plan_id: int) -> PublicPlan | None:
    """What a public plan promised and how far it got; None when the plan is not public.

    Only public facts are read: the task's words, its lead unit, progress and whether it
    is closed. Light reasons, people, notes and reports never leave this function.
    """
    plan = Plan.objects.filter(pk=plan_id, is_public=True).exclude(status=PlanStatus.DRAFT).first()
    if plan is None:
        return None
    nodes = node_index(plan.pk)
    qs = Task.objects.filter(plan=plan, status__in=ACTIVE_STATUSES)
    areas: dict[int | None, PublicArea] = {}
    total = closed = progress_sum = 0
    for code, text, status, progress, node_id, uname, ushort in qs.order_by(
        "sort_order", "id"
    ).values_list(
        "code",
        "text",
        "status",
        "progress",
        "framework_node_id",
        "assignment__lead_unit__name",
        "assignment__lead_unit__short_name",
    ):
        pillar = nodes.pillar_of.get(node_id) if node_id else None
        area = areas.get(pillar)
        if area is None:
            label = nodes.names.get(pillar, "") if pillar else _("其他任务")
            area = areas[pillar] = PublicArea(label)
        is_closed = status == TaskStatus.CLOSED
        shown = 100 if is_closed else min(100, progress)
        area.tasks.append(PublicTask(code, text, ushort or uname or "", shown, is_closed))
        total += 1
        closed += is_closed
        progress_sum += shown
    ordered = [areas[p] for p in nodes.order if p in areas]
    if None in areas:
        ordered.append(areas[None])
    span = qs.aggregate(lo=Min("deadline"), hi=Max("deadline"))
    return PublicPlan(
        plan=plan,
        areas=ordered,
        total=total,
        closed=closed,
        average_progress=round(progress_sum / total) if total else 0,
        deadline_range=(span["lo"], span["hi"]),
    )
