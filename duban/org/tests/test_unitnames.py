"""The one unit-name matcher (duban/org/unitnames.py): exact for the review page and the
command line, loose for spreadsheets; the caller says which."""

from __future__ import annotations

import pytest

from duban.org.models import Unit
from duban.org.unitnames import EXACT, LOOSE, UnitNames, match_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(units):
    units["fgw"].aliases = ["发展改革委"]
    units["fgw"].save()
    # Another unit whose short name is 市商务局's full name: the full name wins.
    units["shadow"] = Unit.objects.create(
        name="市商务综合执法支队", short_name="市商务局", kind="agency", parent=units["root"]
    )
    units["old"] = Unit.objects.create(
        name="市粮食局", kind="government", parent=units["root"], is_active=False
    )
    return units


@pytest.mark.parametrize(
    "written, exact, loose",
    [
        ("市发展和改革委员会", "fgw", "fgw"),  # full name
        (" 市发改委 ", "fgw", "fgw"),  # short name, spaces trimmed
        ("发展改革委", "fgw", "fgw"),  # alias
        ("发改委", None, "fgw"),  # the engine's key: only loosely
        ("青澜市财政局", None, "cz"),  # a place prefix
        ("市财政局（市国资委）", None, "cz"),  # a note in brackets
        ("市商务局、市财政局", None, "sw"),  # the first of a list leads
        ("市财政局等", None, "cz"),  # "and others"
        ("市商务局", "sw", "sw"),  # a full name beats another unit's short name
        ("市交通运输局", None, None),
        ("", None, None),
    ],
)
def test_exact_and_loose_read_the_same_names_differently(city, written, exact, loose):
    names = UnitNames()
    assert names.match(written, mode=EXACT) == (city[exact] if exact else None)
    assert names.match(written, mode=LOOSE) == (city[loose] if loose else None)


def test_inactive_units_only_when_asked_for(city):
    assert match_unit("市粮食局", mode=EXACT) is None
    assert match_unit("市粮食局", mode=EXACT, units=Unit.objects.all()) == city["old"]


def test_the_mode_is_not_guessed(city):
    with pytest.raises(ValueError):
        UnitNames().match("市财政局", mode="fuzzy")  # type: ignore[arg-type]


def test_many_loose_questions_cost_one_query(city, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = UnitNames()
        for written in ["发改委", "市财政局等", "发改委", "市商务局"] * 50:
            names.match(written, mode=LOOSE)
