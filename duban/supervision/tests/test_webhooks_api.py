"""Webhook subscriptions over the API: the office adds, edits and removes them, the secret
is never shown back, every change is audited; nobody else sees them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.org.services import create_user
from duban.supervision.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_the_office_manages_webhooks_and_the_secret_stays_secret(units, office_user):
    c = api(office_user)
    made = c.post(
        "/api/webhooks/",
        {
            "name": "督查群机器人",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.example/robot/send?access_token=abc",
            "secret": "SEC-very-secret",
            "units": [units["sw"].pk],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["has_secret"] is True and "secret" not in body
    assert "SEC-very-secret" not in str(c.get("/api/webhooks/").json())
    hook = WebhookEndpoint.objects.get()
    assert hook.secret == "SEC-very-secret" and list(hook.units.all()) == [units["sw"]]
    entries = AuditEntry.objects.filter(object_type="supervision.webhookendpoint")
    assert entries.filter(action="create", actor=office_user).exists()
    assert "SEC-very-secret" not in str(list(entries.values_list("after", flat=True)))

    version = body["version"]
    off = c.patch(
        f"/api/webhooks/{hook.pk}/",
        {"is_active": False},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    stale = c.patch(
        f"/api/webhooks/{hook.pk}/", {"name": "旧"}, format="json", HTTP_IF_MATCH=f'"{version}"'
    )
    assert stale.status_code == 412 and WebhookEndpoint.objects.get().name == "督查群机器人"
    assert c.delete(f"/api/webhooks/{hook.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert entries.filter(action="delete").exists()


def test_others_are_refused_and_bad_addresses_write_nothing(units, office_user):
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    assert api(clerk).get("/api/webhooks/").status_code == 403
    assert api(clerk).post("/api/webhooks/", {}, format="json").status_code == 403
    bad = api(office_user).post(
        "/api/webhooks/",
        {"name": "x", "kind": "generic", "url": "file:///etc/passwd"},
        format="json",
    )
    assert bad.status_code == 400 and "url" in bad.json()["error"]["message"]
    assert not WebhookEndpoint.objects.exists()
