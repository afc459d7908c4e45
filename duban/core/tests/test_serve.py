"""``duban serve`` really serves: several gunicorn worker processes on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from duban.server import default_workers

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def test_serve_runs_two_worker_processes_and_answers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"}
    env.update(DUBAN_HOME=str(tmp_path), DUBAN_SECRET_KEY="serve-test")
    duban = [sys.executable, "-m", "duban"]
    subprocess.run([*duban, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [*duban, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, ""
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200 and "登录" in body
        status, health = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and '"ok"' in health
        # Both workers are up (gunicorn starts them together) and are the master's children.
        deadline = time.monotonic() + 20
        while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(_children(server.pid)) == 2
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=40)
    assert server.returncode == 0, out[-2000:]
    assert f"http://127.0.0.1:{port}/ (2 processes × 2 threads)" in out


def test_the_default_is_one_worker_per_core():
    assert default_workers() == len(os.sched_getaffinity(0))
