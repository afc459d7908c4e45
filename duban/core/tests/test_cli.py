"""The ``duban`` command: version, sub-commands, user creation, and its documentation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from duban import __version__
from duban.cli import cli_reference, main

REPO = Path(__file__).resolve().parents[3]
EXPECTED = {
    "backup", "createuser", "demo", "extract", "manage", "migrate", "restore", "serve",
    "token", "worker", "import", "export", "import-reports", "export-reports",
}  # fmt: skip


def test_version_and_commands():
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    assert EXPECTED <= set(main.commands)


def test_python_dash_m_is_the_same_command():
    out = subprocess.run(
        [sys.executable, "-m", "duban", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().endswith(__version__)


def test_docs_cli_md_is_the_programs_own_help():
    """Regenerate with `make docs` when this fails."""
    documented = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert documented.strip() == cli_reference().strip()
    for name in main.commands:
        assert f"## duban {name}" in documented


@pytest.mark.django_db
def test_createuser_gives_a_login_with_a_role(units):
    from duban.org.models import User

    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "createuser",
            "zhao",
            "--password",
            "S3cret-pw-2026",
            "--unit",
            "市发改委",
            "--role",
            "clerk",
        ],
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="zhao")
    assert user.check_password("S3cret-pw-2026")
    assert [(m.unit.name, m.role) for m in user.memberships.all()] == [
        ("市发展和改革委员会", "clerk")
    ]
    again = runner.invoke(main, ["createuser", "zhao", "--password", "S3cret-pw-2026"])
    assert again.exit_code != 0 and "已存在" in again.output
    nowhere = runner.invoke(
        main,
        [
            "createuser",
            "qian",
            "--password",
            "S3cret-pw-2026",
            "--unit",
            "不存在局",
            "--role",
            "clerk",
        ],
    )
    assert nowhere.exit_code != 0 and "找不到单位" in nowhere.output
    assert not User.objects.filter(username="qian").exists()


@pytest.mark.django_db
def test_token_prints_a_working_api_key_once_and_stores_only_its_hash(units):
    from rest_framework.test import APIClient

    from duban.org.models import ApiToken
    from duban.org.services import create_user

    create_user("robot", password="x", unit=units["office"], role="viewer")
    runner = CliRunner()
    first = runner.invoke(main, ["token", "robot", "--days", "30"])
    key = first.stdout.strip()
    assert first.exit_code == 0 and key.startswith("dbn_") and len(key) > 40
    row = ApiToken.objects.get(user__username="robot")
    assert row.scope == "read" and key not in {row.key_hash, row.prefix}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/tasks/").status_code == 200
    # A second token is a new key; --rotate revokes the others.
    second = runner.invoke(main, ["token", "robot", "--scope", "write"]).stdout.strip()
    assert second != key and ApiToken.objects.filter(user__username="robot").count() == 2
    runner.invoke(main, ["token", "robot", "--rotate"])
    assert ApiToken.objects.filter(user__username="robot").count() == 1
    assert client.get("/api/tasks/").status_code == 401
    missing = runner.invoke(main, ["token", "ghost"])
    assert missing.exit_code != 0 and "找不到用户" in missing.output
