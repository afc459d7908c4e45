"""Settings from the environment: data folder, database URL, the generated secret key."""

from __future__ import annotations

import pytest

from duban import conf


def test_defaults_live_in_duban_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("DUBAN_DATABASE_URL", raising=False)
    assert conf.home() == (tmp_path / "data").resolve()
    assert conf.database_url() == f"sqlite:///{(tmp_path / 'data').resolve() / 'duban.sqlite3'}"
    monkeypatch.setenv("DUBAN_DATABASE_URL", "postgres://u@h:5432/d")
    assert conf.database_url() == "postgres://u@h:5432/d"


def test_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_HOME", str(tmp_path))
    monkeypatch.delenv("DUBAN_SECRET_KEY", raising=False)
    first = conf.secret_key()
    assert len(first) >= 50
    assert conf.secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("DUBAN_SECRET_KEY", "from-env")
    assert conf.secret_key() == "from-env"


def test_env_bool(monkeypatch):
    for raw, expected in [("1", True), ("true", True), ("on", True), ("0", False), ("", False)]:
        monkeypatch.setenv("DUBAN_X", raw)
        assert conf.env_bool("DUBAN_X") is expected


def _settings_with(monkeypatch, tmp_path, **env: str) -> dict:
    """The settings module evaluated afresh under ``env`` (the loaded one stays as it is)."""
    import runpy

    from duban.project import settings as loaded

    monkeypatch.setenv("DUBAN_HOME", str(tmp_path))
    monkeypatch.setenv("DUBAN_SECRET_KEY", "conf-test")
    monkeypatch.delenv("DUBAN_DATABASE_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(loaded.__file__)


def test_postgresql_keeps_connections_and_checks_them(monkeypatch, tmp_path):
    db = _settings_with(
        monkeypatch, tmp_path, DUBAN_DATABASE_URL="postgres://duban@127.0.0.1:5432/city"
    )["DATABASES"]["default"]
    assert db["CONN_MAX_AGE"] == 600 and db["CONN_HEALTH_CHECKS"] is True
    behind_pgbouncer = _settings_with(
        monkeypatch,
        tmp_path,
        DUBAN_DATABASE_URL="postgres://duban@127.0.0.1:6432/city",
        DUBAN_PGBOUNCER="true",
    )["DATABASES"]["default"]
    assert behind_pgbouncer["CONN_MAX_AGE"] == 0
    assert behind_pgbouncer["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert not db.get("DISABLE_SERVER_SIDE_CURSORS")


def test_sqlite_waits_for_the_write_lock(monkeypatch, tmp_path):
    db = _settings_with(monkeypatch, tmp_path, DUBAN_SQLITE_BUSY_TIMEOUT="7")["DATABASES"][
        "default"
    ]
    assert db["OPTIONS"]["timeout"] == 7.0
    assert "PRAGMA busy_timeout=7000;" in db["OPTIONS"]["init_command"]
    assert "PRAGMA journal_mode=WAL;" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_keeps_connections_between_requests(monkeypatch, tmp_path):
    # Opening the file re-reads the schema each time: kept connections, as on PostgreSQL.
    db = _settings_with(monkeypatch, tmp_path)["DATABASES"]["default"]
    assert db["CONN_MAX_AGE"] == 600
    shorter = _settings_with(monkeypatch, tmp_path, DUBAN_DB_CONN_MAX_AGE="5")["DATABASES"]
    assert shorter["default"]["CONN_MAX_AGE"] == 5


@pytest.mark.django_db
def test_the_live_connection_has_the_busy_timeout():
    from django.db import connection

    if connection.vendor != "sqlite":
        from django.conf import settings

        assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
