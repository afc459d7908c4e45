"""Class 1: one large document must not stall the document pages.

The probe stored a 19 MB text with 36,493 proposals; the list grouped by the whole text
and the review page drew every proposal over the whole text. These tests store a large
synthetic text and check the structure that keeps the pages fast: the big columns are
never read whole, the proposals come a page at a time, the source pane shows a window.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duban.documents import views
from duban.documents.models import Document
from duban.plans.models import Plan, Task

LINE = "要加快推进第{n}号重点工程建设，确保年底前完工。\n"
CUT = re.compile(r"(SUBSTR|SUBSTRING|LENGTH|CHAR_LENGTH)\([^()]*\)", re.IGNORECASE)


@pytest.fixture
def big_document(db):
    lines = [LINE.format(n=i) for i in range(160_000)]  # about 4.3 million characters
    text = "".join(lines)
    document = Document.objects.create(
        title="超长文件", normalized_text=text, extraction={"tasks": ["x" * 100] * 2000}
    )
    plan = Plan.objects.create(title="超长方案", year=2026)
    plan.documents.add(document)
    tasks, pos = [], 0
    for i, line in enumerate(lines):
        if i % 500 == 0:
            tasks.append(
                Task(
                    plan=plan,
                    code=str(len(tasks) + 1),
                    text=line.strip(),
                    source_document=document,
                    source_start=pos,
                    source_end=pos + len(line) - 1,
                    sort_order=len(tasks),
                )
            )
        pos += len(line)
    Task.objects.bulk_create(tasks)
    return document, text


def _reads_whole_text(sql: str) -> bool:
    return "normalized_text" in CUT.sub("", sql) or '"extraction"' in sql


def test_the_document_list_never_reads_or_groups_by_the_text(office_client, big_document):
    with CaptureQueriesContext(connection) as queries:
        response = office_client.get(reverse("documents"))
    assert response.status_code == 200
    assert response.context["documents"][0].task_count == 320
    assert not [q["sql"] for q in queries if _reads_whole_text(q["sql"])]
    assert not [q["sql"] for q in queries if "GROUP BY" in q["sql"] and "normalized" in q["sql"]]
    assert {"normalized_text", "extraction"} <= response.context["documents"][
        0
    ].get_deferred_fields()


def test_the_review_page_shows_one_page_of_proposals_and_a_window_of_the_text(
    office_client, big_document
):
    document, text = big_document
    url = reverse("document-review", args=[document.pk])
    with CaptureQueriesContext(connection) as queries:
        response = office_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if _reads_whole_text(q["sql"])]
    assert len(queries) < 30
    assert html.count('class="proposal ') == views.REVIEW_PAGE_SIZE
    pages = -(-320 // views.REVIEW_PAGE_SIZE)
    assert response.context["page"].paginator.num_pages == pages
    assert response.context["source_partial"] is True
    assert len(html) < 2 * views.SOURCE_LIMIT * 3  # a window, not 4 million characters
    assert f"第 1 / {pages} 页，共 320 项" in html and 'href="?page=2"' in html

    last = office_client.get(url + f"?page={pages}").content.decode()
    task = Task.objects.get(code="320")
    marked = re.search(rf'id="span-T{task.pk}"[^>]*>([^<]*)</mark>', last).group(1)
    assert marked == text[task.source_start : task.source_end]
    assert f'id="task-{task.pk}"' in last and f"第 {pages} / {pages} 页" in last


def test_a_task_page_reads_only_the_excerpt_of_its_source(client, big_document, office_user, units):
    from duban.plans.choices import TaskStatus
    from duban.plans.models import Assignment

    _document, text = big_document
    task = Task.objects.get(code="200")
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.CONFIRMED)
    Assignment.objects.create(task=task, lead_unit=units["fgw"])
    client.force_login(office_user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("task-detail", args=[task.pk]))
    assert response.status_code == 200
    assert text[task.source_start : task.source_end] in response.content.decode()
    assert not [q["sql"] for q in queries if _reads_whole_text(q["sql"])]


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


def test_an_action_on_page_two_returns_to_page_two(office_client, big_document):
    document, _text = big_document
    task = Task.objects.get(code=str(views.REVIEW_PAGE_SIZE + 1))  # the first card of page 2
    url = reverse("document-review-task", args=[document.pk, task.pk, "reject"])
    review = reverse("document-review", args=[document.pk])
    response = office_client.post(url, {"note": "重复"}, HTTP_REFERER=f"{review}?page=2")
    assert response.status_code == 302
    assert response["Location"] == f"{review}?page=2#task-{task.pk}"
    page = office_client.get(response["Location"]).content.decode()
    assert f'id="task-{task.pk}"' in page
