"""Settings from the environment: data folder, database URL, the generated secret key."""

from __future__ import annotations

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
