"""The login page, the landing page behind it, and the health check."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_login_page_then_home(client, office_user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert client.get("/").status_code == 302
    bad = client.post("/accounts/login/", {"username": "office", "password": "wrong"})
    assert "用户名或密码不正确" in bad.content.decode()
    ok = client.post("/accounts/login/", {"username": "office", "password": "pw-office-1"})
    assert ok.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "市委督查室 · 督查室" in home.content.decode()


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    from django.db import connection

    data = client.get("/healthz").json()
    assert data == {"status": "ok", "version": data["version"], "db": connection.vendor}


@pytest.mark.django_db
def test_404_page_is_ours_and_says_nothing_about_existence(client, office_user, settings):
    settings.DEBUG = False
    client.force_login(office_user)
    page = client.get("/tasks/999999/")
    assert page.status_code == 404
    assert "不存在，或不在您的权限范围内" in page.content.decode()


@pytest.mark.django_db
def test_the_workbench_counts_only_the_users_own_tasks(client, units):
    from duban.org.services import create_user
    from duban.plans.models import Assignment, Plan, Task

    plan = Plan.objects.create(title="计数方案")
    mine = Task.objects.create(plan=plan, code="1", text="本单位任务", light="red")
    other = Task.objects.create(plan=plan, code="2", text="别的单位任务", light="red")
    Assignment.objects.create(task=mine, lead_unit=units["sw"])
    Assignment.objects.create(task=other, lead_unit=units["cz"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert "红灯 1" in html and "红灯 2" not in html
