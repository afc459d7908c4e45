"""The built-in background jobs: each one only calls a service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from duban.core.jobs import job
from duban.documents import jobs as _document_jobs  # noqa: F401 - registers extract_document
from duban.plans import taskbook as _taskbook  # noqa: F401 - registers import_taskbook
from duban.supervision import notify  # noqa: F401 - registers send_email, deliver_webhook


@job("recompute_lights")
def recompute_lights_job(today: str | None = None) -> dict[str, Any]:
    from duban.supervision.lights import recompute_lights

    day = dt.date.fromisoformat(today) if today else None
    return {"counts": recompute_lights(today=day, incremental=True)}


@job("run_chasing")
def run_chasing_job(today: str | None = None) -> dict[str, Any]:
    from duban.supervision.services import run_chasing

    day = dt.date.fromisoformat(today) if today else None
    return run_chasing(today=day)
