"""The error handler's sentences for the failures a clerk cannot fix (``handler500``).

The fault tests produce these for real (a stopped PostgreSQL, a full tmpfs); this pins
the cases they cannot reach deterministically: the database's own disk filling up, where
SQLite says "database or disk is full" and PostgreSQL "No space left on device".
"""

from __future__ import annotations

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from duban.project.views import server_error


def _answer(exc: Exception, path: str):
    try:
        raise exc
    except Exception:
        return server_error(RequestFactory().get(path))


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("database or disk is full"),
        OperationalError('could not extend file "base/16384/2619": No space left on device'),
    ],
)
def test_a_database_on_a_full_disk_is_a_507_with_a_sentence(exc):
    page = _answer(exc, "/desk/")
    assert page.status_code == 507 and "服务器存储空间已满" in page.content.decode()
    api = _answer(exc, "/api/tasks/")
    assert api.status_code == 507
    assert json.loads(api.content)["error"]["code"] == "storage_full"


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("connection to server at 127.0.0.1 failed: Connection refused"),
        InterfaceError("connection already closed"),
        OperationalError("database is locked"),
    ],
)
def test_a_database_that_does_not_answer_is_a_503(exc):
    page = _answer(exc, "/desk/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "数据库暂时无法连接" in page.content.decode()
    api = json.loads(_answer(exc, "/api/tasks/").content)
    assert api["error"]["code"] == "unavailable"


def test_anything_else_is_the_plain_500_and_the_api_keeps_its_error_shape():
    page = _answer(ValueError("a bug"), "/desk/")
    assert page.status_code == 500 and "系统出错了" in page.content.decode()
    api = _answer(ValueError("a bug"), "/api/tasks/")
    assert api.status_code == 500
    error = json.loads(api.content)["error"]
    assert error["code"] == "server_error" and "系统出错了" in error["message"]
    assert "a bug" not in page.content.decode() + api.content.decode()
