"""kill -9 of ``duban backup`` half-way through writing its archive.

The backup is stopped with SIGKILL once the database is in the archive and before the
uploads are (fault point ``backup.archive``). The earlier backup must be untouched, no
archive may appear under the name asked for, ``duban restore`` must refuse the partial
file in one line without changing anything, and the next backup must clear what the
killed one left (its partial archive and the work folder holding a copy of the database).
"""

from __future__ import annotations

import hashlib

import pytest

from duban.tests_faults.harness import kill9

pytestmark = pytest.mark.slow


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_killed_backup_leaves_earlier_ones_intact_and_is_never_restored(site, tmp_path):
    site.ctl("seed")
    backups = site.home / "backups"
    good = backups / "good.tar.gz"
    site.duban("backup", "-o", str(good))
    good_sha = _sha(good)
    # A change after the good backup: a refused restore must leave it in place.
    book = tmp_path / "book.csv"
    book.write_text("序号,工作任务,牵头单位\n1,备份之后的任务,市商务局\n", encoding="utf-8")
    site.ctl("enqueue-import", str(book), "备份之后")
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    target = backups / "next.tar.gz"
    killed = site.start(
        "backup", "-o", str(target), DUBAN_FAULT_POINT="backup.archive", TMPDIR=str(tmp)
    )
    site.wait_for_point("backup.archive", killed)
    kill9(killed)

    assert _sha(good) == good_sha
    assert not target.exists()
    [partial] = [p for p in backups.iterdir() if p.name.endswith(".partial")]
    assert list(tmp.iterdir()) == []  # no copy of the database left in the temp folder

    refused = site.duban("restore", "--yes", str(partial), check=False)
    assert refused.returncode == 1
    lines = (refused.stdout + refused.stderr).strip().splitlines()
    # Cut mid-stream, or empty when the killed process had not flushed its buffer yet.
    assert len(lines) == 1 and lines[0].startswith("Error: 备份文件"), lines
    assert "损坏" in lines[0]
    assert len(site.ctl("state", "备份之后")["jobs"]) == 1  # nothing was replaced

    # The next backup clears what the killed one left, and the good one still restores.
    site.duban("backup", "-o", str(target))
    assert sorted(p.name for p in backups.iterdir()) == ["good.tar.gz", "next.tar.gz"]
    site.duban("restore", "--yes", str(good))
    assert site.ctl("state", "备份之后")["jobs"] == []


@pytest.mark.django_db(transaction=True)
def test_an_archive_cut_anywhere_is_refused(tmp_path, media_root):
    """However much of the archive was written, only the whole one restores.

    Cut just before gzip's 8-byte trailer, every file the manifest lists is still there
    with the right checksum; such an archive used to restore as if it were whole.
    """
    from duban.core.backup import BackupError, backup, restore
    from duban.plans.models import Plan

    Plan.objects.create(title="备份之前", year=2026)
    data = backup(tmp_path / "whole.tar.gz").read_bytes()
    Plan.objects.create(title="备份之后", year=2026)
    for keep in (len(data) // 3, len(data) - 100, len(data) - 8, len(data) - 1):
        cut = tmp_path / f"cut-{keep}.tar.gz"
        cut.write_bytes(data[:keep])
        with pytest.raises(BackupError, match=r"damaged|incomplete"):
            restore(cut)
        assert Plan.objects.filter(title="备份之后").exists()
    restore(tmp_path / "whole.tar.gz")
    assert not Plan.objects.filter(title="备份之后").exists()
