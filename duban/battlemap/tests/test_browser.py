"""The battle map, its wall screen and the roadmap in a real browser, on the demo city.

Saves the screenshots used by the README and docs/battlemap.md. The demo plan's tasks are
lit as of a fixed late date (so the colours do not depend on the day the test runs), with a
trend of monthly recomputations before it.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from duban.conftest import SCREENSHOTS, assert_accessible, login

pytestmark = pytest.mark.django_db(transaction=True)

LIT_ON = dt.date(2026, 11, 20)


def _prepare_demo() -> int:
    from duban.demo.loader import load_demo
    from duban.plans.models import Plan
    from duban.supervision.lights import recompute_lights

    load_demo()
    # A trend: the lights as they were at each month's end, then on a fixed late date.
    for month in range(3, 12):
        day = LIT_ON if month == 11 else dt.date(2026, month + 1, 1) - dt.timedelta(days=1)
        recompute_lights(today=day)
    return Plan.objects.get().pk


def test_office_battlemap_wall_and_roadmap(page, live_server):
    from duban.battlemap.synthetic import build_dataset
    from duban.plans.models import Milestone, Task

    plan_id = _prepare_demo()
    red = Task.objects.filter(plan_id=plan_id, light="red").exclude(status="closed").count()
    assert red > 0

    login(page, live_server, "office", "duban2026")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="挂图作战").click()
    page.wait_for_url(f"{live_server.url}/battlemap/")
    assert page.get_by_role("heading", name="挂图作战").is_visible()
    assert page.locator('[data-kpi="red"]').inner_text() == str(red)
    assert page.locator("table.red-list tbody tr").count() == min(red, 100)
    assert page.locator("table.red-list .reason").first.inner_text() != ""
    assert page.locator("svg.trend polyline").count() == 4  # red, yellow, green, closed
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "battlemap.png"), full_page=True)

    # Filtering by a unit swaps the board in place (htmx) and keeps the URL in step.
    unit_id = page.locator("#f-unit option").nth(1).get_attribute("value")
    unit_total = Task.objects.filter(assignment__lead_unit_id=unit_id).count()
    assert unit_total != int(page.locator('[data-kpi="total"]').inner_text())
    page.select_option("#f-unit", value=unit_id)
    page.wait_for_url(f"**/battlemap/?*unit={unit_id}*")
    page.wait_for_function(
        "n => document.querySelector('[data-kpi=total]').textContent.trim() === n",
        arg=str(unit_total),
    )
    assert page.get_by_role("heading", name="挂图作战").count() == 1  # the board, not a page

    # On a phone the page reflows: nothing wider than the screen but the scrolling tables.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/battlemap/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    page.screenshot(path="/tmp/battlemap-phone.png", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 768})

    # The wall screen: no navigation, big numbers, refreshes itself every minute.
    page.goto(f"{live_server.url}/battlemap/")
    page.get_by_role("link", name="大屏模式").click()
    page.wait_for_url("**/battlemap/wall/")
    page.set_viewport_size({"width": 1920, "height": 1080})
    assert page.locator("body.wall").count() == 1
    assert not page.get_by_role("navigation", name="主导航").is_visible()
    assert page.locator("#wall-board").get_attribute("hx-trigger") == "every 60s"
    assert page.locator('[data-kpi="red"]').inner_text() == str(red)
    page.screenshot(path=str(SCREENSHOTS / "battlemap-wall.png"))

    # The roadmap of the demo plan, grouped by pillar, then by lead unit.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/roadmap/?plan={plan_id}")
    assert page.locator(".gantt-group").count() >= 5
    done = Milestone.objects.filter(task__plan_id=plan_id, done_at__isnull=False).count()
    assert done > 0
    assert page.locator(".g-ms.done").count() == done
    assert page.locator(".gantt-today").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "roadmap.png"))
    page.get_by_role("link", name="按牵头单位").click()
    page.wait_for_url("**by=unit*")
    assert page.locator(".gantt-group h3").first.is_visible()

    # 2,000 tasks: every group and bar is drawn; the time is printed, not asserted.
    big = build_dataset(units=40, tasks=2000, reports=0, milestones_per_task=2, prefix="路")
    start = time.perf_counter()
    page.goto(f"{live_server.url}/roadmap/?plan={big['plan_id']}", wait_until="load")
    elapsed = (time.perf_counter() - start) * 1000
    timing = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {server: n.responseStart - n.requestStart, dom: n.domComplete - n.responseEnd}; }"
    )
    assert page.locator(".gantt-group").count() == 8
    assert page.locator(".g-bar").count() == 2000
    assert page.locator(".g-ms").count() == 4000
    print(
        f"\nroadmap, 2,000 tasks: {elapsed:.0f} ms to load "
        f"(server {timing['server']:.0f} ms, DOM after response {timing['dom']:.0f} ms)"
    )
