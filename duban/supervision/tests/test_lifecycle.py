"""One task's whole life, as the office, a unit and the worker live it, on either database.

extracted → confirmed → assigned → scheduled (a deadline in the National Day holiday) →
reported late → yellow → chased → red → 督办 notice → reported → approved → closed, with
every step in the audit log.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from duban.core.models import AuditEntry
from duban.documents.services import ingest_document
from duban.org.models import Unit
from duban.org.services import create_user
from duban.plans import access
from duban.plans.choices import TaskStatus
from duban.plans.models import Task
from duban.plans.services import assign_task, confirm_plan, propose_plan, update_task
from duban.supervision import services
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.lights import recompute_lights
from duban.supervision.models import Notice, ProgressReport
from duban.supervision.scheduling import schedule_task
from duban.supervision.workdays import load_calendar

TZ = ZoneInfo("Asia/Shanghai")

# Written for this test: a short work plan with one directive about a data centre.
REPORT = """示范市2026年重点工作安排

一、总体要求

今年要坚持稳中求进工作总基调，加快建设城市数据中心，推动政务数据共享，确保年底前全面建成投用。
"""


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=TZ), tick=False)


@pytest.fixture
def people(db, media_root):
    root = Unit.objects.create(name="示范市", kind="root")
    office = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    lead = Unit.objects.create(name="市大数据管理局", kind="government", parent=root)
    co = Unit.objects.create(name="市财政局", kind="government", parent=root)
    return {
        "lead": lead,
        "co": co,
        "office": create_user("office", password="x", unit=office, role="office"),
        "unitlead": create_user("unitlead", password="x", unit=lead, role="unit_leader"),
        "clerk": create_user("clerk", password="x", unit=lead, role="clerk"),
        "coclerk": create_user("coclerk", password="x", unit=co, role="clerk"),
    }


def events(obj) -> list[str]:
    return [e.event for e in AuditEntry.for_object(obj).filter(action="event").order_by("id")]


def test_a_task_from_extraction_to_closure(people):
    office, clerk, unitlead = people["office"], people["clerk"], people["unitlead"]

    with at(dt.date(2026, 9, 1)):
        doc = ingest_document(REPORT.encode("utf-8"), filename="示范市工作安排.txt", catalog=None)
        plan = propose_plan(doc, title="示范市2026年重点工作", actor=office)
        task = plan.tasks.get(text__contains="城市数据中心")
        assert task.status == TaskStatus.PROPOSED
        assert doc.normalized_text[task.source_start : task.source_end].find("城市数据中心") >= 0

        # The office reviews: the deadline is brought forward into the National Day holiday.
        update_task(task, actor=office, version=task.version, deadline=dt.date(2026, 10, 5))
        confirm_plan(plan, actor=office)
        task.refresh_from_db()
        assign_task(task, lead_unit=people["lead"], co_units=[people["co"]], actor=office)

        milestones = schedule_task(
            Task.objects.get(pk=task.pk), start=dt.date(2026, 9, 1), actor=office
        )
        calendar = load_calendar()
        assert all(calendar.is_workday(m.due_date) for m in milestones)
        # 1–7 October 2026 are holidays: the last stage is due on the last working day before.
        assert max(m.due_date for m in milestones) == dt.date(2026, 9, 30)
        services.set_reporting_schedule(
            task, actor=office, frequency="weekly", day=3, starts_on=dt.date(2026, 9, 1)
        )

    # The first weekly report (due Wednesday 2 September) does not come.
    with at(dt.date(2026, 9, 3)):
        counts = services.run_chasing()
        assert counts["missing"] == 1 and counts["chase"] == 1
        recompute_lights()
        task.refresh_from_db()
        assert task.light == "yellow", task.light_reason
        assert services.run_chasing() == dict.fromkeys(counts, 0)  # reruns add nothing

        report = services.submit_report(
            task,
            actor=clerk,
            period_start=dt.date(2026, 9, 1),
            period_end=dt.date(2026, 9, 2),
            due_date=dt.date(2026, 9, 2),
            percent=10,
            progress="完成选址论证",
        )
        assert report.is_late and report.status == ReportStatus.SUBMITTED
        assert ProgressReport.objects.filter(task=task).count() == 1  # the missing row, now sent

    # Two more weeks without a report: red, and a 督办 notice.
    with at(dt.date(2026, 9, 22)):
        counts = services.run_chasing()
        assert counts["missing"] == 2
        recompute_lights()
        task.refresh_from_db()
        assert task.light == "red", task.light_reason
        services.run_chasing()
        assert Notice.objects.filter(task=task, level=NoticeLevel.SUPERVISE).exists()
        assert Notice.objects.filter(task=task, level=NoticeLevel.CHASE).exists()

        report = services.submit_report(
            task,
            actor=clerk,
            period_start=dt.date(2026, 9, 10),
            period_end=dt.date(2026, 9, 16),
            due_date=dt.date(2026, 9, 16),
            percent=60,
            progress="机房土建完成，设备进场",
        )
        services.approve_report(report, actor=unitlead)
        services.review_report(report, actor=office, accept=True)
        task.refresh_from_db()
        assert task.progress == 60 and task.status == TaskStatus.IN_PROGRESS

    with at(dt.date(2026, 9, 30)):
        with pytest.raises(access.NotAllowed):  # a co-unit sees the task but cannot close it
            services.request_closure(task, actor=people["coclerk"], note="配合单位不能销号")
        closure = services.request_closure(
            task, actor=unitlead, note="已建成投用", files=[("验收报告.pdf", b"%PDF-1.4 ok")]
        )
        services.decide_closure(closure, actor=office, approve=True, note="同意销号")
        task.refresh_from_db()
        assert task.status == TaskStatus.CLOSED and task.progress == 100

    history = events(task)
    expected_order = [
        "task_assigned",
        "milestones_scheduled",
        "notice_chase",
        "notice_supervise",
        "closure_requested",
        "task_closed",
    ]
    assert [e for e in history if e in expected_order] == sorted(
        [e for e in history if e in expected_order], key=expected_order.index
    )
    assert set(expected_order) <= set(history) and history[-1] == "task_closed"
    assert "plan_confirmed" in events(plan)
    assert events(report) == ["report_submitted", "report_unit_approved", "report_accepted"]
    changed = AuditEntry.for_object(task).filter(action="update").values_list("changed", flat=True)
    assert any("deadline" in c for c in changed) and any("status" in c for c in changed)
