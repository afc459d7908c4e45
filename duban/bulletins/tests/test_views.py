"""Bulletin pages: generate a draft, publish it with a number, download; who may see what."""

from __future__ import annotations

import io

import docx
import pytest
from django.utils import timezone

from duban.bulletins.models import Bulletin
from duban.supervision.services import issue_notice


@pytest.mark.django_db
def test_generate_publish_download(client, office_world):
    plan, task, office, viewer, clerk, other = office_world
    client.force_login(office)
    page = client.post(
        "/bulletins/generate/",
        {"plan": plan.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
        follow=True,
    )
    assert "已生成通报草稿" in page.content.decode()
    bulletin = Bulletin.objects.get()
    assert bulletin.status == "draft" and bulletin.number == ""

    # A viewer does not see drafts.
    client.force_login(viewer)
    assert bulletin.title not in client.get("/bulletins/").content.decode()
    assert client.get(f"/bulletins/{bulletin.pk}/file.pdf").status_code == 404

    client.force_login(office)
    client.post(f"/bulletins/{bulletin.pk}/publish/")
    bulletin.refresh_from_db()
    # Numbered in the year of publication (today), whatever year the period is in.
    number = f"示督办〔{timezone.localdate().year}〕1号"
    assert bulletin.status == "published" and bulletin.number == number
    word = client.get(f"/bulletins/{bulletin.pk}/file.docx")
    assert word.status_code == 200
    text = "\n".join(
        p.text for p in docx.Document(io.BytesIO(b"".join(word.streaming_content))).paragraphs
    )
    assert number in text
    # Published bulletins are locked.
    again = client.post(
        "/bulletins/generate/",
        {"plan": plan.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
        follow=True,
    )
    assert "已印发" in again.content.decode()

    client.force_login(viewer)
    assert client.get(f"/bulletins/{bulletin.pk}/file.pdf").status_code == 200


@pytest.mark.django_db
def test_unit_users_cannot_generate_or_list(client, office_world):
    plan, task, office, viewer, clerk, other = office_world
    client.force_login(clerk)
    assert client.get("/bulletins/").status_code == 404
    r = client.post(
        "/bulletins/generate/",
        {"plan": plan.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert r.status_code == 404 and not Bulletin.objects.exists()


@pytest.mark.django_db
def test_notice_document_only_for_those_who_see_the_task(client, office_world):
    plan, task, office, viewer, clerk, other = office_world
    notice, _ = issue_notice(task, level="supervise", reason="连续两期未报送")
    client.force_login(clerk)
    r = client.get(f"/notices/{notice.pk}/document.docx")
    assert r.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert "连续两期未报送" in text and "市商务局" in text
    client.force_login(other)
    assert client.get(f"/notices/{notice.pk}/document.docx").status_code == 404
    assert client.get(f"/notices/{notice.pk}/document.pdf").status_code == 404
