"""``Idempotency-Key``: a report sent twice with the same key is filed once, and the retry
gets the first answer (issue "The API as a product", point 3)."""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

from rest_framework.test import APIClient

from duban.core.models import AuditEntry, IdempotentRequest
from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision.models import Comment, Notice, ProgressReport


def send(world, key: str | None = None, **fields):
    c = APIClient()
    c.force_authenticate(world["people"]["clerk"])
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {"percent": 40, "progress": "完成选址", "period_end": "2026-03-13", **fields}
    return c.post(f"/api/tasks/{world['task'].pk}/report/", body, format="json", **headers)


def test_a_retry_with_the_same_key_files_once_and_answers_as_the_first_time(world):
    first = send(world, key="phone-42-2026-03")
    assert first.status_code == 201, first.content
    audit = AuditEntry.objects.count()
    again = send(world, key="phone-42-2026-03")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ProgressReport.objects.count() == 1
    assert AuditEntry.objects.count() == audit  # nothing was written the second time


def test_the_same_key_for_another_request_is_refused_and_writes_nothing(world):
    assert send(world, key="k-1").status_code == 201
    c = APIClient()
    c.force_authenticate(world["people"]["clerk"])
    other = c.post(
        f"/api/tasks/{world['task'].pk}/comment/", {"text": "补充说明"}, format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip
    # Every creating POST takes keys now: one key, two different requests is refused.
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["error"]["message"]
    assert not Comment.objects.exists()
    # On the same endpoint but another path (another task) the key is refused.
    stored = IdempotentRequest.objects.get(key="k-1")
    stored.path = "/api/tasks/999999/report/"
    stored.save()
    refused = send(world, key="k-1")
    assert refused.status_code == 400
    assert "Idempotency-Key" in refused.json()["error"]["message"]
    assert ProgressReport.objects.count() == 1


def test_a_failed_request_keeps_no_key_and_a_late_retry_starts_afresh(world, settings):
    bad = send(world, key="k-2", percent=150)
    assert bad.status_code == 400
    assert not IdempotentRequest.objects.filter(key="k-2").exists()
    assert send(world, key="k-2").status_code == 201
    settings.DUBAN_IDEMPOTENCY_HOURS = 1
    IdempotentRequest.objects.filter(key="k-2").update(
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    # Expired: the key may be used again; the report for that period is then updated, not
    # filed a second time (the report service's own rule).
    assert send(world, key="k-2", percent=50).status_code == 201
    assert ProgressReport.objects.count() == 1


def test_without_a_key_nothing_is_stored(world):
    assert send(world).status_code == 201
    assert not IdempotentRequest.objects.exists()


def test_every_creating_post_takes_a_key(world):
    """Comments, notices and plans: a retry with the key answers as the first time and
    writes nothing (each of these would otherwise comment, notify or create twice)."""
    from duban.plans.models import Plan

    task = world["task"]

    def post(user, path, body, key):
        c = APIClient()
        c.force_authenticate(world["people"][user])
        return c.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    cases = [
        ("clerk", f"/api/tasks/{task.pk}/comment/", {"text": "已按要求补充材料"}, Comment),
        (
            "office",
            "/api/notices/",
            {"task": task.pk, "level": "chase", "reason": "请按期报送"},
            Notice,
        ),
        ("office", "/api/plans/", {"title": "2027年补充任务", "year": 2027}, Plan),
    ]
    for user, path, body, model in cases:
        before = model.objects.count()
        first = post(user, path, body, f"key-{path}")
        assert first.status_code == 201, (path, first.content)
        again = post(user, path, body, f"key-{path}")
        assert again.status_code == 201 and again.json() == first.json(), path
        assert again["Idempotent-Replayed"] == "true"
        assert model.objects.count() == before + 1, path
