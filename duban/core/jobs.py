"""A database-backed job queue: no Redis, the same on SQLite and PostgreSQL.

Handlers are registered by name. A job's life is three short transactions and no long one:

1. **claim**: the worker takes the next due job, counts the attempt, marks it running and
   moves ``run_after`` to the end of a lease (with back-off). The database is held for
   milliseconds. A worker killed while running leaves the job ``running`` with a lease in
   the past: the next worker claims it again, and once ``max_attempts`` claims have been
   used up the job is marked failed instead of being run once more. So a job that kills
   its worker is tried at most ``max_attempts`` times, never forever.
2. **run**: the handler runs outside any transaction the queue opened. On SQLite that
   matters: holding a transaction for a 30-second import would hold the only write lock
   and every clerk's save would fail with "database is locked". Handlers are therefore
   transactional themselves where they write: by default (``@job(name)``) the whole
   handler runs in one transaction, which suits short jobs; a long job declares
   ``atomic=False`` and opens its own short transaction around the writes, after the slow
   reading and parsing is done. Either way its writes are all-or-nothing.
3. **record**: the result (done, or the error with the next ``run_after``) is stored in
   another short transaction, guarded by the claim so that a worker whose lease ran out
   cannot overwrite the outcome of the worker that took the job over.

Side effects outside the database (mail, webhooks) go through the outbox
(:mod:`duban.core.outbox`), which marks each message sent in its own transaction and
carries an idempotency key, so a failed commit afterwards never sends it twice.

A long handler reports how far it got with :func:`report_progress` (the page polls the
job's ``progress``); a person may :func:`cancel` a job, which marks it done at once with
a "cancelled" result, and the running handler stops at its next progress report
(:class:`JobCancelled`), its outcome no longer the worker's to record.

Enqueuing is idempotent by ``key``. On PostgreSQL several workers can run: the claim uses
``SELECT … FOR UPDATE SKIP LOCKED``. On SQLite the claim is serialized by the write lock
(immediate transactions); several workers are safe but one is enough.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from duban.core.models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
_REGISTRY: dict[str, Handler] = {}

#: How long a claimed job may run before another worker may take it over (seconds).
DEFAULT_LEASE_SECONDS = 30 * 60

# The job this worker is running, for report_progress(); None outside a job.
_running: contextvars.ContextVar[Job | None] = contextvars.ContextVar("duban_job", default=None)


class JobCancelled(Exception):
    """Raised by :func:`report_progress` when the running job is no longer this worker's:
    cancelled by a person, or its lease taken over. The handler stops; nothing is recorded."""


def report_progress(done: int, total: int) -> None:
    """Store how far the running job is (``done`` of ``total`` steps) for the page to show.

    Written at once in its own statement (long jobs run outside a transaction). Does nothing
    outside a job. Raises :class:`JobCancelled` when the job was cancelled meanwhile.
    """
    job_obj = _running.get()
    if job_obj is None or total <= 0:
        return
    percent = max(0, min(99, 100 * done // total))  # 100 means finished, set on success
    if not _mine(job_obj).update(progress=percent):
        raise JobCancelled(f"job {job_obj.name} #{job_obj.pk} is no longer running here")


def cancel(job_obj: Job, *, message: str = "") -> bool:
    """Stop a waiting or running job: it is done, with ``{"error": "cancelled"}`` as result.

    Returns False when the job had already finished. A running handler notices at its next
    :func:`report_progress`; until then its work goes on but its outcome is not recorded.
    """
    updated = Job.objects.filter(
        pk=job_obj.pk, status__in=[Job.Status.PENDING, Job.Status.RUNNING]
    ).update(
        status=Job.Status.DONE,
        result={"error": "cancelled", "message": message},
        finished_at=timezone.now(),
    )
    job_obj.refresh_from_db()
    return bool(updated)


def job(name: str, *, atomic: bool = True) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of jobs called ``name``.

    ``atomic`` (the default) runs the whole handler in one transaction: a crash halfway
    leaves nothing behind. A long handler passes ``atomic=False`` and must keep its own
    writes in short transactions, so that reading a large file does not hold the database.
    """

    def register(fn: Handler) -> Handler:
        if atomic:

            def run(**kwargs: Any) -> Any:
                with transaction.atomic():
                    return fn(**kwargs)

            run.__wrapped__ = fn  # type: ignore[attr-defined]
            run.__doc__ = fn.__doc__
            _REGISTRY[name] = run
        else:
            _REGISTRY[name] = fn
        return fn

    return register


