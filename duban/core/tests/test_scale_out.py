"""Two app processes and two workers on one database, as on two machines (issue 10, point 7).

Everything is real: two ``duban serve`` servers on their own ports, two worker processes,
clerks posting over HTTP through both servers, on a database of its own (a fresh
PostgreSQL database when the suite runs on PostgreSQL, else one SQLite file). Then the
database is counted: every job ran once, every report landed once, a retry sent to the
other server was answered from the first one's record.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

HELPER = "duban.core.tests.concurrency"
CLERKS = 12
JOBS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_url():
    """A database of its own on the suite's server, dropped afterwards (None: SQLite)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield None
        return
    import psycopg

    name = f"duban_scaleout_{uuid.uuid4().hex[:8]}"
    params = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    yield f"postgres://{auth}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(**params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(home: Path, url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"}
    env.update(
        DUBAN_HOME=str(home),
        DUBAN_SECRET_KEY="scale-out-test-" + "x" * 40,
        DUBAN_ALLOWED_HOSTS="127.0.0.1",
        DUBAN_REQUIRE_2FA="false",
        DUBAN_INLINE_JOBS="false",
        DUBAN_API_RATE_TOKEN="100000/minute",
        DUBAN_API_RATE_IP="100000/minute",
    )
    if url:
        env["DUBAN_DATABASE_URL"] = url
    return env


def _helper(env: dict[str, str], *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", HELPER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wait_for(url: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _post(url: str, key: str, body: dict, idem: str | None = None) -> tuple[int, dict, dict]:
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    if idem:
        headers["Idempotency-Key"] = idem
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode()[:500]}, dict(exc.headers)


def test_two_app_processes_and_two_workers_lose_nothing_and_run_nothing_twice(
    tmp_path, database_url
):
    env = _env(tmp_path / "home", database_url)
    _helper(env, "setup", str(CLERKS))
    _helper(env, "enqueue-marks", str(JOBS))
    clerks = _helper(env, "tokens")["clerks"]

    ports = [_free_port(), _free_port()]
    serve = [sys.executable, "-m", "duban", "serve", "--host", "127.0.0.1", "--workers", "1"]
    servers = [
        subprocess.Popen(
            [*serve, "--port", str(p)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for p in ports
    ]
    workers: list[subprocess.Popen] = []
    try:
        for p in ports:
            _wait_for(f"http://127.0.0.1:{p}/healthz")
        gate = tmp_path / "gate"
        gate.mkdir()
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", HELPER, "drain", str(gate)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        end = time.monotonic() + 60
        while len(list(gate.glob("ready-*"))) < 2 and time.monotonic() < end:
            time.sleep(0.05)
        (gate / "go").touch()  # both workers race for the same queue from here on

        def clerk(i: int) -> dict:
            c = clerks[i]
            first, second = (ports[i % 2], ports[(i + 1) % 2])
            idem = uuid.uuid4().hex
            body = {"percent": 10 + i, "progress": f"第{i}家单位本月进展"}
            path = f"/api/tasks/{c['task']}/report/"
            s1, r1, _h1 = _post(f"http://127.0.0.1:{first}{path}", c["key"], body, idem)
            # The clerk's line drops; the app retries on the other server with the same key.
            s2, r2, h2 = _post(f"http://127.0.0.1:{second}{path}", c["key"], body, idem)
            s3, r3, _h3 = _post(
                f"http://127.0.0.1:{second}/api/tasks/{c['task']}/comment/",
                c["key"],
                {"text": f"第{i}家单位的说明"},
            )
            return {
                "statuses": (s1, s2, s3),
                "ids": (r1.get("id"), r2.get("id")),
                "replayed": h2.get("Idempotent-Replayed"),
                "errors": [r for r in (r1, r2, r3) if "error" in r],
            }

        with ThreadPoolExecutor(max_workers=6) as pool:
            outcomes = list(pool.map(clerk, range(CLERKS)))
        ran = []
        for w in workers:
            out, err = w.communicate(timeout=180)
            assert w.returncode == 0, err[-2000:]
            ran.append(json.loads(out.strip().splitlines()[-1])["ran"])
    finally:
        for proc in servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in servers:
            proc.wait(timeout=30)
        for w in workers:
            if w.poll() is None:
                w.kill()

    assert [o["errors"] for o in outcomes] == [[]] * CLERKS
    assert [o["statuses"] for o in outcomes] == [(201, 201, 201)] * CLERKS
    assert all(o["ids"][0] == o["ids"][1] for o in outcomes)  # the retry got the first answer
    assert [o["replayed"] for o in outcomes] == ["true"] * CLERKS
    counts = _helper(env, "count")
    assert counts["reports"] == CLERKS  # none lost, none twice
    names = _helper(env, "marks")["names"]
    assert len(names) == JOBS and len(set(names)) == JOBS  # every job ran, and only once
    assert sum(ran) >= JOBS and all(r > 0 for r in ran)  # both workers took their share
