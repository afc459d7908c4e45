"""kill -9 of ``duban worker`` in the middle of a task-book import's commit.

The worker is stopped with SIGKILL after it has inserted every task of the import and
before it commits (fault point ``taskbook.commit``). Nothing of the import may be left in
the database, the uploaded book must still be there, and a new worker must take the job
over once its lease has run out and import the whole book once.
"""

from __future__ import annotations

import pytest

from duban.tests_faults.harness import kill9, wait_until

pytestmark = pytest.mark.slow

TITLE = "断电测试任务分解表"
ROWS = 120


def _book(path):
    lines = ["序号,工作任务,牵头单位,配合单位,完成时限"]
    lines += [
        f"{i},推进第{i}项重点工作,市商务局,市财政局,2026年12月底前" for i in range(1, ROWS + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_worker_killed_mid_commit_leaves_nothing_and_the_job_resumes(site, tmp_path):
    site.ctl("seed")
    queued = site.ctl("enqueue-import", str(_book(tmp_path / "book.csv")), TITLE)
    upload = site.media / "uploads" / queued["upload"]

    first = site.start("worker", "--poll", "0.2", DUBAN_FAULT_POINT="taskbook.commit")
    site.wait_for_point("taskbook.commit", first)
    kill9(first)

    after_kill = site.ctl("state", TITLE)
    assert (after_kill["plans"], after_kill["tasks"], after_kill["assignments"]) == (0, 0, 0)
    assert after_kill["imported_events"] == 0
    [job] = after_kill["jobs"]
    assert (job["status"], job["attempts"]) == ("running", 1)  # claimed, never recorded
    assert upload.is_file()  # kept for the retry

    second = site.start("worker", "--poll", "0.2")
    done = wait_until(
        lambda: (s := site.ctl("state", TITLE))["jobs"][0]["status"] == "done" and s,
        timeout=40,
        what="the second worker to finish the import",
    )
    kill9(second)
    assert (done["plans"], done["tasks"], done["assignments"]) == (1, ROWS, ROWS)
    assert done["imported_events"] == 1
    assert done["jobs"][0]["attempts"] == 2
    assert not upload.exists()  # deleted once the import committed
