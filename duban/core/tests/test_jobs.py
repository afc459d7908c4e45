"""The job queue: idempotent enqueue, all-or-nothing runs, retries with back-off, periodic work."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from duban.core import jobs
from duban.core.models import Job
from duban.org.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)


@jobs.job("test_write_then_crash")
def _write_then_crash(name: str, crash: bool = True) -> dict:
    Unit.objects.create(name=name, kind="other")
    if crash:
        raise RuntimeError("disk full halfway")
    return {"wrote": name}


def test_enqueue_is_idempotent_by_key():
    a, created_a = jobs.enqueue("recompute_lights", key="nightly:2026-09-01")
    b, created_b = jobs.enqueue("recompute_lights", key="nightly:2026-09-01")
    assert created_a and not created_b and a.pk == b.pk
    with pytest.raises(ValueError):
        jobs.enqueue("no_such_job")


def test_a_crash_halfway_leaves_nothing_and_is_retried_then_fails():
    job, _ = jobs.enqueue(
        "test_write_then_crash", args={"name": "半截单位"}, max_attempts=2, key="crash"
    )
    ran = jobs.run_one()
    assert ran.pk == job.pk
    job.refresh_from_db()
    assert not Unit.objects.filter(name="半截单位").exists()
    assert job.status == Job.Status.PENDING and job.attempts == 1
    assert "disk full halfway" in job.error
    assert job.run_after > timezone.now()  # backed off
    assert jobs.run_one() is None  # not due yet

    Job.objects.filter(pk=job.pk).update(run_after=timezone.now())
    jobs.run_one()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.attempts == 2


def test_a_successful_job_commits_its_work_with_its_status():
    jobs.enqueue("test_write_then_crash", args={"name": "完整单位", "crash": False})
    assert jobs.run_one() is not None
    job = Job.objects.get(name="test_write_then_crash")
    assert job.status == Job.Status.DONE and job.result == {"wrote": "完整单位"}
    assert Unit.objects.filter(name="完整单位").count() == 1


def test_periodic_work_is_enqueued_once_per_slot():
    tz = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, 5, tzinfo=tz), tick=False):
        first = jobs.schedule_periodic()
        again = jobs.schedule_periodic()
    assert sorted(j.name for j in first) == ["recompute_lights", "run_chasing"]
    assert again == []
    with time_machine.travel(dt.datetime(2026, 9, 1, 22, 0, tzinfo=tz), tick=False):
        assert jobs.schedule_periodic() == []  # no chasing at night, lights already done
        assert jobs.work(once=True) == 2
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
