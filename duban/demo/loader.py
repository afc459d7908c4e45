"""The demo city: units from the packaged city catalog, one login per role, and the sample
report (written for this project) turned into a confirmed, assigned plan.

Loading is idempotent: running ``duban demo`` twice leaves one copy of everything.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from typing import Any

from django.db import transaction
from django.utils import timezone

from duban.core import audit
from duban.documents.services import ingest_document
from duban.extract.units import load_catalog
from duban.org.choices import Role, UnitKind
from duban.org.models import Unit, User
from duban.org.services import grant_role
from duban.plans.models import Assignment, Plan
from duban.plans.services import assign_task, confirm_plan, propose_plan
from duban.supervision.models import ProgressReport

DEMO_PASSWORD = "duban2026"
# The demo district's departments (under the first district of city.json).
DISTRICT_DEPARTMENTS = ("商务局", "发展和改革局")

_KINDS = {k.value for k in UnitKind}


def _read(name: str) -> str:
    return resources.files("duban.demo").joinpath(name).read_text(encoding="utf-8")


def city_spec() -> dict[str, Any]:
    return json.loads(_read("city.json"))


def _unit(name: str, *, kind: str, parent: Unit | None, short: str = "", order: int = 0, **kw):
    unit, _ = Unit.objects.get_or_create(
        name=name,
        defaults={
            "kind": kind if kind in _KINDS else UnitKind.OTHER,
            "parent": parent,
            "short_name": short,
            "sort_order": order,
            **kw,
        },
    )
    return unit


def load_units() -> dict[str, Unit]:
    """Create the city's unit tree; returns the named anchor units."""
    spec = city_spec()
    root = _unit(spec["name"], kind=UnitKind.ROOT, parent=None, order=0)
    party = _unit(spec["party_committee"], kind=UnitKind.PARTY, parent=root, order=1)
    government = _unit(spec["government"], kind=UnitKind.GOVERNMENT, parent=root, order=2)
    office = _unit(spec["office"], kind=UnitKind.OFFICE, parent=party, order=3)
    order = 10
    for cu in load_catalog("city").units:
        if cu.kind == "district":
            continue
        order += 1
        _unit(
            cu.name,
            kind=cu.kind,
            parent=party if cu.kind == "party" else government,
            short=cu.short,
            order=order,
            aliases=list(cu.aliases),
            keywords=list(cu.keywords),
        )
    anchors = {"root": root, "party": party, "government": government, "office": office}
    for i, d in enumerate(spec["districts"]):
        order += 1
        name, short = (d["name"], d.get("short", "")) if isinstance(d, dict) else (d, "")
        district = _unit(name, kind=UnitKind.DISTRICT, parent=root, short=short, order=order)
        if i == 0:
            # The first district runs its own plan (区县): two departments of its own.
            anchors["district"] = district
            label = short or name
            for n, dept in enumerate(DISTRICT_DEPARTMENTS, start=1):
                _unit(
                    f"{name}{dept}",
                    kind=UnitKind.GOVERNMENT,
                    parent=district,
                    short=f"{label}{dept}",
                    order=order * 100 + n,
                )
    return anchors


def _demo_users(anchors: dict[str, Unit]) -> list[tuple[str, str]]:
    """One login per role; two bureaus so a clerk can see that others' tasks are hidden."""
    spec = city_spec()
    bureau = Unit.objects.get(name=spec["demo_unit"])
    other = Unit.objects.get(name=spec["demo_other_unit"])
    dept = anchors["district"].children.order_by("sort_order", "id").first()
    people = [
        ("office", "督查室 张督查", anchors["office"], Role.OFFICE),
        ("leader", "分管副市长 李市长", anchors["government"], Role.LEADER),
        ("unitlead", f"{bureau} 王局长", bureau, Role.UNIT_LEADER),
        ("clerk", f"{bureau} 联络员 赵明", bureau, Role.CLERK),
        ("clerk2", f"{other} 联络员 钱亮", other, Role.CLERK),
        ("viewer", "人大代表 孙观察", anchors["root"], Role.VIEWER),
        (
            "district",
            f"{anchors['district']}督查室 周督查",
            anchors["district"],
            Role.DISTRICT_OFFICE,
        ),
        ("districtclerk", f"{dept} 联络员 吴倩", dept, Role.CLERK),
    ]
    listed = []
    for username, label, unit, role in people:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, display_name=label.split(" ")[-1])
            user.set_password(DEMO_PASSWORD)
            user.save()
        grant_role(user, unit, role)
        listed.append((username, label))
    return listed


