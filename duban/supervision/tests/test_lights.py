"""The status light: a table of facts → light and reason, then the database side."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.plans.models import Assignment, Milestone, Task
from duban.supervision.lights import (
    LightResult,
    MilestoneFact,
    ReportFact,
    TaskFacts,
    Thresholds,
    compute_light,
    planned_progress,
    recompute_lights,
    recompute_task_light,
)
from duban.supervision.models import (
    LightDaily,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
)
from duban.supervision.workdays import WorkCalendar

D = dt.date.fromisoformat
TODAY = D("2025-11-17")  # a Monday
CAL = WorkCalendar()
DEFAULTS = Thresholds()  # yellow > 10, red ≥ 30, milestones 5 working days, 2 missing reports

# From 2025-09-01 to 2025-12-31 there are 84 working days (National Day off, the make-up
# days 09-28 and 10-11 on); 51 of them lie before 11-17, so the plan expects 60.7 %.


def facts(**changes):
    base = {
        "status": "in_progress",
        "start_date": D("2025-09-01"),
        "deadline": D("2025-12-31"),
        "progress": 61,
    }
    base.update(changes)
    return TaskFacts(**base)


def ms(name, due, done=None, proportion=0):
    return MilestoneFact(name, D(due), D(done) if done else None, proportion)


def rep(due, state, period_end=None):
    return ReportFact(D(period_end or due), D(due), state)


CASES = [
    # -- not lit ---------------------------------------------------------------------------
    ("proposed", facts(status="proposed", progress=0), ("none", "")),
    ("rejected", facts(status="rejected", deadline=D("2020-01-01")), ("none", "")),
    ("closed", facts(status="closed", deadline=D("2025-01-01"), progress=0), ("none", "已办结")),
    # -- progress against the plan -----------------------------------------------------------
    ("on track", facts(), ("green", "按计划推进")),
    ("ahead", facts(progress=90), ("green", "按计划推进")),
    ("lag 10 is not more than 10", facts(progress=51), ("green", "按计划推进")),
    ("lag 11", facts(progress=50), ("yellow", "进度滞后计划11个百分点")),
    ("lag 29", facts(progress=32), ("yellow", "进度滞后计划29个百分点")),
    ("lag 30", facts(progress=31), ("red", "进度滞后计划30个百分点")),
    ("no start date: no lag rule", facts(start_date=None, progress=0), ("green", "按计划推进")),
    ("not started yet", facts(start_date=D("2025-11-17"), progress=0), ("green", "按计划推进")),
    # -- deadline ----------------------------------------------------------------------------
    (
        "overdue 5 working days",
        facts(deadline=D("2025-11-10"), progress=100),
        ("red", "已超过完成时限5个工作日"),
    ),
    (
        "overdue over a weekend counts at least one day",
        facts(deadline=D("2025-11-15"), progress=100),
        ("red", "已超过完成时限1个工作日"),
    ),
    (
        "overdue and behind",
        facts(deadline=D("2025-11-10"), progress=80),
        ("red", "已超过完成时限5个工作日；进度滞后计划20个百分点"),
    ),
    ("deadline today is not overdue", facts(deadline=TODAY, progress=100), ("green", "按计划推进")),
    (
        "closure requested suspends the deadline rule",
        facts(status="closure_requested", deadline=D("2025-11-10"), progress=100),
        ("green", "按计划推进"),
    ),
    # -- milestones --------------------------------------------------------------------------
    (
        "milestone missed",
        facts(milestones=(ms("方案制定", "2025-11-12"),)),
        ("red", "阶段目标“方案制定”已逾期3个工作日"),
    ),
    (
        "milestone done late is fine",
        facts(milestones=(ms("方案制定", "2025-11-12", done="2025-11-14"),)),
        ("green", "按计划推进"),
    ),
    (
        "milestone in 4 working days",
        facts(milestones=(ms("推进实施", "2025-11-21"),)),
        ("yellow", "阶段目标“推进实施”还有4个工作日到期"),
    ),
    (
        "milestone in 5 working days is near",
        facts(milestones=(ms("推进实施", "2025-11-24"),)),
        ("yellow", "阶段目标“推进实施”还有5个工作日到期"),
    ),
    (
        "milestone in 6 working days is not",
        facts(milestones=(ms("推进实施", "2025-11-25"),)),
        ("green", "按计划推进"),
    ),
    (
        "milestone due today",
        facts(milestones=(ms("推进实施", "2025-11-17"),)),
        ("yellow", "阶段目标“推进实施”今日到期"),
    ),
    (
        "near milestone already done",
        facts(milestones=(ms("推进实施", "2025-11-21", done="2025-11-14"),)),
        ("green", "按计划推进"),
    ),
    (
        "missed and near: red reason first",
        facts(milestones=(ms("推进实施", "2025-11-19"), ms("方案制定", "2025-11-14"))),
        ("red", "阶段目标“方案制定”已逾期1个工作日；阶段目标“推进实施”还有2个工作日到期"),
    ),
    # -- reports -----------------------------------------------------------------------------
    (
        "all reports on time",
        facts(reports=(rep("2025-10-27", "on_time"), rep("2025-11-14", "on_time"))),
        ("green", "按计划推进"),
    ),
    (
        "latest report missing",
        facts(reports=(rep("2025-10-27", "on_time"), rep("2025-11-14", "missing"))),
        ("yellow", "11月14日应报进展未报送"),
    ),
    (
        "two missing in a row",
        facts(reports=(rep("2025-10-27", "missing"), rep("2025-11-14", "missing"))),
        ("red", "连续2期未报送"),
    ),
    (
        "returned and missing in a row",
        facts(
            reports=(
                rep("2025-09-25", "missing"),
                rep("2025-10-27", "returned"),
                rep("2025-11-14", "missing"),
            )
        ),
        ("red", "连续3期未报送"),
    ),
    (
        "an old gap does not count",
        facts(reports=(rep("2025-10-27", "missing"), rep("2025-11-14", "late"))),
        ("yellow", "11月14日应报进展逾期报送"),
    ),
    (
        "latest returned",
        facts(reports=(rep("2025-10-27", "on_time"), rep("2025-11-14", "returned"))),
        ("yellow", "11月14日应报进展被退回，尚未重新报送"),
    ),
    (
        "a report due today is not missing yet",
        facts(reports=(rep("2025-10-27", "missing"), rep("2025-11-17", "missing"))),
        ("yellow", "10月27日应报进展未报送"),
    ),
    # -- several at once ---------------------------------------------------------------------
    (
        "red reasons first, then yellow, joined with ；",
        facts(
            progress=45,
            milestones=(ms("推进实施", "2025-11-20"), ms("方案制定", "2025-10-31")),
            reports=(rep("2025-10-27", "missing"), rep("2025-11-14", "missing")),
        ),
        (
            "red",
            "阶段目标“方案制定”已逾期11个工作日；连续2期未报送；"
            "进度滞后计划16个百分点；阶段目标“推进实施”还有3个工作日到期",
        ),
    ),
]


@pytest.mark.parametrize(("case", "task_facts", "expected"), CASES, ids=[c[0] for c in CASES])
def test_light_rules(case, task_facts, expected):
    assert compute_light(task_facts, DEFAULTS, TODAY, calendar=CAL) == LightResult(*expected)


def test_thresholds_are_the_offices():
    strict = Thresholds(
        yellow_lag_percent=0,
        red_lag_percent=5,
        milestone_warning_days=10,
        missing_reports_for_red=1,
    )
    assert compute_light(facts(progress=59), strict, TODAY, calendar=CAL) == (
        "yellow",
        "进度滞后计划2个百分点",
    )
    assert compute_light(facts(progress=55), strict, TODAY, calendar=CAL).light == "red"
    assert (
        compute_light(facts(milestones=(ms("x", "2025-11-28"),)), strict, TODAY, calendar=CAL).light
        == "yellow"
    )
    assert compute_light(
        facts(reports=(rep("2025-11-14", "missing"),)), strict, TODAY, calendar=CAL
    ) == ("red", "连续1期未报送")


def test_planned_progress_follows_working_days():
    assert planned_progress(facts(), TODAY, CAL) == pytest.approx(51 / 84 * 100)
    assert planned_progress(facts(), D("2025-09-01"), CAL) == 0
    assert planned_progress(facts(), D("2026-01-05"), CAL) == 100
    # National Day adds nothing: the plan stands still from 09-30 to 10-08.
    assert planned_progress(facts(), D("2025-10-01"), CAL) == planned_progress(
        facts(), D("2025-10-09"), CAL
    )


def test_planned_progress_follows_the_milestones():
    # 20 % by 09-30 (23 working days), 80 % by 11-28 (61), 100 % by 12-31 (84).
    milestones = (
        ms("方案制定", "2025-09-30", proportion=20),
        ms("推进实施", "2025-11-28", proportion=60),
        ms("验收销号", "2025-12-31", proportion=20),
    )
    expected = 20 + 60 * (51 - 23) / (61 - 23)
    assert planned_progress(facts(milestones=milestones), TODAY, CAL) == pytest.approx(expected)
    assert planned_progress(facts(milestones=milestones), D("2025-10-09"), CAL) == pytest.approx(20)


def test_a_long_reason_is_cut_to_the_field_length():
    many = tuple(ms(f"阶段目标第{i}项工作任务的名称比较长", "2025-11-03") for i in range(30))
    light, reason = compute_light(facts(milestones=many), DEFAULTS, TODAY, calendar=CAL)
    assert light == "red" and len(reason) == 300 and reason.endswith("…")


# -- the database side ---------------------------------------------------------------------


@pytest.fixture
def make_task(plan, units):
    counter = iter(range(1, 10_000))

    def make(
        *,
        progress=0,
        milestone_due=None,
        reports=(),
        status="in_progress",
        schedule=True,
        weekly=False,
    ):
        n = next(counter)
        task = Task.objects.create(
            plan=plan,
            code=f"9.{n}",
            text=f"任务{n}",
            status=status,
            start_date=D("2025-09-01"),
            deadline=D("2025-12-31"),
            progress=progress,
        )
        Assignment.objects.create(task=task, lead_unit=units["fgw"])
        if milestone_due:
            Milestone.objects.create(task=task, name="方案制定", due_date=D(milestone_due))
        if schedule:
            # Monthly on the 25th: due 09-25 (Thu) and 10-27 (10-25 is a Saturday).
            ReportingSchedule.objects.create(
                task=task,
                frequency="weekly" if weekly else "monthly",
                day=5 if weekly else 25,
                starts_on=D("2025-09-01"),
            )
        for period_end, status_, unit, percent, submitted in reports:
            pe = D(period_end)
            ProgressReport.objects.create(
                task=task,
                unit=units[unit],
                period_start=pe.replace(day=1),
                period_end=pe,
                due_date=pe,
                status=status_,
                percent=percent,
                submitted_at=timezone.make_aware(dt.datetime.combine(D(submitted), dt.time(22))),
            )
        return task

    return make


def on_time(percent=61, unit="fgw"):
    return [
        ("2025-09-25", "accepted", unit, percent, "2025-09-25"),
        ("2025-10-25", "accepted", unit, percent, "2025-10-27"),
    ]


def stored():
    return {t.pk: (t.light, t.light_reason) for t in Task.objects.all()}


@pytest.mark.django_db
def test_recompute_lights_from_the_database(make_task):
    green = make_task(reports=on_time())
    # The latest accepted report's percent is the progress, not the task's own field.
    behind = make_task(progress=61, reports=on_time(percent=40))
    missed = make_task(milestone_due="2025-11-12", reports=on_time())
    silent = make_task(progress=61)
    co_unit_only = make_task(reports=on_time(unit="sw"))  # the lead unit must report
    late = make_task(reports=[on_time()[0], ("2025-10-25", "accepted", "fgw", 61, "2025-10-28")])
    returned = make_task(
        reports=[on_time()[0], ("2025-10-25", "returned", "fgw", 61, "2025-10-27")]
    )
    no_schedule = make_task(progress=61, schedule=False)
    closed = make_task(status="closed")
    proposed = make_task(status="proposed")

    counts = recompute_lights(today=TODAY, calendar=CAL)

    got = stored()
    assert got[green.pk] == ("green", "按计划推进")
    assert got[behind.pk] == ("yellow", "进度滞后计划21个百分点")
    assert got[missed.pk] == ("red", "阶段目标“方案制定”已逾期3个工作日")
    assert got[silent.pk] == ("red", "连续2期未报送")
    assert got[co_unit_only.pk] == ("red", "连续2期未报送；进度滞后计划61个百分点")
    assert got[late.pk] == ("yellow", "10月27日应报进展逾期报送")
    assert got[returned.pk] == ("yellow", "10月27日应报进展被退回，尚未重新报送")
    assert got[no_schedule.pk] == ("green", "按计划推进")
    assert got[closed.pk] == ("none", "已办结")
    assert got[proposed.pk] == ("none", "")
    assert counts == {
        "tasks": 10,
        "changed": 9,
        "green": 2,
        "yellow": 3,
        "red": 3,
        "none": 2,
    }


@pytest.mark.django_db
def test_recompute_is_not_audited_and_keeps_versions(make_task):
    task = make_task(progress=61)
    SupervisionSettings.current()  # created (and audited) on first use
    entries = AuditEntry.objects.count()
    recompute_lights(today=TODAY, calendar=CAL)
    task_after = Task.objects.get(pk=task.pk)
    assert task_after.light == "red"
    assert task_after.light_updated_at is not None
    assert task_after.version == task.version and task_after.updated_at == task.updated_at
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
def test_unchanged_lights_are_not_rewritten(make_task):
    for _i in range(3):
        make_task(reports=on_time())
    assert recompute_lights(today=TODAY, calendar=CAL)["changed"] == 3
    stamp = list(Task.objects.values_list("light_updated_at", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        counts = recompute_lights(today=TODAY, calendar=CAL)
    assert counts["changed"] == 0
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "plans_task"')]
    assert list(Task.objects.values_list("light_updated_at", flat=True)) == stamp
    # The next day one task's milestone is missed: only that row is written.
    first = Task.objects.order_by("pk").first()
    Milestone.objects.create(task=first, name="推进实施", due_date=TODAY)
    counts = recompute_lights(today=D("2025-11-18"), calendar=CAL)
    assert counts["changed"] == 1


def _populate(make_task, n):
    for i in range(n):
        make_task(
            progress=61,
            milestone_due="2025-11-12" if i % 3 == 0 else "2025-12-12",
            reports=on_time() if i % 2 else [],
            weekly=i % 4 == 0,  # weekly and silent: their earlier history is looked up
        )


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_number_of_tasks(
    make_task, django_assert_max_num_queries
):
    _populate(make_task, 4)
    with CaptureQueriesContext(connection) as small:
        recompute_lights(today=TODAY, calendar=CAL)
    Task.objects.update(light="none", light_reason="")
    _populate(make_task, 36)
    # settings, tasks, milestones, schedules, reports, a few grouped UPDATEs, the daily
    # counts (read + upsert), each unit's red tasks (read, then delete and insert in a
    # savepoint), the transaction's savepoints, the calendar read for the run's fingerprint
    # and the run's record (LightRun).
    with django_assert_max_num_queries(20):
        counts = recompute_lights(today=TODAY, calendar=CAL)
    assert counts["tasks"] == 40
    with CaptureQueriesContext(connection) as big:
        recompute_lights(today=D("2025-11-18"), calendar=CAL)
    assert len(big.captured_queries) <= len(small.captured_queries)


@pytest.mark.django_db
def test_a_long_silence_is_counted_in_full(make_task):
    # Weekly on Friday: 11 reports due before 11-17 (the 10-03 one on 10-09). The unit
    # reported for 09-05 and 09-12, then a report for 10-24 was returned: 9 in a row.
    reported = [
        ("2025-09-05", "accepted", "fgw", 61, "2025-09-05"),
        ("2025-09-12", "accepted", "fgw", 61, "2025-09-12"),
        ("2025-10-24", "returned", "fgw", 61, "2025-10-24"),
        ("2025-10-31", "accepted", "sw", 61, "2025-10-31"),  # a co-unit's does not count
    ]
    task = make_task(weekly=True, reports=reported)
    recompute_lights(today=TODAY, calendar=CAL)
    task.refresh_from_db()
    assert (task.light, task.light_reason) == ("red", "连续9期未报送")
    # Once the unit reports the latest week, the run is over.
    ProgressReport.objects.create(
        task=task,
        unit=Assignment.objects.get(task=task).lead_unit,
        period_start=D("2025-11-08"),
        period_end=D("2025-11-14"),
        due_date=D("2025-11-14"),
        status="submitted",
        submitted_at=timezone.make_aware(dt.datetime(2025, 11, 14, 9)),
    )
    assert recompute_task_light(task, today=TODAY, calendar=CAL) == ("green", "按计划推进")


@pytest.mark.django_db
def test_an_invalid_schedule_does_not_stop_the_run(make_task):
    broken = make_task(progress=61, weekly=True)
    ReportingSchedule.objects.filter(task=broken).update(day=25)  # no 25th weekday
    fine = make_task(progress=61)
    assert recompute_lights(today=TODAY, calendar=CAL)["tasks"] == 2
    assert Task.objects.get(pk=broken.pk).light == "green"
    assert Task.objects.get(pk=fine.pk).light_reason == "连续2期未报送"


@pytest.mark.django_db
def test_chunks_cover_every_task(make_task):
    _populate(make_task, 7)
    counts = recompute_lights(today=TODAY, calendar=CAL, chunk_size=2)
    assert counts["tasks"] == 7
    assert not Task.objects.filter(light="none").exists()


@pytest.mark.django_db
def test_a_subset_of_tasks_and_the_daily_counts(make_task, plan):
    tasks = [make_task(reports=on_time()), make_task(), make_task(status="closed")]
    counts = recompute_lights(Task.objects.filter(pk=tasks[0].pk), today=TODAY, calendar=CAL)
    assert counts["tasks"] == 1
    assert Task.objects.get(pk=tasks[1].pk).light == "none"
    daily = LightDaily.objects.get(plan=plan, date=TODAY)
    assert (daily.green, daily.yellow, daily.red, daily.closed) == (1, 0, 0, 1)
    recompute_lights(today=TODAY, calendar=CAL)  # a second run the same day overwrites
    daily = LightDaily.objects.get(plan=plan, date=TODAY)
    assert (daily.green, daily.yellow, daily.red, daily.closed) == (1, 0, 1, 1)
    assert LightDaily.objects.count() == 1


@pytest.mark.django_db
def test_a_date_beyond_the_holiday_data_is_reported(make_task):
    make_task(reports=on_time())
    counts = recompute_lights(today=D("2031-03-02"), calendar=WorkCalendar())
    assert "2031" in counts["calendar_warning"]


@pytest.mark.django_db
def test_recompute_task_light_updates_the_row_and_the_instance(make_task, office_user):
    from duban.core.audit import acting_as

    task = make_task(progress=61)
    result = recompute_task_light(task, today=TODAY, calendar=CAL)
    assert result == ("red", "连续2期未报送")
    assert (task.light, task.light_reason) == result
    assert Task.objects.get(pk=task.pk).light == "red"
    # A later business edit of the same instance is not blamed for the light.
    with acting_as(office_user):
        task.measures = "每周调度"
        task.save()
    entry = AuditEntry.for_object(task).filter(action="update").get()
    assert entry.changed == ["measures"]
    # Unchanged: nothing written.
    with CaptureQueriesContext(connection) as ctx:
        recompute_task_light(task, today=TODAY, calendar=CAL)
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


# -- the incremental nightly run ------------------------------------------------------------


def _expected(day):
    """Every task's light as a full computation would give it, without writing anything."""
    from duban.supervision.lights import _FactLoader, _rows, compute_light

    thresholds = Thresholds.from_settings(SupervisionSettings.current())
    rows = _rows(Task.objects.order_by("pk"), day)
    facts = _FactLoader(day, CAL, thresholds).facts(rows)
    return {r.pk: tuple(compute_light(facts[r.pk], thresholds, day, calendar=CAL)) for r in rows}


