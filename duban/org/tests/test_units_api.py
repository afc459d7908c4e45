"""Units over the API: everyone reads the directory; the office adds and edits units, with
If-Match against a stale edit; the audit log names who did it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from duban.core.models import AuditEntry
from duban.org.models import Unit
from duban.org.services import create_user

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_the_office_adds_and_edits_units(units, office_user):
    c = api(office_user)
    made = c.post(
        "/api/units/",
        {
            "name": "市数据局",
            "short_name": "数据局",
            "kind": "government",
            "parent": units["root"].pk,
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    unit = Unit.objects.get(name="市数据局")
    assert AuditEntry.objects.filter(
        object_type="org.unit", object_id=str(unit.pk), action="create", actor=office_user
    ).exists()
    version = made.json()["version"]
    renamed = c.patch(
        f"/api/units/{unit.pk}/",
        {"short_name": "市数据资源局"},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert renamed.status_code == 200 and renamed.json()["short_name"] == "市数据资源局"
    stale = c.patch(
        f"/api/units/{unit.pk}/",
        {"short_name": "旧名"},
        format="json",
        HTTP_IF_MATCH=f'"{version}"',
    )
    assert stale.status_code == 412
    assert Unit.objects.get(pk=unit.pk).short_name == "市数据资源局"
    assert c.patch(f"/api/units/{unit.pk}/", {"parent": unit.pk}, format="json").status_code == 400


def test_others_read_but_never_write(units, office_user):
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    before = Unit.objects.count()
    assert api(clerk).get("/api/units/").status_code == 200
    assert api(clerk).post("/api/units/", {"name": "私设单位", "kind": "other"}).status_code == 403
    assert (
        api(clerk)
        .patch(f"/api/units/{units['sw'].pk}/", {"name": "改名"}, format="json")
        .status_code
        == 403
    )
    duplicate = api(office_user).post(
        "/api/units/", {"name": units["sw"].name, "kind": "government"}, format="json"
    )
    assert duplicate.status_code == 400
    assert Unit.objects.count() == before
