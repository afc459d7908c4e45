"""A helper the concurrency tests run as separate processes against one SQLite file.

Several processes writing to one SQLite database is what a deployment does (server
workers, the job worker, a CLI import), and it cannot be shown inside one test process:
pytest's database is in memory and shared-cache, with other locking rules. So the tests
start this module with ``DUBAN_HOME`` pointing at a fresh folder:

``python -m duban.core.tests.concurrency setup N``
    migrate, create N units with a clerk and a task each, print their ids as JSON;
``python -m duban.core.tests.concurrency enqueue-slow SECONDS``
    queue a job that reads for SECONDS (outside any transaction) and then writes;
``python -m duban.core.tests.concurrency worker MARKERS``
    run one job, touching ``MARKERS/started`` and ``MARKERS/finished`` around it;
``python -m duban.core.tests.concurrency writer TASK USER COUNT [MARKERS]``
    save COUNT progress reports through the service (after ``started`` appears, when
    MARKERS is given), print JSON with the saves, errors and the slowest save;
``python -m duban.core.tests.concurrency count``
    print how many reports and units the database holds.
``python -m duban.core.tests.concurrency enqueue-marks N``
    queue N jobs that each leave one marker row, so a job run twice shows as a duplicate;
``python -m duban.core.tests.concurrency drain [GATE]``
    run jobs until the queue is empty, print how many this process ran; with GATE, first
    touch ``GATE/ready-<pid>`` and wait for ``GATE/go``, so several workers start at once;
``python -m duban.core.tests.concurrency tokens``
    give every clerk of ``setup`` a write token, print them with their task ids;
``python -m duban.core.tests.concurrency marks``
    print the marker rows' names, one entry per row (duplicates included).

The same commands run against PostgreSQL when ``DUBAN_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import traceback
from pathlib import Path

from duban.conf import setup_django

setup_django()

from django.db import transaction  # noqa: E402

from duban.core import jobs  # noqa: E402

MARKERS: Path | None = None


@jobs.job("test_slow_read", atomic=False)
def slow_read(seconds: float) -> dict:
    """Like an import: a long read that touches no table, then one short write."""
    from duban.org.models import Unit

    if MARKERS is not None:
        (MARKERS / "started").write_text(str(time.time()))
    time.sleep(seconds)
    with transaction.atomic():
        Unit.objects.create(name="慢任务写入的单位", kind="other")
    if MARKERS is not None:
        (MARKERS / "finished").write_text(str(time.time()))
    return {"slept": seconds}


@jobs.job("test_mark", atomic=False)
def mark(n: int) -> dict:
    """One marker row per run: two rows with one name would mean the job ran twice.

    Like a real job it works outside a transaction (long enough for the other worker to
    try to take the same job) and writes in a short one.
    """
    from duban.org.models import Unit

    time.sleep(0.02)
    with transaction.atomic():
        Unit.objects.create(name=f"作业标记{n}", kind="other")
    return {"mark": n}


def setup(n: int) -> dict:
    from django.core.management import call_command

    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.plans.models import Assignment, Plan, Task

    call_command("migrate", interactive=False, verbosity=0)
    plan = Plan.objects.create(title="并发方案", year=2026)
    pairs = []
    for i in range(n):
        unit = Unit.objects.create(name=f"并发单位{i}", kind="government")
        user = create_user(f"clerk{i}", password="x", unit=unit, role="clerk")
        task = Task.objects.create(plan=plan, code=f"9.{i}", text=f"并发任务{i}")
        Assignment.objects.create(task=task, lead_unit=unit)
        pairs.append({"task": task.pk, "user": user.pk})
    return {"pairs": pairs}


def writer(task_id: int, user_id: int, count: int, markers: Path | None) -> dict:
    from duban.org.models import User
    from duban.plans.models import Task
    from duban.supervision.services import submit_report

    if markers is not None:
        deadline = time.monotonic() + 60
        while not (markers / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    user = User.objects.get(pk=user_id)
    saves, errors, slowest, during_job = 0, [], 0.0, 0
    for k in range(count):
        end = dt.date(2026, 1, 1) + dt.timedelta(days=k)
        began = time.monotonic()
        try:
            submit_report(
                Task.objects.get(pk=task_id),
                actor=user,
                period_start=end,
                period_end=end,
                due_date=end + dt.timedelta(days=5),
                percent=k % 100,
                progress=f"第{k}次报送",
            )
            saves += 1
        except Exception:
            errors.append(traceback.format_exc(limit=3)[-300:])
        slowest = max(slowest, time.monotonic() - began)
        if markers is not None and not (markers / "finished").exists():
            during_job += 1
        time.sleep(0.05)
    return {"saves": saves, "errors": errors, "slowest": slowest, "during_job": during_job}


def main(argv: list[str]) -> None:
    global MARKERS
    role = argv[0]
    if role == "setup":
        out = setup(int(argv[1]))
    elif role == "enqueue-slow":
        job, _ = jobs.enqueue("test_slow_read", args={"seconds": float(argv[1])})
        out = {"job": job.pk}
    elif role == "worker":
        MARKERS = Path(argv[1])
        ran = jobs.run_one()
        out = {"job": ran.pk if ran else None, "status": ran.status if ran else None}
    elif role == "count":
        from duban.org.models import Unit
        from duban.supervision.models import ProgressReport

        out = {"reports": ProgressReport.objects.count(), "units": Unit.objects.count()}
    elif role == "enqueue-marks":
        for n in range(int(argv[1])):
            jobs.enqueue("test_mark", args={"n": n}, key=f"mark:{n}")
        out = {"queued": int(argv[1])}
    elif role == "drain":
        if len(argv) > 1:  # start together with the other workers: ready, then wait for go
            gate = Path(argv[1])
            (gate / f"ready-{os.getpid()}").touch()
            deadline = time.monotonic() + 60
            while not (gate / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        out = {"ran": jobs.work(once=True)}
    elif role == "tokens":
        from duban.org.models import User
        from duban.org.tokens import issue_token
        from duban.plans.models import Assignment

        out = {"clerks": []}
        for user in User.objects.filter(username__startswith="clerk").order_by("pk"):
            unit = user.memberships.get().unit
            task_id = Assignment.objects.get(lead_unit=unit).task_id
            _row, key = issue_token(user, scope="write", days=1)
            out["clerks"].append({"task": task_id, "key": key})
    elif role == "marks":
        from duban.org.models import Unit

        out = {
            "names": list(
                Unit.objects.filter(name__startswith="作业标记").values_list("name", flat=True)
            )
        }
    elif role == "writer":
        markers = Path(argv[4]) if len(argv) > 4 else None
        out = writer(int(argv[1]), int(argv[2]), int(argv[3]), markers)
    else:
        raise SystemExit(f"unknown role {role}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
