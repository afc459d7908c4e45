"""Class 10 (in part): comments have a length limit; the password message is in Chinese."""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from duban.org.services import create_user
from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision.models import Comment
from duban.supervision.services import COMMENT_MAX_LENGTH

LONG = "很" * (COMMENT_MAX_LENGTH + 1)


def test_a_too_long_comment_is_refused_on_the_page_in_chinese(client, world):
    client.force_login(world["people"]["leader"])
    url = reverse("task-comment", args=[world["task"].pk])
    response = client.post(url, {"text": LONG})
    assert response.status_code == 400
    assert f"评论不能超过 {COMMENT_MAX_LENGTH} 字（现有 {COMMENT_MAX_LENGTH + 1} 字）" in (
        response.content.decode()
    )
    assert not Comment.objects.exists()
    ok = client.post(url, {"text": "很" * COMMENT_MAX_LENGTH})
    assert ok.status_code in (200, 302) and Comment.objects.count() == 1


def test_a_too_long_comment_is_refused_by_the_api(world):
    c = APIClient()
    c.force_authenticate(world["people"]["leader"])
    response = c.post(f"/api/tasks/{world['task'].pk}/comment/", {"text": LONG}, format="json")
    assert response.status_code == 400
    assert "评论不能超过 2000 字" in str(response.json()["error"]["message"])
    assert not Comment.objects.exists()


@pytest.mark.django_db
def test_the_password_form_speaks_chinese(client, office_user, units):
    user = create_user("pwuser", password="pw-long-enough", unit=units["sw"], role="clerk")
    client.force_login(office_user)
    url = reverse("manage-password", args=[user.pk])
    response = client.post(url, {"password1": "abc", "password2": "abc"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "密码太短：至少需要 10 个字符。" in html
    assert "too short" not in html


def test_the_password_message_has_an_english_translation():
    from django.core.exceptions import ValidationError

    from duban.org.authn import LengthValidator

    with translation.override("en"):
        with pytest.raises(ValidationError) as err:
            LengthValidator().validate("short")
    assert "10 characters" in err.value.messages[0]
