"""Class 7 (second half): ``/healthz`` asks the database a real question."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_healthz_is_ok_on_a_sound_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_when_the_tables_do_not_answer(client):
    # Inside the test's transaction: rolled back afterwards, on SQLite and PostgreSQL.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE plans_task RENAME TO plans_task_gone")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