def registry() -> dict[str, Handler]:
    """Every job name and its handler. Apps register theirs in ``AppConfig.ready()``."""
    return dict(_REGISTRY)


def enqueue(
    name: str,
    *,
    key: str = "",
    args: dict[str, Any] | None = None,
    run_after: dt.datetime | None = None,
    max_attempts: int = 5,
) -> tuple[Job, bool]:
    """Add a job unless one with the same ``key`` is already waiting or done.

    Returns (job, created). A failed job with the same key is not revived: a person should
    look at it first.
    """
    if name not in registry():
        raise ValueError(f"unknown job {name!r}")
    with transaction.atomic():
        if key:
            existing = Job.objects.filter(name=name, key=key).first()
            if existing is not None:
                return existing, False
        created = Job.objects.create(
            name=name,
            key=key,
            args=args or {},
            run_after=run_after or timezone.now(),
            max_attempts=max_attempts,
        )
    return created, True


#: The first retry's wait (seconds); it doubles with each attempt, up to an hour.
DEFAULT_BACKOFF_SECONDS = 30


def _backoff(attempts: int) -> dt.timedelta:
    base = getattr(settings, "DUBAN_JOB_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)
    return dt.timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


def _lease(attempts: int) -> dt.timedelta:
    """Until when a claimed job belongs to its worker: the configured lease, and never
    less than the back-off, so a job that keeps killing its worker waits longer each time."""
    seconds = getattr(settings, "DUBAN_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    return max(dt.timedelta(seconds=seconds), _backoff(attempts))


def claim(worker_id: str = "") -> Job | None:
    """Take the next due job in one short transaction and return it, or None.

    Due means pending with ``run_after`` passed, or running with its lease passed (its
    worker died). The attempt is counted here, before the handler runs, so a handler that
    kills its worker still uses up an attempt. A job with no attempt left is marked failed
    and returned as such, without running.
    """
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    with transaction.atomic():
        now = timezone.now()
        qs = Job.objects.filter(
            status__in=[Job.Status.PENDING, Job.Status.RUNNING], run_after__lte=now
        ).order_by("run_after", "id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        job_obj = qs.first()
        if job_obj is None:
            return None
        if job_obj.attempts >= job_obj.max_attempts:
            job_obj.status = Job.Status.FAILED
            job_obj.finished_at = now
            job_obj.error = (
                f"gave up after {job_obj.attempts} attempts: the worker stopped while running it "
                f"(killed, out of memory or lost its lease)\n{job_obj.error}"
            )[:4000]
            job_obj.save()
            log.warning("job %s #%s abandoned too often; marked failed", job_obj.name, job_obj.pk)
            return job_obj
        job_obj.attempts += 1
        job_obj.status = Job.Status.RUNNING
        job_obj.locked_by = worker_id[:100]
        job_obj.locked_at = now
        job_obj.run_after = now + _lease(job_obj.attempts)
        job_obj.save()
    return job_obj


def _mine(job_obj: Job) -> Any:
    """The stored row, only while it is still this claim's (same worker, same attempt)."""
    return Job.objects.filter(
        pk=job_obj.pk,
        status=Job.Status.RUNNING,
        locked_by=job_obj.locked_by,
        attempts=job_obj.attempts,
    )


def run_one(worker_id: str = "") -> Job | None:
    """Claim the next due job, run it outside any queue transaction, store its outcome.

    Returns the job as stored after this turn, or None when nothing was due.
    """
    handlers = registry()
    job_obj = claim(worker_id)
    if job_obj is None or job_obj.status == Job.Status.FAILED:
        return job_obj
    token = _running.set(job_obj)
    try:
        handler = handlers.get(job_obj.name)
        if handler is None:
            raise LookupError(f"no handler for job {job_obj.name!r}")
        result = handler(**job_obj.args)
    except JobCancelled:
        log.info("job %s #%s stopped: cancelled or taken over", job_obj.name, job_obj.pk)
    except Exception:
        _record_failure(job_obj, traceback.format_exc(limit=20))
    else:
        _record_success(job_obj, result)
    finally:
        _running.reset(token)
    job_obj.refresh_from_db()
    return job_obj


def _record_success(job_obj: Job, result: Any) -> None:
    stored = result if isinstance(result, dict | list | None) else str(result)
    with transaction.atomic():
        updated = _mine(job_obj).update(
            status=Job.Status.DONE,
            progress=100,
            result=stored,
            finished_at=timezone.now(),
            error="",
        )
    if not updated:
        log.warning("job %s #%s finished after its lease was taken over", job_obj.name, job_obj.pk)


def _record_failure(job_obj: Job, error: str) -> None:
    now = timezone.now()
    if job_obj.attempts >= job_obj.max_attempts:
        fields: dict[str, Any] = {"status": Job.Status.FAILED, "finished_at": now}
    else:
        fields = {"status": Job.Status.PENDING, "run_after": now + _backoff(job_obj.attempts)}
    with transaction.atomic():
        _mine(job_obj).update(error=error[-4000:], **fields)
    log.warning("job %s failed (attempt %s): %s", job_obj.name, job_obj.attempts, error[-300:])


def schedule_periodic(now: dt.datetime | None = None) -> list[Job]:
    """Enqueue the recurring work for this moment; keys make it safe to call every minute.

    Nightly (after 01:00 local time): recompute every light. Hourly, during working hours:
    walk the chasing ladder.
    """
    now = timezone.localtime(now or timezone.now())
    created = []
    if now.hour >= 1:
        j, new = enqueue("recompute_lights", key=f"nightly:{now.date().isoformat()}")
        if new:
            created.append(j)
    if 8 <= now.hour < 20:
        j, new = enqueue("run_chasing", key=f"chasing:{now:%Y-%m-%dT%H}")
        if new:
            created.append(j)
    return created


def work(*, once: bool = False, poll: float = 5.0, stop: Callable[[], bool] | None = None) -> int:
    """The worker loop; returns the number of jobs run (``once``: until the queue is empty)."""
    ran = 0
    while True:
        schedule_periodic()
        job_obj = run_one()
        if job_obj is not None:
            ran += 1
            continue
        if once or (stop is not None and stop()):
            return ran
        time.sleep(poll)


def run_inline_if_configured(job_obj: Job) -> Job:
    """With ``DUBAN_INLINE_JOBS`` (tests, a demo without a worker), run the queue until this
    job has had its turn; otherwise leave it to ``duban worker``. Returns the fresh row."""
    from django.conf import settings

    if getattr(settings, "DUBAN_INLINE_JOBS", False):
        for _i in range(50):
            ran = run_one()
            if ran is None or ran.pk == job_obj.pk:
                break
    job_obj.refresh_from_db()
    return job_obj


def page_state(job_obj: Job) -> str:
    """How a page shows a job: waiting, done, error (finished with a refusal such as a bad
    file, stored in its result), cancelled (by a person) or failed (crashed on every
    attempt)."""
    result = job_obj.result if isinstance(job_obj.result, dict) else {}
    if job_obj.status == Job.Status.DONE:
        if result.get("error") == "cancelled":
            return "cancelled"
        return "error" if result.get("error") else "done"
    if job_obj.status == Job.Status.FAILED:
        return "failed"
    return "waiting"
