"""A Python client generated from our schema (openapi-python-client) walks the whole loop
against a running server: upload a report, confirm the plan, file a report as a clerk,
approve it as the unit leader, read the light. If the schema and the answers disagree, the
generated models fail to parse them, and the walk stops."""

from __future__ import annotations

import importlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from duban.org.services import create_user
from duban.org.tokens import issue_token
from duban.plans.models import Task

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REPORT = """示例市2026年政府工作报告

二、2026年重点工作

（一）扩大有效投资。全年实施市级重点项目200个，完成投资1500亿元。
（二）推进城市更新。改造老旧小区50个，新建城市公园10个。
"""


def _generate(tmp_path: Path) -> object:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = tmp_path / "schema.json"
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema.write_text(json.dumps(json.loads(OpenApiJsonRenderer().render(document))))
    out = tmp_path / "duban_client"
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        [
            os.path.join(bin_dir, "openapi-python-client"),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(out),
            "--meta",
            "none",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module("duban_client")
    finally:
        sys.path.remove(str(tmp_path))


def test_a_generated_client_walks_the_loop(live_server, tmp_path, units, settings, media_root):
    settings.DUBAN_INLINE_JOBS = True
    settings.ALLOWED_HOSTS = ["*"]
    office = create_user("office", password="x", unit=units["office"], role="office")
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    boss = create_user("boss", password="x", unit=units["sw"], role="unit_leader")
    keys = {u: issue_token(u, scope="write", days=1)[1] for u in (office, clerk, boss)}

    client = _generate(tmp_path)
    from duban_client import AuthenticatedClient
    from duban_client.api.documents import documents_create
    from duban_client.api.jobs import jobs_retrieve
    from duban_client.api.plans import plans_confirm_create
    from duban_client.api.reports import reports_approve_create, reports_retrieve
    from duban_client.api.tasks import tasks_lead_create, tasks_report_create, tasks_retrieve
    from duban_client.models import LeadRequest, ReportInputRequest, UploadRequest
    from duban_client.types import File

    assert client.__name__ == "duban_client"

    def as_(user):
        return AuthenticatedClient(base_url=live_server.url, token=keys[user], prefix="Token")

    # The office uploads a report; the job reads it (inline here) into a draft plan.
    upload = UploadRequest(
        file=File(payload=io.BytesIO(REPORT.encode()), file_name="政府工作报告.txt"),
    )
    upload.additional_properties["date"] = "2026-02-10"
    job = documents_create.sync(client=as_(office), body=upload)
    polled = jobs_retrieve.sync(id=job.id, client=as_(office))
    assert polled.status.value == "done", polled
    plan_id = polled.result["plan"]
    first = Task.objects.filter(plan_id=plan_id).order_by("sort_order").first()

    # The office chooses the lead unit, then confirms and assigns.
    chosen = tasks_lead_create.sync(
        id=first.pk, client=as_(office), body=LeadRequest(unit=units["sw"].pk)
    )
    assert chosen.id == first.pk
    confirmed = plans_confirm_create.sync(id=plan_id, client=as_(office))
    assert confirmed.status.value == "confirmed" and first.pk in confirmed.assigned

    # The lead unit's clerk files a report; the unit leader approves it.
    filed = tasks_report_create.sync(
        id=first.pk,
        client=as_(clerk),
        body=ReportInputRequest(percent=30, progress="已完成前期手续，开工项目80个"),
        idempotency_key="walk-1",
    )
    assert filed.percent == 30 and filed.status.value == "submitted"
    approved = reports_approve_create.sync(id=filed.id, client=as_(boss))
    assert approved.status.value == "unit_approved"
    again = reports_retrieve.sync(id=filed.id, client=as_(office))
    assert again.id == filed.id and again.status == approved.status

    # And the light, as the office reads it.
    task = tasks_retrieve.sync(id=first.pk, client=as_(office))
    stored = Task.objects.get(pk=first.pk)
    assert task.light.value == stored.light and task.light.value in ("green", "yellow", "red")
    assert task.status.value == stored.status
