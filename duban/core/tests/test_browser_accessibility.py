"""Every page, as each role sees it, meets WCAG 2.1 AA (GB/T 37668) under axe-core.

The demo city gives every page real content: a confirmed plan with lights, reports,
notices and a bulletin. Each role visits the pages its navigation offers; axe-core runs
on each as it is after loading. A missing browser fails (see ``duban/conftest.py``).
"""

from __future__ import annotations

import pytest

from duban.conftest import axe_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_city():
    from duban.demo.loader import load_demo
    from duban.documents.models import Document
    from duban.plans.models import Plan, Task

    load_demo()
    plan = Plan.objects.get()
    Plan.objects.filter(pk=plan.pk).update(is_public=True)  # so its public page exists
    task = Task.objects.filter(plan=plan, assignment__isnull=False).order_by("pk").first()
    document = Document.objects.first()
    return {"plan": plan.pk, "task": task.pk, "document": document.pk}


OFFICE_PAGES = [
    "/",
    "/documents/",
    "/documents/{document}/review/",
    "/documents/catalog/",
    "/taskbook/",
    "/tasks/{task}/",
    "/office/",
    "/battlemap/",
    "/battlemap/wall/",
    "/roadmap/",
    "/bulletins/",
    "/indicators/",
    "/manage/",
    "/manage/users/",
    "/manage/calendar/",
    "/public/{plan}/",
    "/accounts/password/",
]
CLERK_PAGES = ["/", "/desk/", "/tasks/{task}/", "/indicators/"]


def _visit(page, url: str) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on ``url`` (the page must load)."""
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    return axe_violations(page)


def test_the_office_pages_meet_wcag_aa(page, live_server, demo_city):
    login(page, live_server, "office", "duban2026")
    found = {p: _visit(page, live_server.url + p.format(**demo_city)) for p in OFFICE_PAGES}
    assert found == {p: [] for p in OFFICE_PAGES}, found


def test_the_clerk_pages_meet_wcag_aa_also_on_a_phone(browser, live_server, demo_city):
    from duban.plans.models import Task

    task = Task.objects.filter(assignment__lead_unit__memberships__user__username="clerk").first()
    demo_city = {**demo_city, "task": task.pk}
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone = context.new_page()
    try:
        login(phone, live_server, "clerk", "duban2026")
        found = {p: _visit(phone, live_server.url + p.format(**demo_city)) for p in CLERK_PAGES}
        assert found == {p: [] for p in CLERK_PAGES}, found
    finally:
        context.close()


def test_the_login_page_meets_wcag_aa(page, live_server, db):
    assert _visit(page, live_server.url + "/accounts/login/") == []
