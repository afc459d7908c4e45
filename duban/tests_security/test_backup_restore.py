"""Classes 7 and 8: restore checks the database itself, and refuses a bad manifest in a line.

The probe rewrote a page of the backed-up SQLite file, recomputed the manifest's checksums,
and restore swapped the damaged database in; ``/healthz`` still said ok. A hand-edited
manifest crashed ``restore`` with a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.db import connection

from duban.cli import main
from duban.core.backup import BackupError, backup, restore
from duban.plans.models import Plan, Task

pytestmark = pytest.mark.django_db(transaction=True)


def _members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _write(out: Path, members: dict[str, bytes], manifest: object | None = None) -> Path:
    """An archive of ``members`` whose manifest is ``manifest``, or recomputed to match."""
    if manifest is None:
        manifest = json.loads(members["manifest.json"])
        for name, data in members.items():
            if name != "manifest.json":
                manifest["files"][name] = {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                }
    members = {**members, "manifest.json": json.dumps(manifest).encode()}
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


@pytest.fixture
def archive(tmp_path, media_root):
    plan = Plan.objects.create(title="备份方案", year=2026)
    for i in range(400):  # enough rows for several b-tree pages
        Task.objects.create(plan=plan, code=f"1.{i}", text="促进消费扩容提质" * 20)
    return backup(tmp_path / "good.tar.gz")


def _damaged_database(data: bytes) -> bytes:
    if connection.vendor == "sqlite":
        import sqlite3
        import tempfile

        page = int.from_bytes(data[16:18], "big") or 65536
        # Scribble over the root page of the task table: the file still opens, and the
        # check fails whatever else the database holds (a page picked by position may be
        # a free page when other tests have grown the file).
        with tempfile.NamedTemporaryFile(suffix=".sqlite3") as f:
            f.write(data)
            f.flush()
            db = sqlite3.connect(f.name)
            (root,) = db.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'plans_task'"
            ).fetchone()
            db.close()
        start = (root - 1) * page
        return (
            data[:start] + bytes([0x0D, 0x00, 0xFF]) * (page // 3) + data[start + page // 3 * 3 :]
        )
    return b"PGDMP" + b"\x00\xff" * 4000  # not a dump pg_restore can list


def test_a_damaged_database_with_recomputed_checksums_is_refused(archive, tmp_path):
    members = _members(archive)
    name = next(n for n in members if n.startswith("database."))
    members[name] = _damaged_database(members[name])
    bad = _write(tmp_path / "bad.tar.gz", members)
    Task.objects.filter(code="1.1").update(text="恢复之前的修改")
    with pytest.raises(BackupError, match="未恢复"):
        restore(bad)
    assert Task.objects.get(code="1.1").text == "恢复之前的修改"
    assert Task.objects.count() == 400
    assert restore(archive)  # the good archive still restores


GOOD_SHA = "0" * 64


@pytest.mark.parametrize(
    "manifest",
    [
        [],
        "duban-backup/1",
        {"format": "duban-backup/1"},
        {"format": "duban-backup/1", "files": []},
        {"format": "duban-backup/1", "files": {"database.sqlite3": {"sha256": GOOD_SHA}}},
        {"format": "duban-backup/1", "files": {"database.sqlite3": {"size": "9", "sha256": "x"}}},
        {"format": "duban-backup/1", "files": {"database.sqlite3": None}},
        {"format": ["x"], "files": {}},
    ],
)
def test_a_malformed_manifest_is_a_one_line_refusal(archive, tmp_path, manifest):
    members = _members(archive)
    bad = _write(tmp_path / "bad.tar.gz", members, manifest)
    with pytest.raises(BackupError, match=r"manifest|format"):
        restore(bad)
    result = CliRunner().invoke(main, ["restore", "--yes", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert len(result.output.strip().splitlines()) == 1 and "Error:" in result.output


def test_a_manifest_whose_database_entry_names_no_file_is_refused(archive, tmp_path):
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    manifest["database"] = {"vendor": connection.vendor, "file": "elsewhere.sqlite3"}
    bad = _write(tmp_path / "bad.tar.gz", members, manifest)
    with pytest.raises(BackupError, match="database"):
        restore(bad)
    del manifest["database"]
    with pytest.raises(BackupError, match="database"):
        restore(_write(tmp_path / "bad2.tar.gz", members, manifest))
