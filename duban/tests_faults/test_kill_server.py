"""kill -9 of ``duban serve`` in the middle of a report submission with an attachment.

A clerk sends a progress report with an evidence file through the API. The server is
stopped with SIGKILL (master and workers) after the report row and the evidence file are
written and before the transaction commits (fault point ``report.commit``). Afterwards the
report exists whole with its file or not at all: here not at all, since nothing was
committed. The evidence file already on disk is left behind, referenced by nothing; it
must break nothing: the clerk's retry (same Idempotency-Key) files the report with its own
file, the next backup succeeds, and ``duban manage orphan_files`` finds the orphan (and
removes it with ``--delete``).
"""

from __future__ import annotations

import json
import threading

import pytest

from duban.tests_faults.harness import free_port, kill9, request, wait_for_http

pytestmark = pytest.mark.slow

EVIDENCE = ("照片.jpg", bytes(range(256)) * 800)  # 200 KB


def _submit(port: int, seed: dict, outcome: list) -> None:
    try:
        outcome.append(
            request(
                port,
                "POST",
                f"/api/tasks/{seed['task']}/report/",
                fields={"percent": "40", "progress": "完成项目签约三个"},
                files={"files": EVIDENCE},
                headers={"Authorization": f"Token {seed['token']}", "Idempotency-Key": "r-1"},
            )
        )
    except OSError as exc:  # the server died under the request
        outcome.append(exc)


def test_a_server_killed_mid_submission_leaves_no_half_report(site):
    seed = site.ctl("seed")
    port = free_port()
    serve = ["serve", "--port", str(port), "--workers", "1", "--threads", "2"]
    server = site.start(*serve, DUBAN_FAULT_POINT="report.commit")
    wait_for_http(port, server)
    outcome: list = []
    client = threading.Thread(target=_submit, args=(port, seed, outcome))
    client.start()
    site.wait_for_point("report.commit", server)
    written = [p for p in (site.media / "evidence").rglob("*") if p.is_file()]
    assert len(written) == 1  # the file is on disk, its row not yet committed
    kill9(server)
    client.join(timeout=20)
    assert isinstance(outcome[0], OSError)  # the clerk saw the connection drop

    after = site.ctl("state", "-")
    assert after["reports"] == [] and after["evidence"] == []
    assert after["files"] == [written[0].relative_to(site.media).as_posix()]

    server = site.start(*serve)
    wait_for_http(port, server)
    _submit(port, seed, outcome)
    status, _headers, body = outcome[1]
    assert status == 201, body
    assert "Idempotent-Replayed" not in _headers  # nothing was stored under the key
    report = json.loads(body)
    assert report["percent"] == 40
    kill9(server)

    final = site.ctl("state", "-")
    assert final["reports"] == ["完成项目签约三个"]
    [evidence] = final["evidence"]
    assert evidence["whole"] and evidence["report"] == report["id"]
    assert evidence["file"] != after["files"][0]  # its own file, not the orphan
    site.duban("backup", "-o", str(site.home / "backups" / "after.tar.gz"))

    # The operator's tool finds the orphan, and only it, and removes it.
    orphan = after["files"][0]
    removed = site.duban("manage", "orphan_files", "--min-age", "0", "--delete")
    assert removed.stdout.split() == [orphan]
    cleaned = site.ctl("state", "-")
    assert cleaned["files"] == [evidence["file"]] and cleaned["evidence"][0]["whole"]