@pytest.mark.django_db
def test_the_incremental_run_matches_a_full_one_every_day(make_task, units):
    """Ten weeks of nightly runs over tasks of every kind, with facts changing on the way
    (a report, a milestone done, a deadline moved, a new task): each night the incremental
    run leaves exactly the lights a full recompute would, while looking at far fewer."""
    make_task(reports=on_time())  # green until the plan line or the next report catches up
    make_task(progress=61, reports=on_time(percent=40))  # yellow: behind plan
    make_task(milestone_due="2025-12-05", reports=on_time(), progress=80)  # warning, then red
    silent = make_task(progress=61)  # red: reports missing
    make_task(progress=95, schedule=False)  # green a long while
    make_task(status="closed")
    make_task(status="proposed")
    ahead = make_task(progress=70, milestone_due="2025-12-19", reports=on_time(percent=70))
    first = recompute_lights(today=D("2025-11-03"), calendar=CAL, incremental=True)
    assert first["full"] and first["tasks"] == 8
    looked_at = []
    day = D("2025-11-04")
    while day <= D("2026-01-12"):
        if day == D("2025-11-20"):  # the silent unit reports at last
            ProgressReport.objects.create(
                task=silent,
                unit=units["fgw"],
                period_start=D("2025-11-01"),
                period_end=D("2025-11-25"),
                due_date=D("2025-11-25"),
                status="accepted",
                percent=75,
                submitted_at=timezone.now(),
            )
        if day == D("2025-12-10"):
            m = Milestone.objects.get(task=ahead)
            m.done_at = day
            m.save()
        if day == D("2025-12-15"):
            moved = Task.objects.get(pk=silent.pk)
            moved.deadline = D("2026-03-31")
            moved.save()
        if day == D("2025-12-20"):
            make_task(progress=10, reports=on_time(percent=10))
        counts = recompute_lights(today=day, calendar=CAL, incremental=True)
        assert not counts["full"]
        looked_at.append(counts["tasks"])
        assert stored() == _expected(day), day
        day += dt.timedelta(days=1)
    assert sum(looked_at) < 0.6 * 9 * len(looked_at)  # most nights skip most tasks
    assert min(looked_at) <= 3


