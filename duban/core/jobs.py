"""A database-backed job queue: no Redis, the same on SQLite and PostgreSQL.

Handlers are registered by name. Each job runs inside one transaction together with the
row that marks it done, so a job that crashes halfway leaves nothing behind and is tried
again later (with back-off), up to ``max_attempts``. Enqueuing is idempotent by ``key``.

On PostgreSQL several workers can run: a job is claimed with ``SELECT … FOR UPDATE SKIP
LOCKED``. On SQLite the database has one writer at a time, so the claim is serialized by
the write lock (immediate transactions) and one worker is enough.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from duban.core.models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
_REGISTRY: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of jobs called ``name``."""

    def register(fn: Handler) -> Handler:
        _REGISTRY[name] = fn
        return fn

    return register


def registry() -> dict[str, Handler]:
    from duban.core import tasks  # noqa: F401 - registers the built-in handlers

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


def _claim(worker_id: str) -> Job | None:
    qs = Job.objects.filter(status=Job.Status.PENDING, run_after__lte=timezone.now()).order_by(
        "run_after", "id"
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return qs.first()


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def run_one(worker_id: str = "") -> Job | None:
    """Run the next due job, if any; return it (after its outcome is stored)."""
    handlers = registry()
    worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    failure: tuple[int, str] | None = None
    job_obj: Job | None = None
    try:
        with transaction.atomic():
            job_obj = _claim(worker_id)
            if job_obj is None:
                return None
            handler = handlers.get(job_obj.name)
            if handler is None:
                raise LookupError(f"no handler for job {job_obj.name!r}")
            result = handler(**job_obj.args)
            job_obj.status = Job.Status.DONE
            job_obj.attempts += 1
            job_obj.locked_by = worker_id
            job_obj.progress = 100
            job_obj.result = result if isinstance(result, dict | list | None) else str(result)
            job_obj.finished_at = timezone.now()
            job_obj.error = ""
            job_obj.save()
            return job_obj
    except Exception:
        if job_obj is None:
            raise
        failure = (job_obj.pk, traceback.format_exc(limit=20))
    # The handler's writes were rolled back with the transaction; record the failure apart.
    pk, error = failure
    with transaction.atomic():
        stored = Job.objects.select_for_update().get(pk=pk)
        stored.attempts += 1
        stored.error = error[-4000:]
        stored.locked_by = worker_id
        if stored.attempts >= stored.max_attempts:
            stored.status = Job.Status.FAILED
            stored.finished_at = timezone.now()
        else:
            stored.run_after = timezone.now() + _backoff(stored.attempts)
        stored.save()
    log.warning("job %s failed (attempt %s): %s", stored.name, stored.attempts, error[-300:])
    return stored


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
    file, stored in its result) or failed (crashed on every attempt)."""
    result = job_obj.result if isinstance(job_obj.result, dict) else {}
    if job_obj.status == Job.Status.DONE:
        return "error" if result.get("error") else "done"
    if job_obj.status == Job.Status.FAILED:
        return "failed"
    return "waiting"