@transaction.atomic
def load_demo(*, lifelike: bool = True) -> dict[str, Any]:
    """Load the demo city; ``lifelike=False`` leaves the plan freshly assigned (no
    milestones, reports or lights), for tests that walk a task through its life."""
    anchors = load_units()
    users = _demo_users(anchors)
    spec = city_spec()
    office_user = User.objects.get(username="office")
    plan = Plan.objects.filter(title=spec["plan_title"]).first()
    if plan is None:
        with audit.acting_as(office_user):
            data = _read("sample_report.md").encode("utf-8")
            document = ingest_document(
                data,
                filename=spec.get("report", "sample_report.md"),
                date=dt.date.fromisoformat(spec["report_date"])
                if spec.get("report_date")
                else None,
            )
            plan = propose_plan(document, title=spec["plan_title"], actor=office_user)
            confirm_plan(plan, actor=office_user)
            spared = {spec["demo_unit"], spec["demo_other_unit"]}
            shared = 0
            for task in plan.tasks.order_by("sort_order", "id"):
                lead = _first_unit(task.lead_suggestions) or anchors["government"]
                # Two tasks the district carries out too: the city office can cascade
                # the plan to it (分解到区县) and watch its progress roll up.
                co = [anchors["district"]] if shared < 2 and lead.name not in spared else []
                shared += bool(co)
                assign_task(task, lead_unit=lead, co_units=co, actor=office_user)
            if lifelike:
                _bring_to_life(plan, office_user, document.doc_date or timezone.localdate())
                _indicators(plan, office_user)
    if lifelike:
        load_projects(office_user)
        load_instructions(office_user, plan)
    return {
        "city": spec["name"],
        "units": Unit.objects.count(),
        "tasks": plan.tasks.count(),
        "users": users,
    }


def _bring_to_life(plan: Plan, office_user: User, start: dt.date) -> None:
    """Milestones, a monthly reporting rhythm and a few months of reports, so the battle map
    shows a city at work: most units on track, some behind, a few silent."""
    from duban.plans.models import Task
    from duban.plans.services import complete_milestone
    from duban.supervision.lights import recompute_lights
    from duban.supervision.models import ProgressReport
    from duban.supervision.periods import due_periods
    from duban.supervision.scheduling import SchedulingError, schedule_task
    from duban.supervision.services import (
        decide_closure,
        request_closure,
        review_report,
        set_reporting_schedule,
        submit_report,
    )

    today = timezone.localdate()
    tasks = list(Task.objects.filter(plan=plan).select_related("assignment").order_by("id"))
    for i, task in enumerate(tasks):
        if task.deadline is None or task.deadline <= start:
            continue
        try:
            schedule_task(task, start=start, actor=office_user)
        except SchedulingError:
            continue
        task.refresh_from_db()
        schedule = set_reporting_schedule(
            task, actor=office_user, frequency="monthly", day=25, starts_on=start
        )
        periods = due_periods(schedule, today)
        # Only the latest two periods are reported, to keep loading quick.
        kind = i % 5  # 0–2 on track, 3 behind, 4 silent lately
        if kind == 4:
            periods = periods[:-2]
        total = (task.deadline - start).days or 1
        for period in periods[-2:]:
            share = min(100, round(100 * (period.period_end - start).days / total))
            percent = share if kind < 3 else max(0, share - 20)
            report = submit_report(
                task,
                actor=office_user,
                period_start=period.period_start,
                period_end=period.period_end,
                due_date=period.due_date,
                percent=percent,
                progress="按计划推进，本期完成既定节点。"
                if kind < 3
                else "推进较慢，正在协调解决。",
            )
            review_report(report, actor=office_user, accept=True)
            if kind < 4:
                # Fixture data: these reports came in on their due dates.
                on_time = timezone.make_aware(dt.datetime.combine(period.due_date, dt.time(17)))
                ProgressReport.objects.filter(pk=report.pk).update(
                    is_late=False, submitted_at=on_time
                )
        passed = [m for m in task.milestones.order_by("due_date") if m.due_date < today]
        for m in passed if kind < 4 else passed[:1]:
            complete_milestone(m, actor=office_user, done_at=m.due_date)
        if task.deadline < today and kind < 3:
            # Done on time: the unit asked to close it and the office approved.
            closure = request_closure(
                Task.objects.get(pk=task.pk), actor=office_user, note="已按期完成。"
            )
            decide_closure(closure, actor=office_user, approve=True, note="同意销号。")
    recompute_lights(today=today)


