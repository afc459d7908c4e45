"""The district cascade between two real instances (docs/cascade.md).

Two ``duban serve`` processes on two loopback ports, each with its own DUBAN_HOME and
database (a fresh PostgreSQL database each in the PostgreSQL pass, else a SQLite file
each). The city assigns a task to 金水区, a remote district: its worker delivers the
signed ``task.cascaded`` webhook to the district's server, which creates the task. The
district breaks it down, a department reports, the district office accepts: the district's
worker pushes the progress, signed, to the city's API with a token of the district, and
the city task has 金水区's own report (「金水区（远程）」, not the clerk's). Then the city
gives the task to one of its bureaus: a signed ``task.withdrawn`` goes down and the
district's task and sub-task are cancelled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from duban.core.tests.test_scale_out import _free_port, _wait_for

pytestmark = pytest.mark.slow

HELPER = "duban.supervision.tests.cascade_instances"
SECRET = "cascade-" + "s" * 32


@pytest.fixture
def databases():
    """Two databases of their own on the suite's server, dropped afterwards (None: SQLite)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield None, None
        return
    import psycopg

    names = [f"duban_cascade_{side}_{uuid.uuid4().hex[:8]}" for side in ("city", "district")]
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    yield tuple(f"postgres://{auth}@{params['host']}:{params['port']}/{n}" for n in names)
    with psycopg.connect(**params) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(home: Path, url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"}
    env.update(
        DUBAN_HOME=str(home),
        DUBAN_SECRET_KEY="cascade-test-" + "x" * 40,
        DUBAN_ALLOWED_HOSTS="127.0.0.1",
        DUBAN_REQUIRE_2FA="false",
        DUBAN_INLINE_JOBS="false",
        DUBAN_JOB_BACKOFF_SECONDS="1",
        **extra,
    )
    if url:
        env["DUBAN_DATABASE_URL"] = url
    return env


def _helper(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", HELPER, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_task_goes_down_to_a_remote_district_and_its_progress_comes_back(tmp_path, databases):
    city_port, district_port = _free_port(), _free_port()
    city_url, district_url = (f"http://127.0.0.1:{p}" for p in (city_port, district_port))
    city_env = _env(tmp_path / "city", databases[0])
    setup = _helper(city_env, "city-setup", district_url, SECRET)
    district_env = _env(
        tmp_path / "district",
        databases[1],
        DUBAN_CASCADE_SECRET=SECRET,
        DUBAN_CASCADE_CITY_URL=city_url,
        DUBAN_CASCADE_CITY_TOKEN=setup["token"],
    )
    _helper(district_env, "district-setup")
    serve = [sys.executable, "-m", "duban", "serve", "--host", "127.0.0.1", "--workers", "1"]
    servers = [
        subprocess.Popen(
            [*serve, "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for port, env in ((city_port, city_env), (district_port, district_env))
    ]
    try:
        _wait_for(f"{city_url}/healthz")
        _wait_for(f"{district_url}/healthz")
        assigned = _helper(city_env, "city-assign")
        assert [m["sent"] for m in assigned["outbox"]] == [True], assigned
        worked = _helper(district_env, "district-work", "45")
        assert worked["city_task"] == setup["task"]
        pushed = [m for m in worked["outbox"] if m["key"].startswith("cascade-push:")]
        assert [m["sent"] for m in pushed] == [True], worked
        checked = _helper(city_env, "city-check")
        withdrawn = _helper(city_env, "city-withdraw")
        assert [m["sent"] for m in withdrawn["outbox"]] == [True, True], withdrawn
        assert ":withdrawn:" in withdrawn["outbox"][-1]["key"]
        district_after = _helper(district_env, "district-check")
    finally:
        for proc in servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in servers:
            proc.wait(timeout=30)

    [report] = checked["reports"]
    assert report["unit"] == "金水区" and report["percent"] == 45
    # The district's word, accepted by its office at home; the city office reviews it.
    assert report["status"] == "unit_approved"
    assert report["submitter"] == "金水区（远程）" and report["signed"]
    assert report["remote_source"] == "金水区督办系统"
    assert "完成12个小区的入户调查" in report["text"]
    assert [t["status"] for t in district_after["tasks"]] == ["cancelled", "cancelled"]
