"""Security headers: the CSP forbids inline script and no template needs it; HTTPS settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

from duban.conftest import login

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in ROOT.rglob("templates/**/*.html") if "extract" not in p.parts)


def directives(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in header.split("; ")}


@pytest.mark.django_db
def test_every_page_carries_the_policy_and_the_other_headers(client):
    first = client.get("/accounts/login/")
    second = client.get("/accounts/login/")
    csp = directives(first)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    # A fresh nonce for every response, so a leaked one is useless next time.
    assert re.search(r"'nonce-[\w-]{16,}'", csp["script-src"])
    assert directives(second)["script-src"] != csp["script-src"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "same-origin"
    assert first.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_event_handlers(path):
    text = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or "nonce=" in tag, f"inline <script> in {path.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"an on*= handler in {path.name}"
    assert "javascript:" not in text.lower()


def test_the_scanner_finds_inline_script():
    html = '<p><script>alert(1)</script><button onclick="x()">b</button></p>'
    assert re.findall(r"<script\b[^>]*>", html) == ["<script>"]
    assert re.search(r"\son[a-z]+\s*=", html)


@pytest.mark.django_db
def test_rendered_scripts_are_external_files(client, office_user):
    client.force_login(office_user)
    for path in ["/", "/documents/", "/api/docs"]:
        response = client.get(path)
        assert response.status_code == 200, path
        tree = lxml.html.fromstring(response.content)
        scripts = list(tree.iter("script"))
        assert scripts, path
        for script in scripts:
            assert script.get("src") and not (script.text or "").strip(), path


def run_settings(env: dict[str, str], code: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"}
    full = {**base, **env, "DJANGO_SETTINGS_MODULE": "duban.project.settings"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env=full,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_duban_https_turns_on_hsts_secure_cookies_and_the_redirect(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)"
    )
    on = run_settings({"DUBAN_HOME": str(tmp_path), "DUBAN_HTTPS": "true"}, code)
    assert on.split()[:4] == ["True", "31536000", "True", "True"]
    off = run_settings({"DUBAN_HOME": str(tmp_path), "DUBAN_HTTPS": "false"}, code)
    assert off.split()[:4] == ["False", "0", "False", "False"]


def test_check_deploy_has_no_transport_warning_with_https(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DUBAN_DATABASE_URL"},
        "DUBAN_HOME": str(tmp_path),
        "DUBAN_HTTPS": "true",
        "DUBAN_SECRET_KEY": "k" * 60 + "-Az9",
    }
    result = subprocess.run(
        [sys.executable, "-m", "duban", "manage", "check", "--deploy"],
        env=env,
        capture_output=True,
        text=True,
    )
    out = result.stdout + result.stderr
    for warning in ["W004", "W008", "W012", "W016"]:  # HSTS, SSL redirect, cookies
        assert f"security.{warning}" not in out, out


@pytest.mark.django_db(transaction=True)
def test_pages_work_in_chromium_under_the_policy(page, live_server, units):
    from duban.org.services import create_user

    create_user("clerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, live_server, "clerk", "pw-clerk-1")
    # The language switcher submits itself from duban.js, not from an inline handler.
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.select_option("#lang-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert violations == []
