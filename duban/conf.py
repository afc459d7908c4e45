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


#: Modes of everything in ``DUBAN_HOME``: the database, backups and uploads hold API tokens,
#: password hashes and unpublished reports, so no other local account may read them.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_umask() -> None:
    """Make every file and folder this process creates private to its owner.

    Why: SQLite, tarfile and Django's storage create files with the umask's bits; with the
    usual 022 the database and backups were world-readable (issue 14). Explicit modes on
    the known paths back this up.
    """
    os.umask(0o077)


def home() -> Path:
    """The data folder: database (SQLite), uploads, backups, the stored secret key.

    Created 0700; an existing folder of ours that others could enter is closed to them.
    """
    path = Path(os.environ.get("DUBAN_HOME") or "./var").expanduser().resolve()
    return private_dir(path)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; close an existing one of ours to others."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Set an existing file of ours to 0600 (one written before the umask was set)."""
    if path.exists():
        _tighten(path, PRIVATE_FILE)
    return path


def _tighten(path: Path, mode: int) -> None:
    st = path.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        path.chmod(mode)


def loose_paths(root: Path, limit: int = 5) -> list[tuple[Path, int]]:
    """Paths under ``root`` (itself, its entries, and the entries of its folders one level
    down) that a group or other account may read, enter or write; at most ``limit``.

    Only two levels, so a check at every start stays quick with years of uploads.
    """
    found: list[tuple[Path, int]] = []
    candidates = [root]
    try:
        top = list(root.iterdir())
    except OSError:
        top = []
    candidates += top
    for entry in top:
        if entry.is_dir() and not entry.is_symlink():
            try:
                candidates += list(entry.iterdir())
            except OSError:
                continue
    for path in candidates:
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if path.is_symlink():
            continue
        if mode & 0o077:
            found.append((path, mode & 0o777))
            if len(found) >= limit:
                break
    return found


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


def setup_django() -> None:
    """Configure Django on demand, so ``duban extract`` never pays for it.

    Here rather than in ``duban.cli`` so that each app's command module can call it
    without importing the top-level CLI that lists those modules.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.project.settings")
    import django

    django.setup()
