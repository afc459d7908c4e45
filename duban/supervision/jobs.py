"""Supervision's background jobs (nightly lights, chasing): each one only calls a service.

Registered when the app is ready (``SupervisionConfig.ready``), like every app's jobs, so
the job queue in ``duban.core`` knows no app.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from duban.core.jobs import job


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
