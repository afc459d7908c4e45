"""``duban manage orphan_files``: which files it counts as left behind, in-process.

The kill test (``test_kill_server.py``) makes a real orphan; this pins the rules: only the
file fields' folders, never a file a row names, never ``uploads/``, never a young file.
"""

from __future__ import annotations

import os
import time

import pytest
from django.core.management import call_command

from duban.core.storage import unreferenced_files
from duban.supervision.models import Evidence

pytestmark = pytest.mark.django_db


def _write(root, name: str, age: float = 7200):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_only_old_files_no_row_names_in_the_file_folders(media_root, capsys):
    named = _write(media_root, "evidence/2026/03/named.jpg")
    Evidence.objects.create(file="evidence/2026/03/named.jpg", name="named.jpg", sha256="0" * 64)
    orphan = _write(media_root, "evidence/2026/03/orphan.jpg")
    _write(media_root, "evidence/2026/03/young.jpg", age=60)
    _write(media_root, "uploads/queued.xlsx")  # a queued job's input
    assert unreferenced_files() == [orphan]
    assert sorted(p.name for p in unreferenced_files(min_age_seconds=0)) == [
        "orphan.jpg",
        "young.jpg",
    ]
    call_command("orphan_files", "--delete")
    assert capsys.readouterr().out.split() == ["evidence/2026/03/orphan.jpg"]
    assert not orphan.exists() and named.exists()
    assert (media_root / "evidence/2026/03/young.jpg").exists()
    assert (media_root / "uploads/queued.xlsx").exists()
