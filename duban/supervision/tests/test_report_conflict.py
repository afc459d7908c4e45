"""Two people editing the same report: the second, stale write is refused and loses nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.models import ConflictError
from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task
from duban.supervision import services
from duban.supervision.models import ProgressReport

PERIOD = {
    "period_start": dt.date(2026, 3, 1),
    "period_end": dt.date(2026, 3, 31),
    "due_date": dt.date(2099, 3, 31),
}


@pytest.mark.django_db
def test_two_clerks_saving_one_draft(units):
    plan = Plan.objects.create(title="冲突方案")
    task = Task.objects.create(plan=plan, code="1.1", text="推进政务服务一网通办")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    a = create_user("clerk_a", password="x", unit=units["sw"], role="clerk")
    b = create_user("clerk_b", password="x", unit=units["sw"], role="clerk")

    draft = services.submit_report(task, actor=a, percent=10, progress="", draft=True, **PERIOD)
    loaded_version = draft.version  # both clerks open the form at this version
    services.submit_report(
        task, actor=a, percent=30, progress="甲：完成需求调研", expected_version=loaded_version,
        **PERIOD,
    )  # fmt: skip
    with pytest.raises(ConflictError):
        services.submit_report(
            task, actor=b, percent=50, progress="乙：完成系统上线",
            expected_version=loaded_version, **PERIOD,
        )  # fmt: skip
    stored = ProgressReport.objects.get(task=task)
    assert (stored.percent, stored.progress) == (30, "甲：完成需求调研")
    assert stored.version == loaded_version + 1


@pytest.mark.django_db
def test_bad_report_input_is_refused_whole(units, media_root):
    plan = Plan.objects.create(title="校验方案")
    task = Task.objects.create(plan=plan, code="1.1", text="推进政务服务一网通办")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    with pytest.raises(services.ValidationError, match="0 到 100"):
        services.submit_report(task, actor=clerk, percent=140, progress="x", **PERIOD)
    with pytest.raises(services.ValidationError, match="是空的"):
        services.submit_report(
            task,
            actor=clerk,
            percent=40,
            progress="x",
            files=[("进展.pdf", b"%PDF-1.4 ok"), ("空.pdf", b"")],
            **PERIOD,
        )
    # The failed upload rolled back the report it came with.
    assert not ProgressReport.objects.filter(task=task).exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_evidence_downloads_follow_the_task_permissions(client, units, media_root):
    plan = Plan.objects.create(title="佐证方案")
    task = Task.objects.create(plan=plan, code="1.1", text="推进政务服务一网通办")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    other = create_user("other", password="x", unit=units["cz"], role="clerk")
    report = services.submit_report(
        task, actor=clerk, percent=20, progress="上线", files=[("验收.pdf", b"%PDF-1.4 ok")],
        **PERIOD,
    )  # fmt: skip
    evidence = report.evidence.get()
    client.force_login(clerk)
    r = client.get(f"/evidence/{evidence.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4 ok"
    client.force_login(other)
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 302


@pytest.mark.django_db
def test_the_office_files_a_co_units_paper_report_under_that_unit(units):
    plan = Plan.objects.create(title="代报方案")
    task = Task.objects.create(plan=plan, code="1.1", text="推进政务服务一网通办")
    a = Assignment.objects.create(task=task, lead_unit=units["sw"])
    a.co_units.set([units["cz"]])
    office = create_user("office", password="x", unit=units["office"], role="office")
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    report = services.submit_report(
        task, actor=office, unit=units["cz"], percent=20, progress="纸质报送", **PERIOD
    )
    assert report.unit_id == units["cz"].pk
    with pytest.raises(services.ValidationError, match="不是此任务"):
        services.submit_report(
            task, actor=office, unit=units["fgw"], percent=20, progress="x", **PERIOD
        )
    from duban.plans import access

    with pytest.raises(access.NotAllowed):  # a lead-unit clerk cannot file for the co-unit
        services.submit_report(
            task, actor=clerk, unit=units["cz"], percent=20, progress="x", **PERIOD
        )


@pytest.mark.django_db
def test_a_late_report_changes_the_light_at_once(units):
    """The light follows a submitted report without waiting for the nightly recompute."""
    import time_machine

    plan = Plan.objects.create(title="亮灯方案")
    task = Task.objects.create(
        plan=plan, code="1.1", text="推进老旧小区改造", status="confirmed",
        start_date=dt.date(2026, 3, 1), deadline=dt.date(2026, 12, 31),
    )  # fmt: skip
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    office = create_user("office", password="x", unit=units["office"], role="office")
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    with time_machine.travel(dt.datetime(2026, 4, 8, 10, 0), tick=False):
        services.set_reporting_schedule(
            task, actor=office, frequency="monthly", day=25, starts_on=dt.date(2026, 3, 1)
        )
        task.refresh_from_db()
        assert task.light in ("yellow", "red") and "未报送" in task.light_reason
        services.submit_report(
            task,
            actor=clerk,
            period_start=dt.date(2026, 3, 1),
            period_end=dt.date(2026, 3, 25),
            due_date=dt.date(2026, 3, 25),
            percent=15,
            progress="完成摸底调查",
        )
        task.refresh_from_db()
        assert "3月25日应报进展未报送" not in task.light_reason