def load_projects(office_user: User) -> int:
    """A dozen key projects (重点项目) of this year with the last few months entered, so the
    ledger and the battle map's panel have figures. Idempotent: a year that has projects is
    left alone. Each project spends its plan at its own pace, so the rates differ."""
    from decimal import Decimal

    from duban.projects import services as projects
    from duban.projects.models import Project

    today = timezone.localdate()
    if Project.objects.filter(year=today.year).exists():
        return 0
    spec = json.loads(_read("projects.json"))
    stages = spec["stages"]
    sectors = {s.name: s for s in projects.sectors()}
    last = max(1, today.month - 1)
    with audit.acting_as(office_user):
        for i, (name, sector, unit, place, total, plan, status) in enumerate(spec["projects"]):
            project = projects.create_project(
                actor=office_user,
                year=today.year,
                code=f"{today.year}-{i + 1:02d}",
                name=name,
                sector=sectors[sector],
                lead_unit=Unit.objects.get(name=unit),
                responsible="项目负责人",
                location=place,
                total_investment=Decimal(total),
                annual_plan=Decimal(plan),
                planned_start=dt.date(today.year - 1, 3 + i % 6, 1),
                planned_finish=dt.date(today.year + 1 + i % 2, 6, 30),
                status=status,
            )
            if status == "preparing":
                continue
            # From 40 % to 110 % of the plan's pace so far.
            pace = Decimal(40 + (i * 37) % 71) / 100
            monthly = (Decimal(plan) * pace / 12).quantize(Decimal("1"))
            for month in range(1, last + 1):
                projects.record_month(
                    project,
                    actor=office_user,
                    month=month,
                    completed=monthly,
                    image_progress=stages[max(0, month * len(stages) // 12 - i % 3)],
                )
    return len(spec["projects"])


def load_instructions(office_user: User, plan: Plan) -> int:
    """A few leaders' instructions (领导批示件, instructions.json, written for this project):
    one turned into a task of the plan (the demo bureau leads it, due within the week, so
    the workbench shows it coming due), one overdue with no task (the chasing run sends its
    催办 to 市教育局), one replied, accepted and 报结, one just registered. Typed, through
    the services; idempotent: a database that has instructions is left alone."""
    from duban.instructions import services as instructions
    from duban.instructions.models import Instruction

    if Instruction.objects.exists():
        return 0
    today = timezone.localdate()
    specs = json.loads(_read("instructions.json"))["instructions"]
    for spec in specs:
        instruction = instructions.register_instruction(
            actor=office_user,
            leader_name=spec["leader_name"],
            leader_title=spec["leader_title"],
            instructed_on=today - dt.timedelta(days=spec["instructed_days_ago"]),
            reply_by=today + dt.timedelta(days=spec["reply_by_in_days"]),
            source_title=spec["source_title"],
            source_number=spec["source_number"],
            source_text=spec["source_text"],
            content=spec["content"],
            lead_unit=Unit.objects.get(name=spec["lead_unit"]),
            co_units=[Unit.objects.get(name=n) for n in spec["co_units"]],
        )
        if spec["kind"] == "task":
            instructions.create_task(instruction, actor=office_user, plan=plan)
        elif spec["kind"] == "closed":
            reply = instructions.add_reply(
                instruction,
                actor=office_user,
                unit=instruction.lead_unit,
                text=spec["reply"]["text"],
                replied_on=today - dt.timedelta(days=spec["reply"]["days_ago"]),
            )
            instructions.accept_reply(reply, actor=office_user)
            instructions.close_instruction(instruction, actor=office_user, note=spec["close_note"])
    return len(specs)


#: How each demo indicator's months go (actual = plan less this share of it): on plan,
#: slightly ahead, a little behind (yellow), well behind (red).
_PACES = ("0", "-0.03", "0.09", "0.22", "0.02")
#: Made-up neighbours with made-up figures, so the table shows a rank (对标).
_PEERS = (("临江市", "1.04"), ("东岭市", "0.93"), ("南湾市", "0.98"))


def _indicators(plan: Plan, office_user: User) -> None:
    """对标对表: indicators from the plan's targets, the last few months' actual values and
    peer cities' figures for the latest month, all through the services.

    The report's indicator tasks only, four months each (and peers on three indicators): enough for the table to show the
    trend, the gap and a rank, and each entry recomputes its task's light."""
    from decimal import Decimal

    from duban.indicators.services import (
        create_indicators_from_tasks,
        enter_actual,
        enter_peer_value,
    )

    today = timezone.localdate()
    from duban.plans.choices import TaskKind

    # The report's 主要预期目标 only: the other tasks with a target are left for the
    # office to try 「从任务目标生成指标」 on.
    made = create_indicators_from_tasks(actor=office_user, plan=plan, kind=TaskKind.INDICATOR)
    for i, indicator in enumerate(made):
        if indicator.year > today.year:
            continue
        last = 12 if indicator.year < today.year else today.month
        pace = Decimal(_PACES[i % len(_PACES)])
        sign = -1 if indicator.lower_is_better else 1
        for month in range(max(1, last - 3), last + 1):
            plan_value = indicator.default_plan(month)
            # Earlier months a little further from the plan: the gap narrows towards now.
            drift = pace + Decimal(last - month) * Decimal("0.015")
            actual = plan_value - sign * abs(plan_value) * drift
            enter_actual(
                indicator,
                actor=office_user,
                month=month,
                value=actual.quantize(Decimal("0.01")),
                note="统计快报（演示数据）",
                today=today,
            )
        if i < 3:
            for city, share in _PEERS:
                enter_peer_value(
                    indicator,
                    actor=office_user,
                    month=last,
                    city=city,
                    value=(indicator.default_plan(last) * Decimal(share)).quantize(Decimal("0.01")),
                    source="该市统计局月度数据（演示）",
                )


def _first_unit(suggestions: list[dict[str, Any]]) -> Unit | None:
    for s in suggestions:
        unit = Unit.objects.filter(name=s.get("unit", "")).first()
        if unit is not None:
            return unit
    return None


#: The province-sized demo (issue "Performance and scale-out"): the dataset the benchmarks use.
PROVINCE_TITLE = "省级规模演示方案"
PROVINCE_SIZE = {"units": 300, "tasks": 20_000, "reports": 500_000}


def load_province_scale(
    *, units: int = 300, tasks: int = 20_000, reports: int = 500_000
) -> dict[str, Any]:
    """The demo city plus a generated province-sized plan, once.

    Why: an office deciding whether duban holds a province's year wants to click through
    20,000 tasks and half a million reports with the usual logins, not read our figures.
    The demo bureau leads one task in a hundred, so the clerk's desk is busy at scale too.
    """
    from duban.battlemap.synthetic import build_dataset

    summary = load_demo()
    plan = Plan.objects.filter(title=PROVINCE_TITLE).first()
    if plan is None:
        data = build_dataset(
            units=units, tasks=tasks, reports=reports, title=PROVINCE_TITLE, prefix="省直"
        )
        plan = Plan.objects.get(pk=data["plan_id"])
        bureau = Unit.objects.get(name=city_spec()["demo_unit"])
        ours = list(plan.tasks.order_by("pk").values_list("pk", flat=True)[::100])
        Assignment.objects.filter(task_id__in=ours).update(lead_unit=bureau)
    return {
        **summary,
        "units": Unit.objects.count(),
        "province_tasks": plan.tasks.count(),
        "province_reports": ProgressReport.objects.filter(task__plan=plan).count(),
    }
