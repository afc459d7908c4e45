"""The extract_document job on its own: where uploads may live, and what it does when they vanish."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/../../b.txt", "..", "/abs.txt"])
def test_upload_paths_stay_in_the_upload_folder(settings, tmp_path, name):
    from duban.documents.jobs import upload_path

    settings.MEDIA_ROOT = tmp_path
    try:
        path = upload_path(name)
    except ValueError:
        return
    assert path.parent == (tmp_path / "uploads").resolve()


def test_a_job_whose_upload_is_gone_says_so(db, settings, tmp_path):
    from duban.documents.jobs import extract_document_job

    settings.MEDIA_ROOT = tmp_path
    result = extract_document_job(upload="nothing.txt", filename="report.txt")
    assert result["error"] == "missing" and "重新上传" in result["message"]


def test_a_job_for_a_vanished_plan_creates_nothing(db, settings, tmp_path):
    from duban.documents.jobs import extract_document_job, upload_path
    from duban.documents.models import Document

    settings.MEDIA_ROOT = tmp_path
    path = upload_path("x.txt")
    path.parent.mkdir(parents=True)
    path.write_text("要加快推进重大项目建设。", encoding="utf-8")
    result = extract_document_job(upload="x.txt", filename="r.txt", plan_id=999)
    assert result["error"] == "no_plan" and not Document.objects.exists()
