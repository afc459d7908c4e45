"""Files waiting for a second step: an upload the worker will read, a task book between its
mapping and its commit, a report sheet between its check and its confirmation.

They go through Django's storage API (``STORAGES["default"]``), not a local folder, so that
the page that receives a file and the worker that reads it need not share a disk: on one
machine that is ``DUBAN_HOME/media/uploads``; with ``DUBAN_S3_BUCKET`` it is an object store
every app and worker process reaches (docs/operations.md, "Object storage").

A token names one file: 32 hex digits from a UUID and the file's own suffix. Anything else is
refused before it reaches the storage, so no token can name a path outside the folder.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

PREFIX = "uploads"
_TOKEN = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")


def is_token(token: str) -> bool:
    return bool(_TOKEN.match(token or ""))


def new_token(suffix: str = "") -> str:
    """A fresh token; a suffix that is not a plain short extension is dropped."""
    suffix = suffix.lower()
    token = uuid.uuid4().hex + suffix
    return token if is_token(token) else uuid.uuid4().hex


def name_of(token: str) -> str:
    """The storage name of a token's file; refuses anything that is not a token."""
    if not is_token(token):
        raise ValueError(f"bad upload token {token!r}")
    return f"{PREFIX}/{token}"


def save(token: str, content: bytes | Any) -> None:
    """Store bytes or an uploaded file (streamed in chunks) under the token."""
    name = name_of(token)
    file = ContentFile(content) if isinstance(content, bytes | bytearray) else content
    stored = default_storage.save(name, file)
    if stored != name:  # a UUID never collides; if it did, the token would name another file
        default_storage.delete(stored)
        raise ValueError(f"upload {token!r} already exists")


def exists(token: str) -> bool:
    return is_token(token) and default_storage.exists(name_of(token))


def read(token: str) -> bytes:
    """The whole file (uploads are bounded by ``DUBAN_MAX_UPLOAD_BYTES``)."""
    with default_storage.open(name_of(token), "rb") as fh:
        return fh.read()


def delete(token: str) -> None:
    """Remove the file if it is there (a second delete is not an error)."""
    if is_token(token):
        default_storage.delete(name_of(token))
