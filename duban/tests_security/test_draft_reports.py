"""Class 4: a draft report belongs to its unit until it is submitted.

The probe's co-unit saw the lead unit's draft (status and text) on the task page and
downloaded its evidence, while the API answered 404 for the same report. Page, download
and API now share ``supervision.access.visible_reports``.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision import services
from duban.supervision.models import Evidence

DRAFT_TEXT = "草稿：选址尚未敲定，不宜外传"
SENT_TEXT = "已完成项目立项"


def _report(world, who: str, text: str, *, draft: bool, end: dt.date):
    return services.submit_report(
        world["task"],
        actor=world["people"][who],
        period_start=end - dt.timedelta(days=6),
        period_end=end,
        due_date=end,
        percent=20,
        progress=text,
        files=[SimpleUploadedFile("证明.txt", text.encode())],
        draft=draft,
    )


@pytest.fixture
def reports(world):
    draft = _report(world, "clerk", DRAFT_TEXT, draft=True, end=dt.date(2026, 3, 13))
    sent = _report(world, "unitlead", SENT_TEXT, draft=False, end=dt.date(2026, 3, 6))
    return draft, sent


def _page(client, world, who: str) -> str:
    client.force_login(world["people"][who])
    response = client.get(reverse("task-detail", args=[world["task"].pk]))
    assert response.status_code == 200
    return response.content.decode()


def _api_ids(world, who: str) -> set[int]:
    c = APIClient()
    c.force_authenticate(world["people"][who])
    return {r["id"] for r in c.get("/api/reports/").json()["results"]}


@pytest.mark.parametrize("who", ["coclerk", "colead", "leader", "viewer"])
def test_others_see_neither_the_draft_nor_its_evidence(client, world, reports, who):
    draft, sent = reports
    html = _page(client, world, who)
    assert DRAFT_TEXT not in html and SENT_TEXT in html
    draft_file = Evidence.objects.get(report=draft)
    sent_file = Evidence.objects.get(report=sent)
    assert client.get(reverse("evidence-file", args=[draft_file.pk])).status_code == 404
    assert client.get(reverse("evidence-file", args=[sent_file.pk])).status_code == 200
    assert _api_ids(world, who) == {sent.pk}


@pytest.mark.parametrize("who", ["clerk", "unitlead", "office"])
def test_the_unit_and_the_office_see_the_draft(client, world, reports, who):
    draft, sent = reports
    assert DRAFT_TEXT in _page(client, world, who)
    draft_file = Evidence.objects.get(report=draft)
    assert client.get(reverse("evidence-file", args=[draft_file.pk])).status_code == 200
    assert _api_ids(world, who) == {draft.pk, sent.pk}


def test_a_submitted_draft_becomes_visible_to_the_co_unit(client, world, reports):
    draft, _sent = reports
    _report(world, "unitlead", DRAFT_TEXT, draft=False, end=dt.date(2026, 3, 13))
    assert DRAFT_TEXT in _page(client, world, "coclerk")
    assert draft.pk in _api_ids(world, "coclerk")
