"""PostgreSQL restarted under load: requests fail with a sentence, then the service recovers.

The test starts a PostgreSQL cluster of its own (so it can stop it without disturbing the
suite's server), runs ``duban serve`` on it and sends API and page requests in a loop.
It stops the database (``pg_ctl stop -m fast``, as for a restart), keeps sending until
several requests have met the outage, and starts it again. While the database is down
every answer must be a 503: in the API's error shape (code ``unavailable``) or as a page,
each with a Chinese sentence and never a traceback. Once it is back the same server,
not restarted, must answer 200 again by itself (Django's ``CONN_HEALTH_CHECKS`` drops the
dead connections) and accept a report.

It needs PostgreSQL, so it runs in the PostgreSQL pass of ``make test`` (the suite run with
``DUBAN_DATABASE_URL``) and skips, saying so, in the SQLite pass. In the PostgreSQL pass
missing server programs are a failure, not a skip.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from duban.tests_faults.harness import (
    Cluster,
    Site,
    base_env,
    free_port,
    request,
    wait_for_http,
    wait_until,
)

# It starts its own throwaway cluster, so it runs in both passes and fails (never skips)
# when PostgreSQL's server programs are missing.
pytestmark = [pytest.mark.slow]

OUTAGE_MESSAGE = "数据库暂时无法连接"


class Load(threading.Thread):
    """API and page requests in a loop, each recorded with the phase it started in."""

    def __init__(self, port: int, seed: dict) -> None:
        super().__init__(daemon=True)
        self.port, self.seed = port, seed
        self.phase = "before"
        self.results: list[dict] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        auth = {"Authorization": f"Token {self.seed['token']}"}
        targets = [("api", "/api/tasks/", auth), ("page", f"/public/{self.seed['plan']}/", {})]
        n = 0
        while not self.stopped.is_set():
            kind, path, headers = targets[n % 2]
            n += 1
            phase = self.phase
            try:
                status, got, body = request(self.port, "GET", path, headers=headers, timeout=15)
                text = body.decode("utf-8", "replace")
            except OSError as exc:  # the server itself must never drop a request
                status, got, text = 0, {}, repr(exc)
            self.results.append(
                {"phase": phase, "kind": kind, "status": status, "headers": got, "body": text}
            )
            time.sleep(0.03)

    def count(self, phase: str, status: int | None = None) -> int:
        return sum(
            1
            for r in list(self.results)
            if r["phase"] == phase and (status is None or r["status"] == status)
        )


def test_requests_fail_clearly_while_postgresql_restarts_and_then_recover(tmp_path):
    cluster = Cluster()
    server = None
    load = None
    try:
        home = tmp_path / "home"
        home.mkdir(mode=0o700)
        site = Site(home, base_env(home, cluster.url), tmp_path)
        site.env.update(DUBAN_API_RATE_TOKEN="100000/minute", DUBAN_API_RATE_IP="100000/minute")
        site.duban("migrate")
        seed = site.ctl("seed")
        port = free_port()
        server = site.start("serve", "--port", str(port), "--workers", "1", "--threads", "4")
        wait_for_http(port, server)

        load = Load(port, seed)
        load.start()
        wait_until(lambda: load.count("before", 200) >= 6, 30, "requests before the restart")
        cluster.stop()
        load.phase = "down"
        wait_until(
            lambda: (
                sum(load.count("down", s) for s in (0, 500, 503)) >= 6
                and {r["kind"] for r in load.results if r["phase"] == "down"} == {"api", "page"}
            ),
            30,
            "requests during the outage",
        )
        report = {
            "fields": {"percent": "50", "progress": "数据库重启后报送"},
            "headers": {"Authorization": f"Token {seed['token']}", "Idempotency-Key": "pg-1"},
        }
        path = f"/api/tasks/{seed['task']}/report/"
        status, _headers, body = request(port, "POST", path, **report)
        assert status == 503, body  # a write during the outage: refused in a sentence
        assert json.loads(body)["error"]["code"] == "unavailable"
        load.phase = "restarting"  # either answer is right while it starts
        cluster.start()
        load.phase = "after"
        wait_until(lambda: load.count("after", 200) >= 6, 30, "the service to recover")
        load.stopped.set()
        load.join(timeout=20)

        down = [r for r in load.results if r["phase"] == "down"]
        assert down and all(r["status"] == 503 for r in down), [
            (r["status"], r["body"][:200]) for r in down if r["status"] != 503
        ]
        for r in down:
            assert "Traceback" not in r["body"]
            assert r["headers"].get("Retry-After") == "30"
            if r["kind"] == "api":
                error = json.loads(r["body"])["error"]
                assert error["code"] == "unavailable" and OUTAGE_MESSAGE in error["message"]
            else:
                assert OUTAGE_MESSAGE in r["body"] and "服务暂时不可用" in r["body"]
        starting = {r["status"] for r in load.results if r["phase"] == "restarting"}
        assert starting <= {200, 503}
        after = [r for r in load.results if r["phase"] == "after"]
        # Once PostgreSQL accepts connections again, every request succeeds.
        assert [r["status"] for r in after] == [200] * len(after)
        assert server.poll() is None  # the same server, never restarted

        status, headers, body = request(port, "POST", path, **report)
        assert status == 201, body  # the same request again: filed now, not a replay
        assert "Idempotent-Replayed" not in headers
    finally:
        if load is not None:
            load.stopped.set()
        if server is not None and server.poll() is None:
            from duban.tests_faults.harness import kill9

            kill9(server)
        cluster.destroy()
