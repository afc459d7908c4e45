"""A helper the fault tests run as a separate process against a site of their own.

The fault tests kill real ``duban`` processes, so the site they work on cannot be
pytest's in-process test database: each test gets a fresh ``DUBAN_HOME`` (SQLite) or a
fresh PostgreSQL database (``harness.py``), and reads and seeds it through this module:

``python -m duban.tests_faults.sitectl seed``
    units, an office login, a clerk of 市商务局 with a task and a write API token (JSON);
``python -m duban.tests_faults.sitectl enqueue-import BOOK TITLE``
    put the task book BOOK in the upload folder and queue its ``import_taskbook`` job,
    as the import page's commit step does;
``python -m duban.tests_faults.sitectl state TITLE``
    what the database and the media folder hold, as JSON (see :func:`state`).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from duban.conf import setup_django

setup_django()

from django.conf import settings  # noqa: E402

CLERK_PASSWORD = "Clerk-pass-2026"


def seed() -> dict[str, Any]:
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.org.tokens import issue_token
    from duban.plans.models import Assignment, Plan, Task

    root = Unit.objects.create(name="示例市委、市政府", kind="root")
    office = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    sw = Unit.objects.create(name="市商务局", kind="government", parent=root)
    Unit.objects.create(name="市财政局", kind="government", parent=root)
    office_user = create_user("office", password="Office-pass-2026", unit=office, role="office")
    clerk = create_user("clerk", password=CLERK_PASSWORD, unit=sw, role="clerk")
    plan = Plan.objects.create(title="在用方案", year=2026, status="confirmed", is_public=True)
    task = Task.objects.create(plan=plan, code="1.1", text="促进消费扩容提质")
    Assignment.objects.create(task=task, lead_unit=sw)
    _row, key = issue_token(clerk, scope="write", days=30)
    return {
        "office": office_user.pk,
        "clerk": clerk.pk,
        "plan": plan.pk,
        "task": task.pk,
        "token": key,
    }


def enqueue_import(book: str, title: str) -> dict[str, Any]:
    from duban.core import jobs, uploads
    from duban.org.models import User

    token = uploads.new_token(Path(book).suffix)
    uploads.save(token, Path(book).read_bytes())
    job, _created = jobs.enqueue(
        "import_taskbook",
        key=f"taskbook:{token}",
        args={
            "upload": token,
            "filename": Path(book).name,
            "year": 2026,
            "title": title,
            "user_id": User.objects.get(username="office").pk,
        },
        max_attempts=3,
    )
    return {"job": job.pk, "upload": token}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(title: str) -> dict[str, Any]:
    """Jobs, the imported plan's tasks, reports, evidence rows and every media file."""
    from duban.core.models import AuditEntry, Job
    from duban.plans.models import Assignment, Plan, Task
    from duban.supervision.models import Evidence, ProgressReport

    media = Path(settings.MEDIA_ROOT)
    evidence = []
    for ev in Evidence.objects.order_by("pk"):
        path = media / ev.file.name
        evidence.append(
            {
                "file": ev.file.name,
                "report": ev.report_id,
                "whole": path.is_file() and _sha256(path) == ev.sha256 and ev.size > 0,
            }
        )
    files = (
        sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
        if media.exists()
        else []
    )
    return {
        "jobs": [
            {"id": j.pk, "status": j.status, "attempts": j.attempts, "error": j.error[:300]}
            for j in Job.objects.filter(name="import_taskbook").order_by("pk")
        ],
        "plans": Plan.objects.filter(title=title).count(),
        "tasks": Task.objects.filter(plan__title=title).count(),
        "assignments": Assignment.objects.filter(task__plan__title=title).count(),
        "imported_events": AuditEntry.objects.filter(event="taskbook_imported").count(),
        "reports": list(ProgressReport.objects.values_list("progress", flat=True)),
        "evidence": evidence,
        "files": files,
    }


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "seed":
        out = seed()
    elif command == "enqueue-import":
        out = enqueue_import(argv[1], argv[2])
    elif command == "state":
        out = state(argv[1])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
