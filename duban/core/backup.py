"""One-file backups of the database and the uploaded files, and their verified restore.

An archive is a ``.tar.gz`` holding ``manifest.json`` and the payload: ``database.sqlite3``
(taken with SQLite's online backup API, so the server may keep running) or
``database.pgdump`` (``pg_dump`` custom format), and ``media/…`` (uploads). The manifest lists
every payload file with its SHA-256 and size. :func:`restore` checks the whole archive against
the manifest *before* it touches anything, so a damaged or tampered archive changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, connections

from duban import __version__, conf
from duban.core import faults

FORMAT = "duban-backup/1"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator."""


@dataclass
class Manifest:
    data: dict[str, Any]

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return self.data["files"]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_env_args() -> tuple[dict[str, str], list[str]]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    args += ["-d", str(connection.settings_dict["NAME"])]
    return env, args


def _dump_database(workdir: Path) -> str:
    vendor = connection.vendor
    if vendor == "sqlite":
        target = workdir / "database.sqlite3"
        connection.ensure_connection()
        dst = sqlite3.connect(target)
        try:
            connection.connection.backup(dst)
        finally:
            dst.close()
        return target.name
    if vendor == "postgresql":
        target = workdir / "database.pgdump"
        env, args = _pg_env_args()
        cmd = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target)]
        result = subprocess.run(cmd + args, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump 失败 (pg_dump failed): {result.stderr.strip()[:500]}")
        return target.name
    raise BackupError(f"不支持备份此数据库类型 (unsupported database): {vendor}")


def backup(output: Path | None = None) -> Path:
    """Write an archive of the database and media; return its path."""
    media_root = Path(settings.MEDIA_ROOT)
    if output is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        output = conf.private_dir(Path(settings.DUBAN_HOME) / "backups") / f"duban-{stamp}.tar.gz"
    output = Path(output)
    output.parent.mkdir(mode=conf.PRIVATE_DIR, parents=True, exist_ok=True)
    _sweep_leftovers(output.parent)
    # The work folder (a full copy of the database) sits beside the archive, not in /tmp:
    # a backup killed with SIGKILL cannot clean up after itself, and the next backup into
    # this folder removes what it left (see _sweep_leftovers).
    with tempfile.TemporaryDirectory(
        prefix=f"{WORK_PREFIX}{os.getpid()}-", dir=output.parent
    ) as tmp:
        work = Path(tmp)
        db_name = _dump_database(work)
        files: dict[str, dict[str, Any]] = {}
        db_path = work / db_name
        files[db_name] = {"sha256": _sha256_file(db_path), "size": db_path.stat().st_size}
        media_files: list[tuple[str, Path]] = []
        if _local_storage():
            if media_root.exists():
                for path in sorted(media_root.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        arc = "media/" + path.relative_to(media_root).as_posix()
                        files[arc] = {"sha256": _sha256_file(path), "size": path.stat().st_size}
                        media_files.append((arc, path))
        else:
            # An object store: every object is fetched into the archive, so a backup is one
            # whole file whichever storage holds the uploads.
            for name in _stored_names():
                if not _safe_member("media/" + name):
                    continue
                local = work / "media" / name
                local.parent.mkdir(parents=True, exist_ok=True)
                with default_storage.open(name, "rb") as src, local.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
                arc = "media/" + name
                files[arc] = {"sha256": _sha256_file(local), "size": local.stat().st_size}
                media_files.append((arc, local))
        manifest = {
            "format": FORMAT,
            "duban_version": __version__,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": {"vendor": connection.vendor, "file": db_name},
            "files": files,
        }
        partial = output.with_name(f"{output.name}.{os.getpid()}{PARTIAL_SUFFIX}")
        with tarfile.open(partial, "w:gz") as tar:
            payload = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
            tar.add(db_path, arcname=db_name)
            faults.pause("backup.archive")  # fault tests: the archive is half written
            for arc, path in media_files:
                tar.add(path, arcname=arc)
        partial.chmod(conf.PRIVATE_FILE)  # the whole database: for the owner only
        os.replace(partial, output)  # never leave a half-written archive under the real name
    return output


WORK_PREFIX = ".duban-backup-"
PARTIAL_SUFFIX = ".partial"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another account's
        return True
    return True


def _sweep_leftovers(folder: Path) -> None:
    """Remove what a killed backup left in ``folder``: its work folder and partial archive.

    Both carry the writing process's id; only those of processes that are gone are
    removed, so two backups running at once never delete each other's files.
    """
    for path in folder.iterdir():
        name = path.name
        if name.startswith(WORK_PREFIX):
            pid = name[len(WORK_PREFIX) :].split("-", 1)[0]
        elif name.endswith(PARTIAL_SUFFIX):
            pid = name[: -len(PARTIAL_SUFFIX)].rsplit(".", 1)[-1]
        else:
            continue
        if not pid.isdigit() or _pid_alive(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name == p.as_posix()


_HEX = frozenset("0123456789abcdef")


def _check_manifest(manifest: Any) -> None:
    """Refuse, in one line, a manifest whose shape is not what :func:`backup` writes.

    Why: a hand-edited manifest (a list, a missing size, a database entry that names no
    file) used to crash ``restore`` with a traceback (issue 14).
    """

    def bad(what: str) -> BackupError:
        return BackupError(f"备份清单格式不正确 (malformed manifest): {what}")

    if not isinstance(manifest, dict):
        raise bad("不是 JSON 对象 (not an object)")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式 (unknown format): {str(manifest.get('format'))[:80]}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise bad("files 应为对象 (files must be an object)")
    for name, meta in files.items():
        if not (
            isinstance(meta, dict)
            and isinstance(meta.get("size"), int)
            and not isinstance(meta.get("size"), bool)
            and isinstance(meta.get("sha256"), str)
            and len(meta["sha256"]) == 64
            and set(meta["sha256"]) <= _HEX
        ):
            raise bad(f"{name[:80]} 缺少正确的 size / sha256 (bad size or sha256)")
    database = manifest.get("database")
    if not (
        isinstance(database, dict)
        and isinstance(database.get("vendor"), str)
        and database.get("file") in files
    ):
        raise bad("database 应指明数据库类型和清单中的文件 (bad database entry)")


def _check_complete(archive: Path) -> None:
    """Refuse an archive whose compressed stream stops before its end.

    Why: a backup killed half-way (or a copy cut short) leaves the manifest, written first,
    and possibly every file it lists; tarfile reads such a stream without complaint, and a
    cut archive was restored as if it were whole. gzip's trailer (length and CRC) is
    written only when the archive is closed, so reading to it proves the writer finished.
    """
    try:
        with gzip.open(archive, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except (EOFError, OSError, zlib.error) as exc:
        raise BackupError(
            f"备份文件不完整或已损坏，未恢复 (archive is incomplete or damaged): {exc}"
        ) from exc


def verify(archive: Path, into: Path) -> Manifest:
    """Extract ``archive`` into ``into`` and check it against its manifest.

    Raises :class:`BackupError` on any mismatch; touches nothing outside ``into``.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件 (no such archive): {archive}")
    _check_complete(archive)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            if "manifest.json" not in names:
                raise BackupError("备份文件缺少清单 manifest.json (no manifest): 文件已损坏")
            for m in members:
                if not m.isfile() or not _safe_member(m.name):
                    raise BackupError(f"备份文件含有不安全的条目 (unsafe entry): {m.name}")
            if len(names) != len(set(names)):
                raise BackupError("备份文件含有重复条目 (duplicate entries): 文件已被改动")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"备份文件已损坏，无法读取 (archive is damaged): {exc}") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError("备份清单无法解析 (manifest unreadable): 文件已损坏") from exc
    _check_manifest(manifest)
    listed = set(manifest.get("files", {}))
    present = {n for n in names if n != "manifest.json"}
    if listed != present:
        extra = sorted(present - listed)[:3]
        missing = sorted(listed - present)[:3]
        raise BackupError(
            f"备份内容与清单不符 (contents differ from manifest): 多出 {extra}，缺少 {missing}"
        )
    for name, meta in manifest["files"].items():
        path = into / name
        if path.stat().st_size != meta["size"] or _sha256_file(path) != meta["sha256"]:
            raise BackupError(f"校验失败，文件已被改动 (checksum mismatch): {name}")
    return Manifest(manifest)


def restore(archive: Path) -> Manifest:
    """Replace the database and media with the archive's, after verifying all of it."""
    with tempfile.TemporaryDirectory(prefix="duban-restore-") as tmp:
        work = Path(tmp)
        manifest = verify(archive, work)
        vendor = manifest.data["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(
                f"备份来自 {vendor} 数据库，当前为 {connection.vendor}，不能直接恢复 "
                "(archive is from another database kind)"
            )
        db_file = work / manifest.data["database"]["file"]
        _check_database(db_file)
        _restore_database(db_file)
        _restore_media(work / "media")
    return manifest


def _check_database(db_file: Path) -> None:
    """Refuse a database file that is not sound, before anything is replaced.

    The manifest only proves the archive is what its writer meant; someone who rewrote a
    page and recomputed the checksums passes it (issue 14). SQLite checks every page
    (``PRAGMA integrity_check``); for PostgreSQL ``pg_restore --list`` must read the dump.
    """
    if connection.vendor == "sqlite":
        try:
            db = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
            try:
                rows = db.execute("PRAGMA integrity_check(5)").fetchall()
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"备份中的数据库已损坏，未恢复 (database is damaged): {exc}") from exc
        if rows != [("ok",)]:
            first = "; ".join(str(r[0]) for r in rows)[:300]
            raise BackupError(f"备份中的数据库未通过完整性检查，未恢复 (integrity check): {first}")
        return
    result = subprocess.run(
        ["pg_restore", "--list", str(db_file)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(
            f"备份中的数据库无法读取，未恢复 (pg_restore --list failed): {result.stderr.strip()[:300]}"
        )


def _restore_database(db_file: Path) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        src = sqlite3.connect(db_file)
        try:
            # The backup API copies page by page inside one lock: readers see the old or the
            # new database, never a mix.
            src.backup(connection.connection)
        finally:
            src.close()
        return
    env, args = _pg_env_args()
    connections.close_all()
    cmd = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    result = subprocess.run(cmd + args + [str(db_file)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未改动 (nothing changed): {result.stderr[:500]}")


def _make_private(root: Path) -> None:
    """0700 folders and 0600 files, whatever modes an (older) archive carried."""
    root.chmod(conf.PRIVATE_DIR)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            Path(folder, name).chmod(conf.PRIVATE_DIR)
        for name in files:
            Path(folder, name).chmod(conf.PRIVATE_FILE)


def _local_storage() -> bool:
    """Whether uploads live in MEDIA_ROOT (else in an object store, DUBAN_S3_BUCKET)."""
    from django.core.files.storage import FileSystemStorage

    return isinstance(default_storage, FileSystemStorage)


def _stored_names(folder: str = "") -> list[str]:
    """Every file name in the default storage, depth first, in a stable order."""
    dirs, names = default_storage.listdir(folder)
    prefix = f"{folder}/" if folder else ""
    out = [prefix + n for n in sorted(names)]
    for d in sorted(dirs):
        out.extend(_stored_names(prefix + d))
    return out


def _restore_media_to_storage(source: Path) -> None:
    """Put every archived file back into the object store under its own name.

    Objects that are not in the archive stay: after a restore nothing refers to them, and
    an object store keeps its own versions for anyone who wants them removed.
    """
    if not source.exists():
        return
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.relative_to(source).as_posix()
        default_storage.delete(name)
        with path.open("rb") as fh:
            stored = default_storage.save(name, File(fh, name=name))
        if stored != name:
            raise BackupError(f"无法按原名恢复文件 (could not restore {name!r})")


def _restore_media(source: Path) -> None:
    if not _local_storage():
        _restore_media_to_storage(source)
        return
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staged = media_root.with_name(media_root.name + ".restoring")
    old = media_root.with_name(media_root.name + ".old")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    if source.exists():
        shutil.copytree(source, staged)
    else:
        staged.mkdir()
    _make_private(staged)
    if media_root.exists():
        media_root.rename(old)
    staged.rename(media_root)
    shutil.rmtree(old, ignore_errors=True)
