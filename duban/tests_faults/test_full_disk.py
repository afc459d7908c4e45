"""A disk that fills up during an upload: a clear message, nothing half-written, nothing lost.

The media folder is a real 2 MB filesystem (tmpfs, mounted for the test), so the kernel
answers ``ENOSPC`` part-way through writing the file, as a full disk does. Before, Django's
storage left the truncated file in place and the clerk got a server error page. Where
mounting is not allowed the same test runs under a 2 MB RLIMIT_FSIZE instead (EFBIG), with
a warning that says so.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import warnings

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from duban.core.models import Job
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision.models import Evidence, ProgressReport

BIG = 3 * 1024 * 1024  # larger than the whole filesystem, under the 5 MB in-memory limit
REPORT = "/desk/report/{task}/?period_end=2026-03-13"


@pytest.fixture
def small_disk(world, tmp_path, settings):
    """MEDIA_ROOT on a 2 MB tmpfs, so that writing past 2 MB fails with ENOSPC.

    Mounting needs root with the right to mount (CI runs as root, .ci/run). Where that is
    refused, the test still runs on a real limit: RLIMIT_FSIZE of 2 MB on this process,
    under which the kernel refuses the write with EFBIG ("file too large", what a quota or
    a size limit gives) instead of ENOSPC. The fallback is said, not silent.
    """
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
            capture_output=True,
        ).returncode
        == 0
    )
    settings.MEDIA_ROOT = mount
    if mounted:
        yield mount
        subprocess.run(["umount", "-l", str(mount)], check=True)
        return
    warnings.warn("cannot mount a tmpfs here: the full disk is RLIMIT_FSIZE (EFBIG)", stacklevel=1)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a signal
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024 * 1024, hard))
    try:
        yield mount
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def _files(root) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _report(client, task, progress: str, data: bytes, name: str):
    return client.post(
        REPORT.format(task=task.pk),
        {
            "progress": progress,
            "percent": "30",
            "files": [SimpleUploadedFile(name, data, content_type="image/jpeg")],
        },
    )


def test_a_full_disk_during_an_upload_says_so_and_keeps_what_was_there(world, small_disk):
    task = world["task"]
    clerk = client_for(world, "clerk")
    first = _report(clerk, task, "完成选址", b"\xff\xd8" + os.urandom(400_000), "选址.jpg")
    assert first.status_code == 302
    before = _files(small_disk)
    assert len(before) == 1

    # The page: the same period again with a file the disk cannot hold.
    r = _report(clerk, task, "完成立项和设计招标", os.urandom(BIG), "现场.jpg")
    assert r.status_code == 507
    html = r.content.decode()
    assert "服务器存储空间已满，文件没有保存" in html
    assert "完成立项和设计招标" in html  # the typed text is still in the form
    assert _files(small_disk) == before  # no truncated file, the first one intact
    report = ProgressReport.objects.get(task=task)
    assert report.progress == "完成选址"  # the report was not changed either
    assert Evidence.objects.count() == 1

    # The API: the same, in the API's error shape.
    r = clerk.post(
        f"/api/tasks/{task.pk}/report/",
        {
            "percent": "40",
            "progress": "接口报送",
            "files": [SimpleUploadedFile("a.bin", os.urandom(BIG))],
        },
    )
    assert r.status_code == 507
    assert r.json()["error"]["code"] == "storage_full"
    assert "存储空间已满" in r.json()["error"]["message"]
    assert _files(small_disk) == before
    assert list(ProgressReport.objects.values_list("progress", flat=True)) == ["完成选址"]

    # An office upload that streams to a path of its own: a 507 page, no file, no job.
    office = Client(raise_request_exception=False)
    office.force_login(world["people"]["office"])
    jobs_before = Job.objects.count()
    r = office.post(
        "/documents/",
        {
            "title": "大文件",
            "file": SimpleUploadedFile("报告.txt", "政府工作报告".encode() * 200_000),
        },
    )
    assert r.status_code == 507
    assert "存储空间不足" in r.content.decode() and "文件没有保存" in r.content.decode()
    assert _files(small_disk) == before
    assert Job.objects.count() == jobs_before

    # Once there is room again (a smaller file fits), reporting works as before.
    r = _report(clerk, task, "完成立项", os.urandom(200_000), "立项.jpg")
    assert r.status_code == 302
    assert Evidence.objects.count() == 2
