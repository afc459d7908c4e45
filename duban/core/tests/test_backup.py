"""Backup → wipe → restore gives identical rows and files; a damaged archive changes nothing."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from duban.core.backup import BackupError, backup, restore
from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.plans.models import Assignment, Plan, Task
from duban.supervision.models import Evidence, ProgressReport

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = [Unit, Plan, Task, Assignment, ProgressReport, Evidence, AuditEntry]


def rows() -> dict[str, list[dict]]:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def populated(media_root):
    unit = Unit.objects.create(name="市商务局", kind="government")
    plan = Plan.objects.create(title="备份测试方案", year=2026)
    task = Task.objects.create(plan=plan, code="1.1", text="促进消费扩容提质")
    Assignment.objects.create(task=task, lead_unit=unit)
    report = ProgressReport.objects.create(
        task=task,
        unit=unit,
        period_start="2026-03-01",
        period_end="2026-03-31",
        due_date="2026-03-25",
        progress="已完成方案制定",
        percent=30,
    )
    ev = Evidence(report=report, name="佐证.pdf", sha256="0" * 64, size=11)
    ev.file.save("佐证.pdf", ContentFile(b"%PDF-1.4 ok"), save=True)
    return task


def test_backup_wipe_restore_gives_identical_rows_and_files(populated, media_root, tmp_path):
    expected_rows = rows()
    expected_files = files(media_root)
    assert expected_files, "the fixture stores an evidence file"

    archive = backup(tmp_path / "b.tar.gz")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert any(name.startswith("media/evidence/") for name in manifest["files"])

    # Wipe: the plan and its tasks, a unit edit, and the files.
    Plan.objects.get(pk=populated.plan_id).delete()
    unit = Unit.objects.get(name="市商务局")
    unit.short_name = "改过"
    unit.save()
    for p in media_root.rglob("*"):
        if p.is_file():
            p.unlink()
    assert rows() != expected_rows

    restore(archive)
    assert rows() == expected_rows
    assert files(media_root) == expected_files


def _tamper(archive: Path, out: Path, member_prefix: str) -> Path:
    """Rewrite the archive with one byte changed in the first member matching the prefix."""
    with tarfile.open(archive) as src, tarfile.open(out, "w:gz") as dst:
        done = False
        for m in src.getmembers():
            data = src.extractfile(m).read()
            if not done and m.name.startswith(member_prefix):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
                done = True
            info = tarfile.TarInfo(m.name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    assert done
    return out


@pytest.mark.parametrize("member", ["database.", "media/"])
def test_a_tampered_archive_is_refused_with_nothing_changed(
    populated, media_root, tmp_path, member
):
    archive = backup(tmp_path / "b.tar.gz")
    bad = _tamper(archive, tmp_path / "bad.tar.gz", member)
    Task.objects.filter(pk=populated.pk).update(text="备份之后的修改")
    before_rows, before_files = rows(), files(media_root)

    with pytest.raises(BackupError, match="校验失败"):
        restore(bad)
    assert rows() == before_rows
    assert files(media_root) == before_files


def test_a_truncated_or_foreign_archive_is_refused(populated, tmp_path, media_root):
    archive = backup(tmp_path / "b.tar.gz")
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    before = rows()
    with pytest.raises(BackupError, match="已损坏"):
        restore(truncated)
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info = tarfile.TarInfo("../../etc/evil")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BackupError, match=r"不安全|清单"):
        restore(foreign)
    assert rows() == before
