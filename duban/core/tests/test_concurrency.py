"""Several processes on one SQLite file: a long job never holds the database, and
concurrent writers all land. Each test starts real processes (``concurrency.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HELPER = "duban.core.tests.concurrency"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"}
    env.update(DUBAN_HOME=str(home), DUBAN_SECRET_KEY="concurrency-test", **extra)
    return env


def _run(home: Path, *args: str, **extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", HELPER, *args],
        env=_env(home, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _start(home: Path, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", HELPER, *args],
        env=_env(home, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def test_a_long_job_runs_while_clerks_save_reports(tmp_path):
    """The job reads for 5 s; writers that give up after 4 s of waiting for the lock all
    save meanwhile, and their saves commit while the job is still running. Run inside the
    claim's transaction (as before), the job would hold SQLite's write lock for the whole
    5 s: no save could commit before it ended, and they would fail "database is locked"."""
    home, markers = tmp_path / "home", tmp_path / "markers"
    markers.mkdir()
    pairs = _run(home, "setup", "4")["pairs"]
    _run(home, "enqueue-slow", "5")
    worker = _start(home, "worker", str(markers))
    writers = [
        _start(
            home,
            "writer",
            str(p["task"]),
            str(p["user"]),
            "30",
            str(markers),
            DUBAN_SQLITE_BUSY_TIMEOUT="4",
        )
        for p in pairs
    ]
    outcomes = [_result(w) for w in writers]
    assert _result(worker)["status"] == "done"
    assert [o["errors"] for o in outcomes] == [[], [], [], []]
    assert [o["saves"] for o in outcomes] == [30, 30, 30, 30]
    # The saves really happened while the job was running, not after it.
    assert all(o["during_job"] > 0 for o in outcomes), outcomes
    counted = _run(home, "count")
    assert counted["reports"] == 120
    assert counted["units"] == 4 + 1  # the job's own write committed too


def test_concurrent_writer_processes_all_land(tmp_path):
    """Six processes save reports at once with the default busy timeout: none fails, none
    is lost."""
    home = tmp_path / "home"
    pairs = _run(home, "setup", "6")["pairs"]
    writers = [_start(home, "writer", str(p["task"]), str(p["user"]), "20") for p in pairs]
    outcomes = [_result(w) for w in writers]
    assert [o["errors"] for o in outcomes] == [[]] * 6
    assert _run(home, "count")["reports"] == 120
