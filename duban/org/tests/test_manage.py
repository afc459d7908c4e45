"""The office's manage pages: units, users and roles, the calendar, thresholds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.org.models import Membership, Unit, User
from duban.org.services import create_user, grant_role, revoke_role
from duban.supervision.models import CalendarDay, SupervisionSettings


@pytest.fixture
def office(office_user) -> Client:
    c = Client()
    c.force_login(office_user)
    return c


@pytest.fixture
def clerk(units) -> Client:
    c = Client()
    c.force_login(create_user("clerk", password="pw", unit=units["sw"], role="clerk"))
    return c


@pytest.mark.parametrize(
    "path",
    ["/manage/", "/manage/units/add/", "/manage/users/", "/manage/calendar/", "/manage/settings/"],
)
def test_only_the_office_manages(office, clerk, path):
    assert office.get(path).status_code == 200
    assert clerk.get(path).status_code == 403
    assert clerk.post(path, {"name": "x"}).status_code == 403


def test_units_are_listed_as_a_tree(office, units):
    html = office.get("/manage/").content.decode()
    assert html.index("示例市委、市政府") < html.index("市商务局")
    assert 'style="--depth: 1"' in html


def test_office_adds_and_edits_a_unit(office, units):
    r = office.post(
        "/manage/units/add/",
        {
            "name": "市数据局",
            "short_name": "数据局",
            "kind": "government",
            "parent": units["root"].pk,
            "sort_order": 5,
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    unit = Unit.objects.get(name="市数据局")
    assert unit.parent == units["root"] and unit.short_name == "数据局"
    r = office.post(
        f"/manage/units/{unit.pk}/",
        {"name": "市数据局", "kind": "government", "parent": "", "version": unit.version},
    )
    assert r.status_code == 302
    unit.refresh_from_db()
    assert unit.parent is None and unit.is_active is False


def test_unit_form_validation_in_chinese(office, units):
    r = office.post("/manage/units/add/", {"name": "市商务局", "kind": ""})
    assert r.status_code == 400
    html = r.content.decode()
    assert "已有同名单位" in html and "请选择单位类别" in html
    # A unit cannot move under its own child.
    child = Unit.objects.create(name="市商务局下属中心", kind="other", parent=units["sw"])
    r = office.post(
        f"/manage/units/{units['sw'].pk}/",
        {"name": "市商务局", "kind": "government", "parent": child.pk},
    )
    assert r.status_code == 400 and "不能是本单位或其下级单位" in r.content.decode()


def test_a_stale_unit_edit_is_409(office, units):
    unit = units["sw"]
    stale = unit.version
    unit.short_name = "商务局"
    unit.save()
    r = office.post(
        f"/manage/units/{unit.pk}/",
        {"name": "市商务局（新名）", "kind": "government", "version": stale},
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html and "市商务局（新名）" in html
    assert Unit.objects.get(pk=unit.pk).name == "市商务局"


def test_office_creates_a_user_with_a_role(office, units):
    r = office.post(
        "/manage/users/add/",
        {
            "username": "zhao",
            "display_name": "赵明",
            "unit": units["sw"].pk,
            "role": "clerk",
            "password1": "Qinglan-2026-clerk",
            "password2": "Qinglan-2026-clerk",
        },
    )
    assert r.status_code == 302
    user = User.objects.get(username="zhao")
    assert list(user.memberships.values_list("unit__name", "role")) == [("市商务局", "clerk")]
    again = office.post(
        "/manage/users/add/",
        {
            "username": "zhao",
            "unit": units["sw"].pk,
            "role": "clerk",
            "password1": "a",
            "password2": "b",
        },
    )
    assert again.status_code == 400
    html = again.content.decode()
    assert "用户名“zhao”已存在" in html and "两次输入的密码不一致" in html


def test_office_grants_and_revokes_roles_and_resets_a_password(office, units):
    user = create_user("qian", password="old-password-1", unit=units["sw"], role="clerk")
    r = office.post(
        f"/manage/users/{user.pk}/roles/add/", {"unit": units["cz"].pk, "role": "unit_leader"}
    )
    assert r.status_code == 302
    assert user.memberships.filter(unit=units["cz"], role="unit_leader").exists()
    membership = Membership.objects.get(user=user, unit=units["sw"])
    r = office.post(f"/manage/users/{user.pk}/roles/{membership.pk}/remove/")
    assert r.status_code == 302
    assert not user.memberships.filter(unit=units["sw"]).exists()
    r = office.post(
        f"/manage/users/{user.pk}/password/",
        {"password1": "Brand-new-pass-9", "password2": "Brand-new-pass-9"},
    )
    assert r.status_code == 302
    assert Client().login(username="qian", password="Brand-new-pass-9")
    short = office.post(f"/manage/users/{user.pk}/password/", {"password1": "1", "password2": "1"})
    assert short.status_code == 400


def test_revoking_the_last_office_role_drops_staff(units):
    user = create_user("o2", password="x", unit=units["office"], role="office")
    assert user.is_staff
    assert revoke_role(user, units["office"], "office") is True
    user.refresh_from_db()
    assert not user.is_staff
    assert revoke_role(user, units["office"], "office") is False
    grant_role(user, units["sw"], "clerk")


def test_calendar_exceptions(office):
    r = office.post(
        "/manage/calendar/", {"date": "2031-10-08", "is_workday": "1", "note": "国庆调休"}
    )
    assert r.status_code == 302 and r["Location"].endswith("?year=2031")
    day = CalendarDay.objects.get(date=dt.date(2031, 10, 8))
    assert day.is_workday is True
    html = office.get("/manage/calendar/?year=2031").content.decode()
    assert "2031-10-08" in html and "国庆调休" in html
    dup = office.post("/manage/calendar/", {"date": "2031-10-08", "is_workday": "0"})
    assert dup.status_code == 400 and "这一天已有调整记录" in dup.content.decode()
    assert office.post(f"/manage/calendar/{day.pk}/delete/").status_code == 302
    assert not CalendarDay.objects.exists()


def test_thresholds_form(office):
    current = SupervisionSettings.current()
    data = {
        "yellow_lag_percent": 15,
        "red_lag_percent": 40,
        "milestone_warning_days": 5,
        "missing_reports_for_red": 2,
        "indicator_yellow_gap_percent": 5,
        "indicator_red_gap_percent": 15,
        "reminder_before_days": 3,
        "chase_after_days": 1,
        "supervise_after_days": 5,
        "criticize_after_days": 15,
        "reply_days": 3,
        "version": current.version,
    }
    assert office.post("/manage/settings/", data).status_code == 302
    assert SupervisionSettings.current().yellow_lag_percent == 15
    bad = office.post(
        "/manage/settings/",
        {**data, "red_lag_percent": 10, "version": SupervisionSettings.current().version},
    )
    assert bad.status_code == 400 and "红灯阈值应大于黄灯阈值" in bad.content.decode()
    stale = office.post("/manage/settings/", {**data, "yellow_lag_percent": 20})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert SupervisionSettings.current().yellow_lag_percent == 15


def test_users_list_query_budget(office, units, django_assert_max_num_queries):
    for i in range(3):
        create_user(f"u{i}", password="x", unit=units["sw"], role="clerk")
    with CaptureQueriesContext(connection) as small:
        office.get("/manage/users/")
    for i in range(3, 30):
        create_user(f"u{i}", password="x", unit=units["cz"], role="clerk")
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = office.get("/manage/users/")
    assert "u29" in r.content.decode()
