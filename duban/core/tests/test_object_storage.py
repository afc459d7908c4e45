"""Files in an S3-compatible object store (issue 10, point 7: app processes keep no state).

A real S3 server (moto's, in server mode) listens on loopback; duban talks to it over HTTP
through django-storages exactly as it would to MinIO or a cloud's object storage. Each test
then checks the bucket itself, and that nothing landed in the local media folder.
"""

from __future__ import annotations

import datetime as dt
import json
import tarfile

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from duban.org.services import create_user
from duban.plans.models import Assignment, Plan, Task
from duban.supervision import services

BUCKET = "duban-files"
PERIOD = {
    "period_start": dt.date(2026, 3, 1),
    "period_end": dt.date(2026, 3, 31),
    "due_date": dt.date(2099, 3, 31),
}


@pytest.fixture(scope="module")
def s3_endpoint():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, media_root):
    """A fresh bucket, and duban's default storage pointed at it."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="duban-test",
        aws_secret_access_key="duban-test-secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "duban-test",
                "secret_key": "duban-test-secret",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }

    def keys() -> dict[str, bytes]:
        listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {
            o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listing
        }

    yield keys
    for key in keys():
        client.delete_object(Bucket=BUCKET, Key=key)
    client.delete_bucket(Bucket=BUCKET)


def _local_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


@pytest.mark.django_db
def test_evidence_goes_to_the_bucket_and_comes_back_through_the_permission_check(
    client, units, bucket, media_root
):
    plan = Plan.objects.create(title="对象存储方案")
    task = Task.objects.create(plan=plan, code="1.1", text="推进政务服务一网通办")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    other = create_user("other", password="x", unit=units["cz"], role="clerk")
    report = services.submit_report(
        task, actor=clerk, percent=20, progress="上线", files=[("验收.pdf", b"%PDF-1.4 s3")],
        **PERIOD,
    )  # fmt: skip
    evidence = report.evidence.get()
    stored = bucket()
    assert list(stored.values()) == [b"%PDF-1.4 s3"]
    assert next(iter(stored)).startswith("evidence/")
    assert _local_files(media_root) == []
    client.force_login(clerk)
    response = client.get(f"/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 s3"
    assert response["Content-Disposition"].startswith("attachment")
    client.force_login(other)
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_uploaded_report_waits_in_the_bucket_for_the_worker(
    client, office_user, bucket, media_root, settings, django_capture_on_commit_callbacks
):
    from duban.core.jobs import run_one
    from duban.documents.models import Document

    client.force_login(office_user)
    report = "二、2026年重点工作\n（一）加快建设城市更新重点工程，年内完成老旧小区改造50个。\n"
    response = client.post(
        reverse("documents"),
        {"file": SimpleUploadedFile("工作报告.txt", report.encode()), "date": "2026-02-10"},
    )
    assert response.status_code in (200, 302)
    waiting = bucket()
    assert len(waiting) == 1 and next(iter(waiting)).startswith("uploads/")
    assert _local_files(media_root) == []
    # The worker (another process, perhaps on another machine) reads it from the bucket.
    with django_capture_on_commit_callbacks(execute=True):
        job = run_one()
    assert job is not None and job.status == "done", job.error if job else None
    document = Document.objects.get()
    assert "城市更新" in document.normalized_text
    kept = bucket()
    assert not any(k.startswith("uploads/") for k in kept)  # consumed once committed
    assert [k for k in kept if k.startswith("documents/")] == [document.original.name]
    assert _local_files(media_root) == []


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_buckets_files_and_a_restore_puts_them_back(
    units, bucket, media_root, tmp_path
):
    from duban.core.backup import backup, restore

    plan = Plan.objects.create(title="备份方案")
    task = Task.objects.create(plan=plan, code="1.1", text="促进消费扩容提质")
    Assignment.objects.create(task=task, lead_unit=units["sw"])
    clerk = create_user("clerk", password="x", unit=units["sw"], role="clerk")
    services.submit_report(
        task, actor=clerk, percent=30, progress="已完成方案制定",
        files=[("佐证.pdf", b"%PDF-1.4 backup")], **PERIOD,
    )  # fmt: skip
    before = bucket()
    archive = backup(tmp_path / "b.tar.gz")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        (key,) = before
        assert tar.extractfile(f"media/{key}").read() == b"%PDF-1.4 backup"
    assert f"media/{key}" in manifest["files"]

    from django.core.files.storage import default_storage

    default_storage.delete(key)  # lost from the store
    assert bucket() == {}
    restore(archive)
    assert bucket() == before
    assert _local_files(media_root) == []
