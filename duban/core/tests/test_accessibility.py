"""Every form control on the main pages has a label a screen reader can announce."""

from __future__ import annotations

import lxml.html
import pytest

from duban.demo.loader import DEMO_PASSWORD, load_demo

PAGES = {
    "office": [
        "/",
        "/battlemap/",
        "/roadmap/",
        "/documents/",
        "/office/",
        "/bulletins/",
        "/taskbook/",
        "/manage/",
        "/manage/users/",
        "/manage/settings/",
        "/manage/calendar/",
        "/manage/calendar/notice/",
        "/assessment/",
        "/projects/",
        "/projects/new/",
        "/projects/import/",
        "/indicators/",
    ],
    "clerk": ["/", "/desk/", "/roadmap/", "/projects/", "/indicators/"],
}


def unlabeled_controls(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    labelled = {label.get("for") for label in tree.iter("label") if label.get("for")}
    missing = []
    for el in tree.iter("input", "select", "textarea"):
        kind = (el.get("type") or "").lower()
        if kind in {"hidden", "submit", "button", "reset", "image"}:
            continue
        if el.get("aria-label") or el.get("aria-labelledby") or el.get("title"):
            continue
        if el.get("id") and el.get("id") in labelled:
            continue
        if any(a.tag == "label" for a in el.iterancestors()):
            continue
        missing.append(lxml.html.tostring(el, encoding="unicode")[:120])
    return missing


@pytest.mark.django_db
@pytest.mark.parametrize("username", sorted(PAGES))
def test_form_controls_have_labels(client, media_root, username):
    summary = load_demo(lifelike=False)
    assert summary["tasks"] > 0
    from duban.plans.models import Task

    client.login(username=username, password=DEMO_PASSWORD)
    task = Task.objects.filter(assignment__lead_unit__name="市商务局").first()
    pages = [*PAGES[username], f"/tasks/{task.pk}/"]
    if username == "clerk":
        pages.append(f"/desk/report/{task.pk}/")
    problems = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        missing = unlabeled_controls(response.content.decode())
        if missing:
            problems[path] = missing
    assert problems == {}


def test_the_checker_finds_an_unlabeled_field():
    html = (
        '<form><label for="a">甲</label><input id="a" name="a">'
        '<label>乙 <select name="b"></select></label>'
        '<input name="c" aria-label="丙"><input type="hidden" name="d">'
        '<textarea name="e"></textarea></form>'
    )
    missing = unlabeled_controls(html)
    assert len(missing) == 1 and 'name="e"' in missing[0]
