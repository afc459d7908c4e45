"""Writing uploads without leaving half a file behind when the disk fills up.

Django's ``FileSystemStorage`` streams an upload into its final name; when the disk (or a
quota) fills up mid-way it raises ``ENOSPC`` and leaves the truncated file there, and the
page answered with a server error. Here a write that fails removes what it wrote and a
full disk becomes :class:`~duban.core.errors.StorageFull`, whose message the pages and the
API show as it is. ``settings.STORAGES`` makes this the storage of every ``FileField``;
the views that stream an upload to a path of their own use :func:`write_upload`.

A file is written before the transaction that records it commits. A service that stores
files and then fails (a later check, the database refusing the commit) would leave them on
disk, referenced by nothing; :func:`removed_on_error` around such a service deletes the
files it saved when it raises.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

from duban.core.errors import StorageFull

#: No space left, quota exceeded, file larger than the account may write.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def storage_full() -> StorageFull:
    return StorageFull(
        _("服务器存储空间已满，文件没有保存，其他内容也未改动。请联系系统管理员清理磁盘后重试。"),
    )


def _discard(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


#: Files saved while a :func:`removed_on_error` service runs: (storage, name).
_saved: ContextVar[list[tuple[FileSystemStorage, str]] | None] = ContextVar(
    "duban_saved_files", default=None
)

F = TypeVar("F", bound=Callable[..., Any])


def removed_on_error(fn: F) -> F:
    """Delete the files ``fn`` saved through the storage when ``fn`` raises.

    Put it outside ``@transaction.atomic``, so that a failed commit counts too. A nested
    service's files join its caller's list when it succeeds, so the caller's failure
    removes them as well.
    """

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        mine: list[tuple[FileSystemStorage, str]] = []
        token = _saved.set(mine)
        try:
            result = fn(*args, **kwargs)
        except BaseException:
            for storage, name in mine:
                storage.delete(name)
            raise
        finally:
            _saved.reset(token)
        outer = _saved.get()
        if outer is not None:
            outer.extend(mine)
        return result

    return run  # type: ignore[return-value]


class UploadStorage(FileSystemStorage):
    """``FileSystemStorage`` that never leaves a partial file and names a full disk."""

    def _save(self, name: str, content: Any) -> str:
        full = self.path(name)
        existed = os.path.lexists(full)
        try:
            saved = super()._save(name, content)
        except FileExistsError:
            raise
        except OSError as exc:
            if not existed:  # ours: O_EXCL refuses to write into a file that was there
                _discard(full)
            if exc.errno in DISK_FULL:
                raise storage_full() from exc
            raise
        tracking = _saved.get()
        if tracking is not None:
            tracking.append((self, saved))
        return saved


def write_upload(path: Path, chunks: Iterable[bytes]) -> None:
    """Write an upload's chunks to ``path``; on any failure remove the partial file."""
    try:
        with path.open("xb") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except FileExistsError:
        raise
    except OSError as exc:
        _discard(path)
        if exc.errno in DISK_FULL:
            raise storage_full() from exc
        raise


def unreferenced_files(*, min_age_seconds: float = 3600) -> list[Path]:
    """Files in the folders of the models' file fields that no row names, oldest first.

    Such a file is what a process killed between writing an upload and committing its row
    leaves (docs/reliability.md). Files younger than ``min_age_seconds`` are left out: they
    may belong to a request still running, whose row is not committed yet. Only the file
    fields' own folders (``evidence/``, ``documents/``, ``bulletins/``) are looked at;
    ``uploads/`` holds the inputs of queued jobs, named by the jobs, not by rows.
    """
    import time

    from django.apps import apps
    from django.conf import settings
    from django.db import models

    root = Path(settings.MEDIA_ROOT)
    folders: set[str] = set()
    named: set[str] = set()
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, models.FileField) and isinstance(f.upload_to, str):
                folders.add(f.upload_to.split("/", 1)[0])
                names = model._default_manager.exclude(**{f.name: ""}).values_list(f.name)
                named.update(n for (n,) in names.iterator() if n)
    cutoff = time.time() - min_age_seconds
    found = []
    for folder in sorted(folders):
        for path in (root / folder).rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            if path.relative_to(root).as_posix() in named or path.stat().st_mtime > cutoff:
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime)
