"""Class 6: nothing in DUBAN_HOME is readable by another local account.

The probe found the database and backups at 0644 and media folders at 0755, and read the
API tokens from a copied database. Files are now created private (umask 077 and explicit
modes), and a start-up check warns about any that are not.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from duban import conf
from duban.core.backup import backup, restore
from duban.core.checks import data_folder_is_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    """The usual 022, as if the server had been started by a shell that never set one."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_process_creates_private_files():
    current = os.umask(0o077)
    os.umask(current)
    assert current == 0o077  # set by the settings, before anything is written


def test_duban_home_is_created_private_and_an_open_one_is_closed(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_HOME", str(tmp_path / "new" / "home"))
    assert mode(conf.home()) == 0o700
    opened = tmp_path / "old"
    opened.mkdir(mode=0o755)
    opened.chmod(0o755)
    monkeypatch.setenv("DUBAN_HOME", str(opened))
    assert mode(conf.home()) == 0o700


def test_a_new_sqlite_database_is_0600(tmp_path):
    db = tmp_path / "duban.sqlite3"
    sqlite3.connect(db).execute("create table t (x)").connection.close()
    assert mode(db) == 0o600


def test_uploads_are_0600_in_0700_folders(tmp_path, settings, loose_umask):
    storage = FileSystemStorage(location=tmp_path / "media")
    name = storage.save("evidence/2026/03/证明.pdf", ContentFile(b"%PDF-1.4"))
    assert mode(tmp_path / "media" / name) == 0o600
    assert mode(tmp_path / "media" / "evidence" / "2026") == 0o700
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600


@pytest.mark.django_db(transaction=True)
def test_backups_and_restored_media_are_private(tmp_path, settings, loose_umask):
    settings.DUBAN_HOME = tmp_path / "home"
    settings.MEDIA_ROOT = tmp_path / "home" / "media"
    (tmp_path / "home" / "media" / "evidence").mkdir(parents=True, mode=0o755)
    old = tmp_path / "home" / "media" / "evidence" / "old.txt"
    old.write_bytes(b"written by an older version")
    old.chmod(0o644)
    archive = backup()
    assert archive.parent == tmp_path / "home" / "backups"
    assert mode(archive.parent) == 0o700 and mode(archive) == 0o600
    restore(archive)
    assert mode(settings.MEDIA_ROOT / "evidence") == 0o700
    assert mode(settings.MEDIA_ROOT / "evidence" / "old.txt") == 0o600


def test_the_start_up_check_names_what_others_can_read(tmp_path, settings):
    settings.DUBAN_HOME = tmp_path
    tmp_path.chmod(0o700)
    (tmp_path / "backups").mkdir(mode=0o700)
    copied = tmp_path / "backups" / "copied-in.tar.gz"
    copied.write_bytes(b"x")
    copied.chmod(0o644)
    [warning] = data_folder_is_private()
    assert warning.id == "duban.W001" and "copied-in.tar.gz (0644)" in warning.msg
    assert warning.hint == f"chmod -R go-rwx {tmp_path}"
    copied.chmod(0o600)
    assert data_folder_is_private() == []


def test_serve_prints_the_warning_before_it_listens(tmp_path, settings):
    from duban.cli import startup_warnings

    settings.DUBAN_HOME = tmp_path
    tmp_path.chmod(0o755)
    [line] = startup_warnings()
    assert line.startswith("warning duban.W001:") and f"{tmp_path} (0755)" in line
    tmp_path.chmod(0o700)
    assert startup_warnings() == []
