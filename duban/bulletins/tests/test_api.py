"""Bulletins over the API: the office generates, publishes and downloads; a viewer reads
what is published; a clerk is refused; bad input is a 400 that writes nothing."""

from __future__ import annotations

import io

import docx
import pytest
from rest_framework.test import APIClient

from duban.bulletins.models import Bulletin

pytestmark = pytest.mark.django_db

PERIOD = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_the_office_generates_publishes_and_downloads(office_world):
    plan, task, office, viewer, clerk, other = office_world
    c = api(office)
    made = c.post("/api/bulletins/", {"plan": plan.pk, **PERIOD}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "draft" and body["number"] == "" and body["units_ranked"] >= 1
    # A viewer sees no draft; the office sees it.
    assert api(viewer).get("/api/bulletins/").json()["count"] == 0
    assert api(viewer).get(f"/api/bulletins/{body['id']}/").status_code == 404
    assert c.get("/api/bulletins/").json()["results"][0]["id"] == body["id"]

    published = c.post(f"/api/bulletins/{body['id']}/publish/")
    assert published.status_code == 200 and published.json()["number"].startswith("示督办")
    word = api(viewer).get(f"/api/bulletins/{body['id']}/docx/")
    assert word.status_code == 200
    assert word["Content-Disposition"].startswith("attachment")
    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(b"".join(word.streaming_content))).paragraphs
    )
    assert published.json()["number"] in text
    pdf = api(viewer).get(f"/api/bulletins/{body['id']}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Published: it can no longer be regenerated, with a message and no change.
    again = c.post("/api/bulletins/", {"plan": plan.pk, **PERIOD}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid"
    assert Bulletin.objects.get().status == "published"


def test_a_clerk_is_refused_and_bad_input_writes_nothing(office_world):
    plan, task, office, viewer, clerk, other = office_world
    assert api(clerk).get("/api/bulletins/").status_code == 403
    refused = api(clerk).post("/api/bulletins/", {"plan": plan.pk, **PERIOD}, format="json")
    assert refused.status_code == 403
    backwards = {"plan": plan.pk, "period_start": "2026-03-31", "period_end": "2026-03-01"}
    bad = api(office).post("/api/bulletins/", backwards, format="json")
    assert bad.status_code == 400 and "结束日期" in str(bad.json())
    missing = api(office).post("/api/bulletins/", {"plan": 999999, **PERIOD}, format="json")
    assert missing.status_code == 400
    assert not Bulletin.objects.exists()
    assert APIClient().get("/api/bulletins/").status_code == 401
