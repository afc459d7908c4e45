"""Documentation moves with the code: every setting and API endpoint is documented."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import get_resolver

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "duban"


def test_every_duban_environment_variable_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    docs = readme + "".join(p.read_text(encoding="utf-8") for p in (REPO / "docs").glob("*.md"))
    used = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        used |= set(re.findall(r"\b(DUBAN_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    # Names that are not environment variables (Django settings of our own).
    used -= {n for n in used if not re.search(rf"environ[^\n]*{n}|env_bool\(\s*\"{n}", _src())}
    missing = sorted(n for n in used if f"`{n}`" not in docs)
    assert not missing, f"document these settings in README.md or docs/: {missing}"


def _src() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if "tests" not in p.parts
    )


def test_every_api_endpoint_is_in_docs_api_md():
    documented = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    from duban.project import api_urls

    missing = []
    for pattern in get_resolver(api_urls).url_patterns:
        for sub in getattr(pattern, "url_patterns", [pattern]):
            route = str(sub.pattern)
            name = route.split("/")[0].lstrip("^").rstrip("$")
            if not name or name.startswith("(") or "format" in route or name == ".*":
                continue  # the router's own, and the catch-all JSON 404
            if f"/api/{name}" not in documented:
                missing.append(route)
    # Each action route (…/{id}/approve/) must be listed too.
    from duban.project.api_urls import router

    for prefix, viewset, _basename in router.registry:
        for action in viewset.get_extra_actions():
            item = "{id}/" if action.detail else ""
            path = f"/api/{prefix}/{item}{action.url_path}/"
            if path not in documented:
                missing.append(path)
    assert not missing, f"document these endpoints in docs/api.md: {sorted(set(missing))}"
