"""The pages: who sees what, the htmx fragments, the public page, and query budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.battlemap.tests.conftest import RED_REASON

pytestmark = pytest.mark.django_db

PAGES = ["/battlemap/", "/battlemap/wall/", "/roadmap/", "/roadmap/?by=unit"]


def kpi(html: str, name: str) -> int:
    marker = f'data-kpi="{name}">'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index("<", start)])


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_office_overview_shows_counts_red_list_and_links(client, small):
    client.force_login(small["users"]["office"])
    html = client.get("/battlemap/").content.decode()
    assert (kpi(html, "total"), kpi(html, "red"), kpi(html, "closed")) == (7, 2, 1)
    assert RED_REASON in html
    assert f'href="/tasks/{small["tasks"]["t2"].pk}/"' in html
    assert 'for="f-plan"' in html and 'for="f-leader"' in html and "李市长" in html
    assert 'role="img"' in html  # the charts


def test_a_clerk_sees_only_own_unit_numbers(client, small):
    client.force_login(small["users"]["clerk"])
    html = client.get("/battlemap/").content.decode()
    assert (kpi(html, "total"), kpi(html, "red"), kpi(html, "closed")) == (4, 2, 0)
    assert "任务9.1" not in html and "市财政局" not in html
    # Another unit's clerk: none of U1's or U2's tasks.
    client.force_login(small["users"]["clerk3"])
    html = client.get("/battlemap/").content.decode()
    assert kpi(html, "total") == 1 and RED_REASON not in html
    roadmap = client.get("/roadmap/").content.decode()
    assert "任务9.1" in roadmap and "任务1.2" not in roadmap


def test_filter_change_returns_only_the_board(client, small):
    client.force_login(small["users"]["office"])
    unit = small["units"]["u2"].pk
    response = client.get(
        f"/battlemap/?unit={unit}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert kpi(html, "total") == 3


def test_wall_screen_refreshes_itself_without_navigation(client, small):
    client.force_login(small["users"]["office"])
    html = client.get("/battlemap/wall/").content.decode()
    assert 'class="wall"' in html
    assert 'hx-trigger="every 60s"' in html and 'hx-get="/battlemap/wall/"' in html
    fragment = client.get("/battlemap/wall/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="wall-board"') and "<nav" not in fragment
    assert kpi(fragment, "red") == 2


def test_roadmap_groups_toggle_and_draws_one_element_per_bar(client, small):
    client.force_login(small["users"]["office"])
    plan = small["plan"].pk
    html = client.get(f"/roadmap/?plan={plan}").content.decode()
    assert html.count('class="g-bar') == 6
    assert html.count('class="g-ms') == 2 and html.count('class="g-ms done"') == 1
    assert [s in html for s in ("创新之城", "开放之城", "未归入框架")] == [True] * 3
    by_unit = client.get(
        f"/roadmap/?plan={plan}&by=unit", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roadmap-chart"
    ).content.decode()
    assert by_unit.lstrip().startswith('<section id="roadmap-chart"')
    assert 'aria-label="市发改委"' in by_unit and 'aria-label="市商务局"' in by_unit


def test_public_page(client, small):
    plan = small["plan"]
    assert client.get(f"/public/{plan.pk}/").status_code == 404
    assert client.get("/public/999999/").status_code == 404
    plan.is_public = True
    plan.save()
    response = client.get(f"/public/{plan.pk}/")  # no login
    html = response.content.decode()
    assert response.status_code == 200
    assert "任务1.2" in html and "市发改委" in html and "已办结" in html
    for secret in (RED_REASON, "连续2期未报送", "进度滞后", "李市长", "红灯", "任务3.2"):
        assert secret not in html
    # A draft plan is never public, whatever its flag says.
    plan.status = "draft"
    plan.save()
    assert client.get(f"/public/{plan.pk}/").status_code == 404


# -- query budgets: the count must not grow with the data ---------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _projects(unit_ids: list[int], n: int, prefix: str) -> None:
    """``n`` key projects of this year, spread over the units, each with a month entered."""
    from decimal import Decimal

    from django.utils import timezone

    from duban.org.models import Unit
    from duban.projects import services as projects

    units = list(Unit.objects.filter(pk__in=unit_ids).order_by("pk"))
    today = timezone.localdate()
    sectors = projects.sectors()
    for i in range(n):
        p = projects.create_project(
            actor=None,
            year=today.year,
            code=f"{prefix}{i}",
            name=f"{prefix}项目{i}",
            sector=sectors[i % len(sectors)],
            lead_unit=units[i % len(units)],
            total_investment=Decimal(100),
            annual_plan=Decimal(50),
        )
        projects.record_month(p, actor=None, month=today.month, completed="5")


@pytest.mark.parametrize("username", ["office", "clerk"])
@pytest.mark.parametrize("url", PAGES)
def test_query_count_does_not_depend_on_size(
    client, small, username, url, django_assert_max_num_queries
):
    from duban.battlemap.synthetic import build_dataset
    from duban.org.models import Membership

    user = small["users"][username]
    client.force_login(user)
    first = build_dataset(units=10, tasks=120, reports=600, prefix="小")
    # The clerk's unit also leads and co-operates on generated tasks.
    Membership.objects.create(user=user, unit_id=first["unit_ids"][0], role="clerk")
    _projects(first["unit_ids"], 2, "小")
    small_count = _count(client, url)
    second = build_dataset(units=30, tasks=600, reports=6000, prefix="大", seed=7)
    Membership.objects.create(user=user, unit_id=second["unit_ids"][0], role="clerk")
    # The 重点项目 panel (one query) too: 2 projects or 60, with their months.
    _projects([*first["unit_ids"], *second["unit_ids"]], 60, "大")
    with django_assert_max_num_queries(30):
        big_count = _count(client, url)
    assert big_count == small_count


def test_overview_with_filters_stays_in_budget(client, small, django_assert_max_num_queries):
    from duban.battlemap.synthetic import build_dataset

    data = build_dataset(units=30, tasks=600, reports=3000)
    client.force_login(small["users"]["office"])
    url = (
        f"/battlemap/?plan={data['plan_id']}&pillar={data['pillar_ids'][0]}"
        f"&unit={data['unit_ids'][1]}&leader={data['leader_ids'][1]}&from=2020-01-01"
    )
    with django_assert_max_num_queries(30):
        response = client.get(url)
    assert response.status_code == 200


def test_an_expired_session_on_the_wall_reloads_the_login_page(client):
    response = client.get("/battlemap/wall/?plan=3", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fbattlemap%2Fwall%2F%3Fplan%3D3"


def test_public_page_draws_each_areas_closed_share(client, small):
    small["plan"].is_public = True
    small["plan"].save()
    html = client.get(f"/public/{small['plan'].pk}/").content.decode()
    assert 'aria-label="开放之城已办结1项，共3项（33%）"' in html
