"""Settings read from the environment, in one place.

Everything a deployment may change is a ``DUBAN_*`` variable, so the same code runs on a
clerk's laptop (SQLite under ``./var``) and on a city's PostgreSQL server. This module has no
Django imports: the CLI uses it before Django is configured.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def home() -> Path:
    """The data folder: database (SQLite), uploads, backups, the stored secret key."""
    path = Path(os.environ.get("DUBAN_HOME") or "./var").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    url = os.environ.get("DUBAN_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{home() / 'duban.sqlite3'}"


def secret_key() -> str:
    """Use ``DUBAN_SECRET_KEY``, else a key generated once and kept in ``DUBAN_HOME``.

    Generating on first use means a fresh laptop needs no setup, while sessions survive
    restarts because the key is persisted (readable only by its owner).
    """
    key = os.environ.get("DUBAN_SECRET_KEY", "").strip()
    if key:
        return key
    path = home() / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
