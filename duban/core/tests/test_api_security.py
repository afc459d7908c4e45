"""API credentials: 401 with WWW-Authenticate, scopes (403), expiry, rate limits (429),
hashed storage and the migration of old plain-text tokens — all in the one error shape."""

from __future__ import annotations

import datetime as dt
import types

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.org.models import ApiToken
from duban.org.services import create_user
from duban.org.tokens import hash_key, issue_token

pytestmark = pytest.mark.django_db


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def shape(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


def test_no_credentials_is_a_401_that_says_how_to_authenticate(db):
    response = APIClient().get("/api/tasks/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="duban"'
    assert shape(response) == "not_authenticated"
    assert "令牌" in response.json()["error"]["message"]


@pytest.mark.parametrize("header", ["Token nonsense", "Token", "Bearer dbn_x y"])
def test_a_bad_key_is_a_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/tasks/")
    assert response.status_code == 401 and shape(response) == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Token")


def test_an_expired_key_is_a_401_with_a_reason(office_user):
    _row, key = issue_token(office_user, scope="read", days=1)
    assert with_key(key).get("/api/tasks/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        response = with_key(key).get("/api/tasks/")
    assert response.status_code == 401 and "过期" in response.json()["error"]["message"]


def test_a_read_token_reads_but_may_not_write(office_user, task):
    _row, read = issue_token(office_user, scope="read", days=30)
    _row, write = issue_token(office_user, scope="write", days=30)
    assert with_key(read).get(f"/api/tasks/{task.pk}/").status_code == 200
    refused = with_key(read).post(f"/api/tasks/{task.pk}/comment/", {"text": "好"}, format="json")
    assert refused.status_code == 403 and shape(refused) == "not_allowed"
    assert "只读" in refused.json()["error"]["message"]
    denied = AuditEntry.objects.filter(event="permission_denied").last()
    assert denied.actor_id == office_user.pk and "comment" in denied.note
    done = with_key(write).post(f"/api/tasks/{task.pk}/comment/", {"text": "好"}, format="json")
    assert done.status_code in (200, 201), done.content


def test_an_authenticated_user_without_the_right_gets_403_not_401(units, task):
    viewer = create_user("viewer", password="x", unit=units["office"], role="viewer")
    _row, key = issue_token(viewer, scope="write", days=30)
    response = with_key(key).post(f"/api/tasks/{task.pk}/comment/", {"text": "x"}, format="json")
    assert response.status_code == 403 and shape(response) == "not_allowed"


def test_only_the_hash_is_stored(office_user):
    row, key = issue_token(office_user, scope="read", days=30)
    assert row.key_hash == hash_key(key) and key not in row.key_hash
    assert not ApiToken.objects.filter(key_hash=key).exists()


def test_bad_scope_or_lifetime_is_refused(office_user):
    with pytest.raises(ValueError, match="未知的令牌范围"):
        issue_token(office_user, scope="admin", days=3)
    with pytest.raises(ValueError, match="至少 1 天"):
        issue_token(office_user, scope="read", days=0)


def test_a_token_is_limited_per_minute(office_user, settings):
    settings.DUBAN_API_RATE_TOKEN = "3/minute"
    _row, key = issue_token(office_user, scope="read", days=30)
    client = with_key(key)
    assert [client.get("/api/tasks/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/tasks/")
    assert response.status_code == 429 and shape(response) == "throttled"
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["retry_after"] == int(response["Retry-After"])
    # Another token of the same user has its own budget.
    _row, other = issue_token(office_user, scope="read", days=30)
    assert with_key(other).get("/api/tasks/").status_code == 200


def test_an_address_is_limited_whoever_asks(db, settings):
    settings.DUBAN_API_RATE_IP = "2/minute"
    codes = [APIClient().get("/api/tasks/", REMOTE_ADDR="10.3.3.3").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    # Guessing keys is slowed the same way, before any key is checked.
    guess = APIClient()
    guess.credentials(HTTP_AUTHORIZATION="Token dbn_guess")
    throttled = guess.get("/api/tasks/", REMOTE_ADDR="10.3.3.3")
    assert throttled.status_code == 429 and shape(throttled) == "throttled"
    assert APIClient().get("/api/tasks/", REMOTE_ADDR="10.4.4.4").status_code == 401


def test_the_schema_documents_the_token_and_the_error_answers(client):
    text = client.get("/api/schema").content.decode()
    assert "tokenAuth" in text and "#/components/schemas/Error" in text
    for code in ("'401':", "'403':", "'429':"):
        assert code in text


def test_old_plain_text_tokens_are_hashed_and_wiped(office_user):
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("duban.org.migrations.0003_api_token")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, "
            "created timestamp)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            ["a" * 40, office_user.pk, timezone.now()],
        )
    # The migration only needs the editor's connection (a real editor cannot open inside
    # the test's transaction on SQLite).
    migration.hash_old_tokens(apps, types.SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE authtoken_token")
    row = ApiToken.objects.get(user=office_user)
    assert row.scope == "write" and row.key_hash == hash_key("a" * 40)
    assert with_key("a" * 40).get("/api/tasks/").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "plan=abc",
        "unit=1.5",
        "framework_node=-3",
        "plan=99999999999999999999999",
        "deadline_after=x",
        "deadline_before=2026-13-01",
    ],
)
def test_a_malformed_filter_is_a_400_in_the_error_shape(office_user, query):
    client = APIClient()
    client.force_authenticate(office_user)
    response = client.get(f"/api/tasks/?{query}")
    assert response.status_code == 400 and shape(response) == "invalid"
    name = query.split("=")[0]
    message = response.json()["error"]["message"]
    assert message.get(name)  # the message names the filter and says why


def test_well_formed_filters_still_filter(office_user, task):
    client = APIClient()
    client.force_authenticate(office_user)
    ids = [t["id"] for t in client.get(f"/api/tasks/?plan={task.plan_id}").json()["results"]]
    assert ids == [task.pk]
    assert client.get(f"/api/tasks/?plan={task.plan_id + 1}").json()["results"] == []
    assert client.get("/api/tasks/?deadline_after=2026-01-01").status_code == 200
    assert client.get("/api/reports/?task=zz").status_code == 400
