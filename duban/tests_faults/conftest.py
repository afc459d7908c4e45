"""A migrated template per session, and a fresh site (home and database) per test."""

from __future__ import annotations

import pytest

from duban.tests_faults.harness import Site, Template


@pytest.fixture(scope="session")
def site_template(tmp_path_factory):
    template = Template.create(tmp_path_factory.mktemp("faults"))
    yield template
    template.drop()


@pytest.fixture
def site(tmp_path, site_template):
    s = Site.create(tmp_path, site_template)
    yield s
    s.close()
