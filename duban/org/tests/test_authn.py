"""Log-in security: lockout, password policy, expiry, session timeouts, audit of it all."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.org import authn
from duban.org.services import create_user

pytestmark = pytest.mark.django_db

GOOD = "Qinglan-2026x"


def events(name: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event=name).order_by("id"))


def attempt(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def clerk(units):
    return create_user("clerk", password=GOOD, unit=units["sw"], role="clerk")


# --- lockout ------------------------------------------------------------------------------


def test_five_failures_lock_the_account_even_for_the_right_password(client, clerk):
    for _ in range(5):
        response = attempt(client, "clerk", "wrong")
        assert response.status_code == 200
    response = attempt(client, "clerk", GOOD)
    assert response.status_code == 200  # the form again, not a redirect
    body = response.content.decode()
    assert "账号已暂时锁定" in body and "分钟后再试" in body
    assert "_auth_user_id" not in client.session
    assert len(events("login_failed")) == 6
    assert len(events("account_locked")) == 1
    # Fifteen minutes after the last attempt the right password works again.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert attempt(client, "clerk", GOOD).status_code == 302
    assert events("login")[-1].actor_id == clerk.pk


def test_four_failures_do_not_lock(client, clerk):
    for _ in range(4):
        attempt(client, "clerk", "wrong")
    assert attempt(client, "clerk", GOOD).status_code == 302


def test_the_lock_is_per_address_too(client, units, clerk):
    create_user("other", password=GOOD, unit=units["cz"], role="clerk")
    # One address guessing at many logins is locked as a whole …
    for name in ["a1", "a2", "a3", "a4", "a5"]:
        attempt(client, name, "wrong", ip="10.9.9.9")
    assert attempt(client, "other", GOOD, ip="10.9.9.9").status_code == 200
    # … while the same login from another address is not.
    assert attempt(Client(), "other", GOOD, ip="10.1.1.1").status_code == 302


def test_the_admin_login_obeys_the_same_lock(client, units):
    create_user("boss", password=GOOD, unit=units["office"], role="office", superuser=True)
    for _ in range(5):
        attempt(client, "boss", "wrong")
    response = client.post(
        "/admin/login/", {"username": "boss", "password": GOOD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_the_office_unlocks_from_the_user_page(client, office_user, clerk):
    for _ in range(5):
        attempt(client, "clerk", "wrong")
    assert authn.locked_until("clerk", None) is not None
    office = Client()
    office.force_login(office_user)
    page = office.get(f"/manage/users/{clerk.pk}/")
    assert "解锁" in page.content.decode()
    response = office.post(f"/manage/users/{clerk.pk}/unlock/")
    assert response.status_code == 302
    assert authn.locked_until("clerk", None) is None
    unlocked = events("account_unlocked")[-1]
    assert unlocked.actor_id == office_user.pk and unlocked.object_repr == "clerk"
    # The address that guessed is still locked until its own window ends; another is not.
    assert attempt(Client(), "clerk", GOOD, ip="10.2.2.2").status_code == 302


def test_only_the_office_may_unlock(client, units, clerk):
    lead = create_user("lead", password=GOOD, unit=units["sw"], role="unit_leader")
    client.force_login(lead)
    assert client.post(f"/manage/users/{clerk.pk}/unlock/").status_code == 403
    assert events("permission_denied")[-1].actor_id == lead.pk


# --- audit of log-in and log-out ----------------------------------------------------------


def test_login_and_logout_are_audited(client, clerk):
    assert attempt(client, "clerk", GOOD).status_code == 302
    client.post("/accounts/logout/")
    login, logout = events("login")[-1], events("logout")[-1]
    assert login.actor_id == clerk.pk and login.note == "10.0.0.1"
    assert logout.actor_id == clerk.pk


def test_a_failure_for_an_unknown_login_is_audited_without_a_user(client, db):
    attempt(client, "nobody", "x")
    entry = events("login_failed")[-1]
    assert entry.actor_id is None and entry.object_repr == "nobody"


# --- password policy ----------------------------------------------------------------------

WEAK = [
    ("Ab1-short", "至少需要 10 个字符"),
    ("alllowercaseletters", "至少 3 类"),
    ("lowercase12345", "至少 3 类"),
    ("Xclerk-2026-ok", "不能包含用户名"),
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_the_office_cannot_set_a_weak_password(client, office_user, clerk, password, message):
    client.force_login(office_user)
    response = client.post(
        f"/manage/users/{clerk.pk}/password/", {"password1": password, "password2": password}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_new_users_password_may_not_contain_the_new_login(client, office_user, units):
    client.force_login(office_user)
    data = {
        "username": "wangwu",
        "unit": units["sw"].pk,
        "role": "clerk",
        "password1": "Wangwu-2026!",
        "password2": "Wangwu-2026!",
    }
    response = client.post("/manage/users/add/", data)
    assert response.status_code == 400 and "不能包含用户名" in response.content.decode()
    data["password1"] = data["password2"] = GOOD
    assert client.post("/manage/users/add/", data).status_code == 302


def test_the_last_five_passwords_cannot_come_back(client, clerk):
    client.force_login(clerk)
    passwords = [GOOD, *[f"Renewed-{i}-pass" for i in range(1, 6)]]
    for old, new in itertools.pairwise(passwords):
        response = client.post(
            "/accounts/password/",
            {"old_password": old, "new_password1": new, "new_password2": new},
        )
        assert response.status_code == 302, response.content.decode()
    current = passwords[-1]
    # The last five (including the current one) are refused; the sixth back is allowed.
    for reused in passwords[-5:]:
        response = client.post(
            "/accounts/password/",
            {"old_password": current, "new_password1": reused, "new_password2": reused},
        )
        assert response.status_code == 400 and "最近 5 次" in response.content.decode()
    response = client.post(
        "/accounts/password/",
        {"old_password": current, "new_password1": GOOD, "new_password2": GOOD},
    )
    assert response.status_code == 302
    assert events("password_changed")[-1].actor_id == clerk.pk


def test_createuser_refuses_a_weak_password(db, units):
    from duban.cli import main

    result = CliRunner().invoke(
        main, ["createuser", "zhao", "--password", "zhao12345", "--unit", "市商务局"]
    )
    assert result.exit_code != 0
    assert "至少需要 10 个字符" in result.output or "至少 3 类" in result.output
    result = CliRunner().invoke(
        main, ["createuser", "zhao", "--password", GOOD, "--unit", "市商务局", "--role", "clerk"]
    )
    assert result.exit_code == 0, result.output


def test_character_classes_are_counted():
    assert authn.character_classes("abc") == 1
    assert authn.character_classes("abcDEF") == 2
    assert authn.character_classes("abcDEF123") == 3
    assert authn.character_classes("aB1-") == 4
    assert authn.character_classes("督办Ab1") == 4  # a Chinese character counts as "other"


def test_an_expired_password_must_be_changed_first(client, clerk, settings):
    settings.DUBAN_PASSWORD_MAX_AGE_DAYS = 90
    client.force_login(clerk)
    assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=91), tick=False):
        client.force_login(clerk)
        response = client.get("/desk/")
        assert response.status_code == 302 and response["Location"] == "/accounts/password/"
        assert client.get("/accounts/password/").status_code == 200
        new = "Fresh-pass-2027"
        response = client.post(
            "/accounts/password/",
            {"old_password": GOOD, "new_password1": new, "new_password2": new},
        )
        assert response.status_code == 302
        assert client.get("/desk/").status_code == 200


# --- session timeouts ---------------------------------------------------------------------


def test_an_idle_session_ends_after_thirty_minutes(client, clerk):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert attempt(client, "clerk", GOOD).status_code == 302
        assert client.get("/desk/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/desk/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get("/desk/").status_code == 200  # 29 minutes since the last request
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        response = client.get("/desk/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert events("logout")[-1].note == "session_idle"


def test_an_active_session_still_ends_after_the_absolute_limit(client, clerk, settings):
    settings.DUBAN_SESSION_MAX_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attempt(client, "clerk", GOOD)
    for minutes in range(20, 120, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get("/desk/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=121), tick=False):
        assert client.get("/desk/").status_code == 302
    assert events("logout")[-1].note == "session_max_age"
