"""Query budgets: the list page, the API list and the counts read a fixed number of
queries whatever the number of instructions, replies and co-units."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from duban.instructions import services

pytestmark = pytest.mark.django_db

URLS = ("/instructions/", "/api/instructions/?page_size=200", "/api/instructions/stats/", "/")


def _fill(register, people, units, n: int) -> None:
    today = dt.date.today()
    for i in range(n):
        instruction = register(
            leader_name=f"领导{i % 3}",
            reply_by=today + dt.timedelta(days=i % 10 - 3),
            instructed_on=today - dt.timedelta(days=5),
        )
        services.add_reply(instruction, actor=people["sw_clerk"], unit=units["sw"], text=f"办理{i}")


@pytest.mark.parametrize("who", ["office", "cz_clerk"])
def test_the_lists_do_not_grow_with_the_data(register, people, units, who, settings):
    settings.DUBAN_PAGE_CACHE_SECONDS = 0
    page, api = Client(), APIClient()
    page.force_login(people[who])
    api.force_authenticate(people[who])

    def count(url: str) -> int:
        client = api if url.startswith("/api/") else page
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _fill(register, people, units, 2)
    for url in URLS:
        count(url)  # warm: per-process caches (the user's grants, the calendar) are not the lists'
    small = {url: count(url) for url in URLS}
    _fill(register, people, units, 20)
    large = {url: count(url) for url in URLS}
    assert large == small, (small, large)
    # count, page, and one prefetch each for co-units, replies and scan pages
    assert small["/api/instructions/?page_size=200"] <= 5, small
