"""The login page in a real browser: Chinese glyphs render, the form works, nav follows roles."""

from __future__ import annotations

import pytest

from duban.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_in_chromium_shows_the_workbench(page, live_server, units):
    from duban.org.services import create_user

    create_user("office", password="pw-office-1", unit=units["office"], role="office")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.title().startswith("登录")
    # A wrong password keeps the user on the form with a message.
    page.get_by_label("用户名").fill("office")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码不正确")

    login(page, live_server, "office", "pw-office-1")
    assert page.get_by_role("heading", name="工作台").is_visible()
    nav = page.get_by_role("navigation", name="主导航").inner_text()
    assert "工作台" in nav
    # The CJK text is drawn with a real font: the heading has a sensible width per glyph.
    box = page.get_by_role("heading", name="工作台").bounding_box()
    assert box is not None and box["width"] > 40


def test_a_clerk_does_not_get_office_pages_in_the_navigation(page, live_server, units):
    from duban.org.services import create_user

    create_user("clerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    login(page, live_server, "clerk", "pw-clerk-1")
    nav = page.get_by_role("navigation", name="主导航").inner_text()
    assert "工作台" in nav and "管理" not in nav and "文件审核" not in nav
