"""The fast select widgets draw exactly what Django's own draw, only without templates."""

from __future__ import annotations

import re

import pytest
from django import forms

from duban.core.widgets import FastSelect, FastSelectMultiple

CHOICES = [
    ("", "请选择"),
    ("系统建议", [(3, "市住建局（0.8）"), (7, 'A&B <script>"x"</script>')]),
    ("全部单位", [(1, "市发改委"), (3, "市住建局"), (7, 'A&B <script>"x"</script>')]),
]
FLAT = [(1, "市发改委"), (3, "市住建局"), (7, "O'Brien & <b>")]


def _same(html: str) -> str:
    # Django's templates put line breaks between tags; nothing else differs.
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", 3, "7"])
def test_single_select_matches_django(value):
    attrs = {"id": "id_lead", "required": True, "aria-describedby": "h"}
    ours = FastSelect(choices=CHOICES).render("lead", value, attrs)
    theirs = forms.Select(choices=CHOICES).render("lead", value, attrs)
    assert _same(ours) == _same(theirs)
    assert "<script>" not in ours  # escaped like Django does


@pytest.mark.parametrize("value", [None, [], [3], ["1", "7"]])
def test_multiple_select_matches_django(value):
    attrs = {"id": "id_co", "size": 6}
    ours = FastSelectMultiple(choices=FLAT).render("co", value, attrs)
    theirs = forms.SelectMultiple(choices=FLAT).render("co", value, attrs)
    assert _same(ours) == _same(theirs)


def test_the_assignment_form_uses_them_and_keeps_its_choices(db):
    from duban.org.models import Unit
    from duban.plans.forms import AssignForm

    units = [Unit.objects.create(name=f"单位{i}", kind="government") for i in range(3)]
    form = AssignForm(units=units, suggestions=[{"unit": "单位1", "score": 0.9}])
    html = str(form["lead_unit"]) + str(form["co_units"])
    assert isinstance(form.fields["lead_unit"].widget, FastSelect)
    assert f'<optgroup label="系统建议"><option value="{units[1].pk}">单位1（0.9）</option>' in html
    assert html.count("<option") == 1 + 1 + 3 + 3
