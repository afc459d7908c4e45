"""Shared fixtures: named example units and users, set up through the services."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config):
    """``DUBAN_TEST_TODAY=2031-03-14 make test`` runs the whole suite on another date.

    The suite must pass whatever today's date is, including years the holiday package does
    not cover yet; this is how that is checked without waiting for the calendar.
    """
    fake = os.environ.get("DUBAN_TEST_TODAY")
    if fake:
        import datetime as dt

        import time_machine

        moment = dt.datetime.fromisoformat(fake)
        if moment.tzinfo is None:
            moment = moment.replace(
                hour=moment.hour or 10, tzinfo=dt.timezone(dt.timedelta(hours=8))
            )
        time_machine.travel(moment, tick=True).start()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s a password; the tests check permissions, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_production_gates(settings):
    """Password expiry and required two-factor would stop every test's log-in at a form;
    the tests of those gates turn them on (duban/org/tests/test_authn.py)."""
    settings.DUBAN_PASSWORD_MAX_AGE_DAYS = 0
    settings.DUBAN_REQUIRE_2FA = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API's rate counters and the kept page bodies live in caches; each test starts
    with none."""
    from django.core.cache import caches

    from duban.core import pagecache

    caches["default"].clear()
    pagecache.clear()  # the shared files and this process's recent copies


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts and ends in the site's language: a request in English activates it
    for the thread, and code a later test runs outside a request would otherwise speak it."""
    from django.utils import translation

    translation.activate(settings_language())
    yield
    translation.activate(settings_language())


def settings_language() -> str:
    from django.conf import settings

    return settings.LANGUAGE_CODE


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def units(db):
    from duban.org.models import Unit

    root = Unit.objects.create(name="示例市委、市政府", kind="root")
    return {
        "root": root,
        "office": Unit.objects.create(name="市委督查室", kind="office", parent=root),
        "fgw": Unit.objects.create(
            name="市发展和改革委员会", short_name="市发改委", kind="government", parent=root
        ),
        "sw": Unit.objects.create(name="市商务局", kind="government", parent=root),
        "cz": Unit.objects.create(name="市财政局", kind="government", parent=root),
    }


@pytest.fixture
def office_user(units):
    from duban.org.services import create_user

    return create_user("office", password="pw-office-1", unit=units["office"], role="office")


@pytest.fixture
def plan(db):
    from duban.plans.models import Plan

    return Plan.objects.create(title="示例方案", year=2026)


@pytest.fixture
def task(plan):
    from duban.plans.models import Task

    return Task.objects.create(plan=plan, code="1.1", text="加快建设城市更新重点工程")


# --- the real browser -------------------------------------------------------------------

CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    # This machine has no network: without these Chromium keeps trying to reach its
    # update and sync services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright. Missing browser = failure, not skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install the Debian package 'chromium' "
            "(the browser tests never skip)."
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM, used by the
    # test itself, is still called synchronously.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


def login(page, live_server, username: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


# Browser tests always take their screenshots; they land in docs/screenshots (the README's
# pictures) only when asked with `make screenshots` (DUBAN_SCREENSHOTS=1), so that
# `make test` leaves the work tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    if os.environ.get("DUBAN_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "duban-screenshots"
)


# WCAG 2.1 A and AA, what GB/T 37668 asks of a government site.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as it is now, one line each.

    axe-core comes inside the ``axe-playwright-python`` wheel (nothing is fetched); it is
    evaluated through the DevTools protocol, which the page's Content-Security-Policy does
    not govern, so the policy stays as strict for the test as for a user.
    """
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    result = page.evaluate(
        "opts => axe.run(document, opts)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    """Fail with axe-core's findings when the page breaks WCAG 2.1 AA."""
    found = axe_violations(page)
    assert not found, f"{page.url}: WCAG 2.1 AA violations:\n" + "\n".join(found)