@pytest.mark.django_db
def test_changed_thresholds_or_an_earlier_day_mean_a_full_run(make_task):
    for _i in range(3):
        make_task(reports=on_time())
    assert recompute_lights(today=TODAY, calendar=CAL, incremental=True)["full"]
    assert not recompute_lights(today=TODAY, calendar=CAL, incremental=True)["full"]
    settings = SupervisionSettings.current()
    settings.yellow_lag_percent = 5
    settings.save()
    assert recompute_lights(today=TODAY, calendar=CAL, incremental=True)["full"]
    assert recompute_lights(today=TODAY - dt.timedelta(days=3), calendar=CAL, incremental=True)[
        "full"
    ]
    assert stored() == _expected(TODAY - dt.timedelta(days=3))


def test_a_green_light_is_trusted_until_its_first_possible_change():
    from duban.supervision.lights import LightResult, stable_until

    green = LightResult("green", "按计划推进")
    facts = TaskFacts(
        status="in_progress",
        start_date=D("2025-09-01"),
        deadline=D("2025-12-31"),
        progress=61,
        milestones=(MilestoneFact("验收", D("2025-12-19")),),
    )
    day = D("2025-11-03")
    until = stable_until(facts, green, DEFAULTS, day, calendar=CAL, next_due=D("2025-11-25"))
    # The milestone's warning could start 24 days early (5 working days and holidays).
    assert until == D("2025-11-25")
    assert stable_until(facts, green, DEFAULTS, day, calendar=CAL) == D("2025-11-25")
    behind = TaskFacts("in_progress", D("2025-09-01"), D("2025-12-31"), progress=55)
    lag_day = stable_until(behind, green, DEFAULTS, day, calendar=CAL)
    # The day the plan line first runs more than 10 points ahead of 55 %, and not before.
    from duban.supervision.lights import compute_light

    assert compute_light(behind, DEFAULTS, lag_day, calendar=CAL).light == "yellow"
    before = lag_day - dt.timedelta(days=1)
    assert compute_light(behind, DEFAULTS, before, calendar=CAL).light == "green"
    red = LightResult("red", "连续2期未报送")
    assert stable_until(facts, red, DEFAULTS, day, calendar=CAL) == day + dt.timedelta(days=1)
