"""Two-factor log-in for the office and admins: enrolment, verification, the gate, reset."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from duban.core.models import AuditEntry
from duban.org.services import create_user

pytestmark = pytest.mark.django_db

PASSWORD = "Qinglan-2026x"


@pytest.fixture
def required(settings):
    settings.DUBAN_REQUIRE_2FA = True


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, t0=device.t0, step=device.step, digits=device.digits, drift=offset):06d}"


def log_in(client: Client, username: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def test_the_office_enrols_at_first_log_in_then_reaches_pages(client, units, required):
    create_user("office", password=PASSWORD, unit=units["office"], role="office")
    log_in(client, "office")
    response = client.get("/battlemap/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    page = client.get(response["Location"])
    html = page.content.decode()
    # The QR code is drawn here (an SVG data URL) and the key is shown for typing.
    assert 'src="data:image/svg+xml;base64,' in html and "密钥" in html
    svg = base64.b64decode(html.split("data:image/svg+xml;base64,")[1].split('"')[0])
    assert b"<svg" in svg and b"<script" not in svg
    device = TOTPDevice.objects.get(user__username="office")
    assert not device.confirmed
    wrong = client.post("/accounts/2fa/", {"code": "000000", "next": "/battlemap/"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    time.sleep(1.1)  # django-otp refuses any code for a second after a wrong one
    done = client.post("/accounts/2fa/", {"code": code_for(device), "next": "/battlemap/"})
    assert done.status_code == 302 and done["Location"] == "/battlemap/"
    assert client.get("/battlemap/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert [
        e.event for e in AuditEntry.objects.filter(event__startswith="otp_").order_by("id")
    ] == [
        "otp_failed",
        "otp_enrolled",
    ]


def test_a_second_log_in_asks_for_the_code_not_a_new_key(client, units, required):
    user = create_user("office", password=PASSWORD, unit=units["office"], role="office")
    device = TOTPDevice.objects.create(user=user, name="duban", confirmed=True)
    log_in(client, "office")
    page = client.get("/accounts/2fa/").content.decode()
    assert "data:image/svg" not in page and "6 位数字" in page
    assert client.get("/manage/").status_code == 302
    client.post("/accounts/2fa/", {"code": code_for(device)})
    assert client.get("/manage/").status_code == 200
    # The API with the same session is refused until then, in the error shape.
    other = Client()
    log_in(other, "office")
    response = other.get("/api/tasks/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "otp_required"


def test_a_clerk_is_not_asked(client, units, required):
    create_user("clerk", password=PASSWORD, unit=units["sw"], role="clerk")
    log_in(client, "clerk")
    assert client.get("/desk/").status_code == 200


def test_a_district_office_is_asked_as_the_office_is(client, units, required):
    # 区县督查室 runs its district's plans with the office's powers: a password alone is
    # not enough there either. The district's plain clerk is still not asked.
    from duban.org.models import Unit

    district = Unit.objects.create(name="金水区", kind="district", parent=units["root"])
    create_user("js_office", password=PASSWORD, unit=district, role="district_office")
    create_user("js_clerk", password=PASSWORD, unit=district, role="clerk")
    log_in(client, "js_office")
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    api = client.get("/api/tasks/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "otp_required"
    clerk = Client()
    log_in(clerk, "js_clerk")
    assert clerk.get("/desk/").status_code == 200


def test_an_offsite_next_is_ignored(client, units, required):
    user = create_user("office", password=PASSWORD, unit=units["office"], role="office")
    device = TOTPDevice.objects.create(user=user, name="duban", confirmed=True)
    log_in(client, "office")
    response = client.post("/accounts/2fa/", {"code": code_for(device), "next": "https://evil"})
    assert response["Location"] == "/"


def test_the_office_resets_a_lost_key(client, units, required):
    office = create_user("office", password=PASSWORD, unit=units["office"], role="office")
    boss_device = TOTPDevice.objects.create(user=office, name="duban", confirmed=True)
    clerk = create_user("lead", password=PASSWORD, unit=units["office"], role="office")
    TOTPDevice.objects.create(user=clerk, name="duban", confirmed=True)
    log_in(client, "office")
    client.post("/accounts/2fa/", {"code": code_for(boss_device)})
    assert "重置两步验证" in client.get(f"/manage/users/{clerk.pk}/").content.decode()
    assert client.post(f"/manage/users/{clerk.pk}/2fa/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert AuditEntry.objects.filter(event="otp_reset", actor=office).count() == 1


def test_the_demo_turns_two_factor_off_and_says_how_to_turn_it_on(tmp_path):
    # A throwaway SQLite home: the demo must not load itself into the test run's database.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DUBAN_REQUIRE_2FA", "DUBAN_DATABASE_URL", "DATABASE_URL"}
    }
    env["DUBAN_HOME"] = str(tmp_path)
    code = (
        "import os; from duban.cli import main; "
        "main(['demo', '--no-serve'], standalone_mode=False); "
        "from django.conf import settings; print('REQUIRE', settings.DUBAN_REQUIRE_2FA)"
    )
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "DUBAN_REQUIRE_2FA=true duban demo" in out and "REQUIRE False" in out
    assert time.monotonic() - started < 120


def test_the_admin_lists_tokens_and_failures_without_revealing_keys(client, units):
    from duban.org.tokens import issue_token

    boss = create_user(
        "boss", password=PASSWORD, unit=units["office"], role="office", superuser=True
    )
    _row, key = issue_token(boss, scope="read", days=5)
    client.post("/accounts/login/", {"username": "ghost", "password": "x"})
    client.force_login(boss)
    tokens = client.get("/admin/org/apitoken/").content.decode()
    assert key[:10] in tokens and key not in tokens
    assert "ghost" in client.get("/admin/org/loginfailure/").content.decode()
