"""The job queue: idempotent enqueue, all-or-nothing runs, retries with back-off, periodic
work, attempts counted at claim time (a job that kills its worker is not retried forever),
and no transaction of the queue's own around a running job."""

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


_seen_in_transaction: list[bool] = []


@jobs.job("test_probe_transaction", atomic=False)
def _probe_transaction() -> dict:
    from django.db import connection

    _seen_in_transaction.append(connection.in_atomic_block)
    return {}


def test_a_job_runs_outside_the_transaction_that_claimed_it():
    _seen_in_transaction.clear()
    jobs.enqueue("test_probe_transaction")
    job = jobs.run_one()
    assert job.status == Job.Status.DONE and job.attempts == 1
    assert _seen_in_transaction == [False]


def test_the_attempt_is_counted_when_the_job_is_claimed():
    job, _ = jobs.enqueue("test_write_then_crash", args={"name": "x", "crash": False})
    before = timezone.now()
    claimed = jobs.claim("w1")
    stored = Job.objects.get(pk=job.pk)
    assert claimed.pk == job.pk
    assert stored.status == Job.Status.RUNNING and stored.attempts == 1
    assert stored.locked_by == "w1" and stored.locked_at >= before
    assert stored.run_after >= before + dt.timedelta(minutes=29)  # the lease
    assert jobs.claim("w2") is None  # another worker does not take a leased job


def test_a_job_that_kills_its_worker_is_given_up_after_max_attempts(settings):
    """Simulated kill: claim and never finish. Each claim counts, run_after moves on with
    back-off, and after max_attempts the job is failed, not run again."""
    settings.DUBAN_JOB_LEASE_SECONDS = 60
    job, _ = jobs.enqueue(
        "test_write_then_crash", args={"name": "杀不死", "crash": False}, max_attempts=3
    )
    now = timezone.now()
    leases = []
    for attempt in (1, 2, 3):
        with time_machine.travel(now, tick=False):
            claimed = jobs.claim(f"doomed-{attempt}")
        assert claimed is not None and claimed.attempts == attempt
        stored = Job.objects.get(pk=job.pk)
        assert stored.status == Job.Status.RUNNING and stored.attempts == attempt
        leases.append(stored.run_after - now)
        with time_machine.travel(now, tick=False):
            assert jobs.claim("impatient") is None  # still leased
        now = stored.run_after + dt.timedelta(seconds=1)
    assert leases[0] == dt.timedelta(seconds=60)
    assert leases[2] == dt.timedelta(seconds=120)  # the back-off outgrew the lease
    with time_machine.travel(now, tick=False):
        given_up = jobs.run_one("survivor")
    assert given_up.pk == job.pk and given_up.status == Job.Status.FAILED
    assert given_up.attempts == 3 and "gave up after 3 attempts" in given_up.error
    assert not Unit.objects.filter(name="杀不死").exists()  # it was not run a fourth time
    with time_machine.travel(now + dt.timedelta(days=1), tick=False):
        assert jobs.run_one() is None  # and never again


def test_a_late_worker_cannot_overwrite_the_outcome_of_the_one_that_took_over(settings):
    settings.DUBAN_JOB_LEASE_SECONDS = 60
    job, _ = jobs.enqueue("test_write_then_crash", args={"name": "接手", "crash": False})
    slow = jobs.claim("slow")
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert jobs.run_one("fast").status == Job.Status.DONE
    jobs._record_failure(slow, "the slow worker woke up and failed")
    stored = Job.objects.get(pk=job.pk)
    assert stored.status == Job.Status.DONE and stored.locked_by == "fast" and not stored.error


_stored_progress: list[int] = []


@jobs.job("test_pages", atomic=False)
def _pages(pages: int, cancel_after: int = 0) -> dict:
    """Works page by page like the OCR of a scan; a clerk may cancel after some pages."""
    for done in range(1, pages + 1):
        if done == cancel_after:
            jobs.cancel(Job.objects.get(name="test_pages"), message="已取消")
        jobs.report_progress(done, pages)
        # What the polling page reads now, while the job is still running:
        _stored_progress.append(Job.objects.get(name="test_pages").progress)
        Unit.objects.create(name=f"page {done}", kind="other")
    return {"pages": pages}


def test_a_running_job_reports_its_progress_and_ends_at_100():
    _stored_progress.clear()
    job, _ = jobs.enqueue("test_pages", args={"pages": 4})
    jobs.run_one()
    job.refresh_from_db()
    assert (job.status, job.progress) == (Job.Status.DONE, 100)
    assert _stored_progress == [25, 50, 75, 99]  # stored page by page, 100 only when done


def test_progress_outside_a_job_does_nothing():
    jobs.report_progress(1, 2)  # no job is running: no error, nothing written
    assert not Job.objects.exists()


def test_a_cancelled_job_stops_at_its_next_page_and_keeps_its_cancelled_state():
    job, _ = jobs.enqueue("test_pages", args={"pages": 5, "cancel_after": 3})
    jobs.run_one()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.result == {"error": "cancelled", "message": "已取消"}
    assert jobs.page_state(job) == "cancelled"
    # Pages 1 and 2 were done before the clerk cancelled; page 3 onwards never ran.
    assert sorted(Unit.objects.values_list("name", flat=True)) == ["page 1", "page 2"]
    assert job.error == ""  # not a failure: nothing to retry


def test_a_finished_job_cannot_be_cancelled():
    job, _ = jobs.enqueue("test_pages", args={"pages": 1})
    jobs.run_one()
    assert jobs.cancel(job) is False
    assert job.status == Job.Status.DONE and job.result == {"pages": 1}
