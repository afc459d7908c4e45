"""Shared fixtures: named example units and users, set up through the services."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.5 s a password; the tests check permissions, not PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def units(db):
    from duban.org.models import Unit

    root = Unit.objects.create(name="示例市委、市政府", kind="root")
    return {
        "root": root,
        "office": Unit.objects.create(name="市委督查室", kind="office", parent=root),
        "fgw": Unit.objects.create(
            name="市发展和改革委员会", short_name="市发改委", kind="government", parent=root
        ),
        "sw": Unit.objects.create(name="市商务局", kind="government", parent=root),
        "cz": Unit.objects.create(name="市财政局", kind="government", parent=root),
    }


@pytest.fixture
def office_user(units):
    from duban.org.services import create_user

    return create_user("office", password="pw-office-1", unit=units["office"], role="office")


@pytest.fixture
def plan(db):
    from duban.plans.models import Plan

    return Plan.objects.create(title="示例方案", year=2026)


@pytest.fixture
def task(plan):
    from duban.plans.models import Task

    return Task.objects.create(plan=plan, code="1.1", text="加快建设城市更新重点工程")
