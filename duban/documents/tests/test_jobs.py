"""The extract_document job on its own: where uploads may live, and what it does when they vanish."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "a/../../b.txt", "..", "/abs.txt", "0" * 32 + "/../x", ""]
)
def test_an_upload_token_never_names_a_file_outside_the_folder(name):
    from duban.core import uploads

    assert not uploads.is_token(name)
    with pytest.raises(ValueError):
        uploads.name_of(name)
    assert not uploads.exists(name)
    uploads.delete(name)  # refused quietly: nothing outside the folder is touched


def test_a_new_token_keeps_only_a_plain_suffix():
    from duban.core import uploads

    assert uploads.new_token(".XLSX").endswith(".xlsx")
    assert uploads.is_token(uploads.new_token(".tar/../../x"))
    assert "." not in uploads.new_token(".tar/../../x")


def test_a_job_whose_upload_is_gone_says_so(db, settings, tmp_path):
    from duban.plans.jobs import extract_document_job

    settings.MEDIA_ROOT = tmp_path
    result = extract_document_job(upload="0" * 32 + ".txt", filename="report.txt")
    assert result["error"] == "missing" and "重新上传" in result["message"]


def test_a_job_for_a_vanished_plan_creates_nothing(db, settings, tmp_path):
    from duban.core import uploads
    from duban.documents.models import Document
    from duban.plans.jobs import extract_document_job

    settings.MEDIA_ROOT = tmp_path
    token = uploads.new_token(".txt")
    uploads.save(token, "要加快推进重大项目建设。".encode())
    result = extract_document_job(upload=token, filename="r.txt", plan_id=999)
    assert result["error"] == "no_plan" and not Document.objects.exists()
    assert not uploads.exists(token)
