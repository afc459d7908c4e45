"""The battle map and the roadmap keep their drawn boards (duban/core/pagecache.py) and never
show a stale one: a recomputed light, an audited change, another viewer's grants or other
filters each draw afresh."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.battlemap.tests.test_views import kpi
from duban.plans.models import Task
from duban.supervision.lights import _write

pytestmark = pytest.mark.django_db


def _get(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("url", ["/battlemap/", "/roadmap/"])
def test_a_second_look_is_served_from_the_kept_board(client, small, url):
    client.force_login(small["users"]["office"])
    with CaptureQueriesContext(connection) as first:
        _get(client, url)
    with CaptureQueriesContext(connection) as second:
        _get(client, url)
    assert len(second.captured_queries) < len(first.captured_queries)
    assert len(second.captured_queries) <= 8  # session, user, grants and the two stamps


def test_a_recomputed_light_shows_on_the_kept_battle_map(client, small):
    client.force_login(small["users"]["office"])
    assert kpi(_get(client, "/battlemap/"), "red") == 2
    # The recompute writes the light in bulk, past the audit log, and stamps the time.
    Task.objects.filter(pk=small["tasks"]["t1"].pk).update(
        light="red", light_reason="已逾期", light_updated_at=timezone.now()
    )
    assert kpi(_get(client, "/battlemap/"), "red") == 3


def test_the_recomputes_own_write_shows_on_the_roadmap(client, small):
    client.force_login(small["users"]["office"])
    before = _get(client, "/roadmap/").count('class="g-bar red')
    # The nightly recompute's batch UPDATE, exactly as it writes a changed light.
    _write([(small["tasks"]["t1"].pk, "red", "已逾期")], timezone.now())
    assert _get(client, "/roadmap/").count('class="g-bar red') == before + 1


def test_an_audited_change_shows_on_the_kept_roadmap(client, small):
    client.force_login(small["users"]["office"])
    t1 = small["tasks"]["t1"]
    assert "任务1.1改" not in _get(client, "/roadmap/")
    t1.text = "任务1.1改"
    t1.save()
    assert "任务1.1改" in _get(client, "/roadmap/")


def test_a_clerk_never_gets_the_offices_board(client, small):
    client.force_login(small["users"]["office"])
    assert kpi(_get(client, "/battlemap/"), "total") == 7
    client.force_login(small["users"]["clerk"])
    assert kpi(_get(client, "/battlemap/"), "total") < 7


def test_other_filters_and_the_htmx_fragment_are_kept_apart(client, small):
    client.force_login(small["users"]["office"])
    whole = _get(client, "/roadmap/")
    by_unit = _get(client, "/roadmap/?by=unit")
    assert whole != by_unit
    fragment = _get(client, "/roadmap/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roadmap-chart")
    assert "<html" not in fragment and "<html" in whole
    again = _get(client, "/roadmap/")
    assert "<html" in again
