"""The task page keeps its drawn body (duban/core/pagecache.py) and never shows a stale one.

Each test first draws the page once so that a copy is kept, then changes something the page
shows by the path real work takes (a service, the nightly recompute's bulk update, a new
membership, midnight) and checks that the next answer shows the change.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.core import pagecache
from duban.org.services import create_user
from duban.plans.models import Task
from duban.plans.services import assign_task
from duban.supervision.services import add_comment, submit_report


@pytest.fixture
def assigned(task, units, office_user):
    assign_task(task, lead_unit=units["fgw"], co_units=[units["sw"]], actor=office_user)
    return task


def _page(client: Client, task: Task) -> str:
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _fixed(html: str) -> str:
    """The page without what differs on every answer: CSRF tokens (masked afresh each
    time) and the script nonce."""
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)
    html = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1", html)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def _kept() -> int:
    """How many page bodies and lists are kept (files of the file-based cache)."""
    return len(caches["pages"]._list_cache_files())


@pytest.mark.django_db
def test_a_second_look_reuses_the_body_and_asks_the_database_far_less(
    client, assigned, office_user
):
    client.force_login(office_user)
    with CaptureQueriesContext(connection) as first:
        body = _page(client, assigned)
    assert _kept() >= 1
    with CaptureQueriesContext(connection) as second:
        again = _page(client, assigned)
    assert _fixed(again) == _fixed(body)
    assert len(second.captured_queries) <= len(first.captured_queries) // 3


@pytest.mark.django_db
def test_an_audited_change_shows_at_once(client, assigned, office_user):
    client.force_login(office_user)
    assert "请尽快报送一季度清单" not in _page(client, assigned)
    add_comment(assigned, actor=office_user, text="请尽快报送一季度清单")
    assert "请尽快报送一季度清单" in _page(client, assigned)


@pytest.mark.django_db
def test_a_report_filed_by_a_unit_shows_on_the_office_page(client, assigned, units, office_user):
    clerk = create_user("clerk", password="pw-clerk-1", unit=units["fgw"], role="unit_leader")
    client.force_login(office_user)
    assert "完成项目储备四十个" not in _page(client, assigned)
    submit_report(
        assigned,
        actor=clerk,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        due_date=dt.date(2026, 1, 25),
        percent=30,
        progress="完成项目储备四十个",
    )
    assert "完成项目储备四十个" in _page(client, assigned)


@pytest.mark.django_db
def test_the_nightly_recompute_bypasses_the_audit_log_and_still_shows(
    client, assigned, office_user
):
    client.force_login(office_user)
    _page(client, assigned)
    # What the recompute does: one bulk UPDATE, no audit row.
    Task.objects.filter(pk=assigned.pk).update(light="red", light_reason="已逾期十二天")
    assert "已逾期十二天" in _page(client, assigned)


@pytest.mark.django_db
def test_people_with_other_grants_never_get_the_offices_copy(client, assigned, units, office_user):
    client.force_login(office_user)
    office_body = _page(client, assigned)
    assert f'"/tasks/{assigned.pk}/assign/"' in office_body
    co_clerk = create_user("sw-clerk", password="pw-clerk-2", unit=units["sw"], role="clerk")
    lead_clerk = create_user("fgw-clerk", password="pw-clerk-3", unit=units["fgw"], role="clerk")
    submit_report(
        assigned,
        actor=lead_clerk,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 1, 31),
        due_date=dt.date(2026, 1, 25),
        percent=10,
        progress="牵头单位尚未提交的草稿内容",
        draft=True,
    )
    office_body = _page(client, assigned)
    assert "牵头单位尚未提交的草稿内容" in office_body  # the office sees every draft
    other = Client()
    other.force_login(co_clerk)
    co_body = _page(other, assigned)
    assert "牵头单位尚未提交的草稿内容" not in co_body
    assert f'"/tasks/{assigned.pk}/assign/"' not in co_body


@pytest.mark.django_db
def test_two_office_users_share_one_copy_and_each_posts_with_their_own_token(
    assigned, units, office_user
):
    second = create_user("office2", password="pw-office-2", unit=units["office"], role="office")
    first_client = Client(enforce_csrf_checks=True)
    first_client.force_login(office_user)
    _page(first_client, assigned)
    kept = _kept()
    other = Client(enforce_csrf_checks=True)
    other.force_login(second)
    body = _page(other, assigned)
    assert _kept() == kept  # served from the first one's copy
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    response = other.post(
        f"/tasks/{assigned.pk}/comment/", {"csrfmiddlewaretoken": token, "text": "已阅，抓紧推进"}
    )
    assert response.status_code == 302
    assert "已阅，抓紧推进" in _page(other, assigned)


@pytest.mark.django_db
def test_a_new_role_changes_what_the_page_offers(client, assigned, units):
    viewer = create_user("watcher", password="pw-view-1", unit=units["office"], role="viewer")
    client.force_login(viewer)
    assert f'"/tasks/{assigned.pk}/assign/"' not in _page(client, assigned)
    from duban.org.models import Membership

    Membership.objects.create(user=viewer, unit=units["office"], role="office")
    client.force_login(viewer)  # a fresh request: grants are read once per request
    assert f'"/tasks/{assigned.pk}/assign/"' in _page(client, assigned)


@pytest.mark.django_db
def test_midnight_redraws_the_page(client, assigned, office_user, monkeypatch):
    from django.utils import timezone

    client.force_login(office_user)
    _page(client, assigned)
    kept = _kept()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: tomorrow)
    _page(client, assigned)
    assert _kept() == kept + 1


@pytest.mark.django_db
def test_a_failed_form_is_never_kept(client, assigned, office_user):
    client.force_login(office_user)
    response = client.post(f"/tasks/{assigned.pk}/comment/", {"text": ""})
    assert response.status_code == 400
    assert _kept() <= 1  # at most the office's unit list (pagecache.memo), no page


@pytest.mark.django_db
def test_the_cache_can_be_turned_off(client, assigned, office_user, settings):
    settings.DUBAN_PAGE_CACHE_SECONDS = 0
    client.force_login(office_user)
    _page(client, assigned)
    _page(client, assigned)
    assert _kept() == 0


def _hit_queries(client: Client, task: Task) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _page(client, task)
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_a_kept_page_costs_five_reads_whatever_the_task_holds(client, assigned, office_user):
    # The whole page is kept, header and navigation included: a hit reads the session, the
    # user, their grants, the task (for the access check and its state) and the audit
    # generation, and nothing else, however many reports and notices the task has.
    client.force_login(office_user)
    _page(client, assigned)
    assert len(_hit_queries(client, assigned)) == 5
    for n in range(3):
        add_comment(assigned, actor=office_user, text=f"第{n}次批示")
    _page(client, assigned)
    assert len(_hit_queries(client, assigned)) == 5


@pytest.mark.django_db
def test_each_viewer_of_a_shared_copy_sees_their_own_name_escaped(assigned, units, office_user):
    second_user = create_user(
        "office3", password="pw-office-3", unit=units["office"], role="office"
    )
    second_user.display_name = "<b>督查室</b>小李"
    second_user.save()
    first = Client()
    first.force_login(office_user)
    first_page = _page(first, assigned)
    kept = _kept()
    second = Client()
    second.force_login(second_user)
    second_page = _page(second, assigned)
    assert _kept() == kept  # the first one's copy
    assert f'<span class="who">{office_user}</span>' in first_page
    assert '<span class="who">&lt;b&gt;督查室&lt;/b&gt;小李</span>' in second_page
    assert f'<span class="who">{office_user}</span>' not in second_page
    assert "<b>督查室</b>" not in second_page


@pytest.mark.django_db
def test_each_answer_carries_the_nonce_its_policy_allows(client, assigned, office_user):
    client.force_login(office_user)
    nonces = []
    for _ in range(2):
        response = client.get(f"/tasks/{assigned.pk}/")
        page_nonces = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
        policy = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        assert page_nonces == {policy}
        nonces.append(policy)
    assert nonces[0] != nonces[1]


@pytest.mark.django_db
def test_a_message_after_a_form_shows_once_on_a_kept_page(client, assigned, office_user):
    client.force_login(office_user)
    _page(client, assigned)
    response = client.post(f"/tasks/{assigned.pk}/comment/", {"text": "按期推进"}, follow=True)
    assert response.status_code == 200
    assert "评论已发表。" in response.content.decode()
    assert "按期推进" in response.content.decode()
    again = _page(client, assigned)
    assert "评论已发表。" not in again
    assert "按期推进" in again


@pytest.mark.django_db
def test_the_language_has_its_own_copy(client, assigned, office_user):
    client.force_login(office_user)
    assert '<html lang="zh-hans">' in _page(client, assigned)
    client.cookies["django_language"] = "en"
    english = _page(client, assigned)
    assert '<html lang="en">' in english
    assert "Workbench" in english


def test_the_in_process_copies_are_bounded_by_size_and_keep_the_recent():
    recent = pagecache._Recent(200)
    recent.put("a", "x" * 40, 60)
    recent.put("b", "y" * 40, 60)
    recent.put("a", "x" * 40, 60)  # served again: counted once, now the more recent
    assert recent.held == 80
    recent.put("c", "z" * 50, 60)
    recent.put("d", "w" * 50, 60)
    recent.put("e", "v" * 30, 60)  # over the budget: the least recent ("b") goes
    assert recent.get("b") is None and recent.get("a") == "x" * 40 and recent.held == 170
    recent.put("huge", "h" * 51, 60)  # over a quarter of the budget: never held
    assert recent.get("huge") is None and recent.held == 170
    recent.put("old", "o", -1)  # expired copies are dropped when asked for
    assert recent.get("old") is None and recent.held == 170
    recent.clear()
    assert recent.held == 0 and recent.get("a") is None
