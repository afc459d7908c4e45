"""What a unit owes, asked of the service directly (the unit desk draws the same thing).

Today is Monday 2026-03-16; task 1.1 (led by 市商务局, 市财政局 co-operating) reports weekly
on Fridays from 2026-03-01.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

from duban.plans.tests.test_views import frozen, world  # noqa: F401 - fixtures
from duban.supervision import owed, services
from duban.supervision.tests.test_desk import submit


def _periods(items) -> list[str]:
    return [item["period"].period_end.isoformat() for item in items]


def test_each_unit_owes_its_late_and_coming_periods(world):
    (section,) = owed.unit_sections(world["people"]["clerk"], today=dt.date(2026, 3, 16))
    assert section["unit"] == world["units"]["sw"]
    assert _periods(section["due_now"]) == ["2026-03-06", "2026-03-13"]
    assert _periods(section["due_soon"]) == ["2026-03-20"]
    assert [t["role"] for t in section["tasks"]] == ["lead"]
    assert section["is_leader"] is False and section["approvals"] == []


def test_a_sent_report_pays_the_debt_and_waits_for_the_leader(world):
    report = submit(world)
    (clerk_view,) = owed.unit_sections(world["people"]["clerk"], today=dt.date(2026, 3, 16))
    assert _periods(clerk_view["due_now"]) == ["2026-03-06"]
    (leader_view,) = owed.unit_sections(world["people"]["unitlead"], today=dt.date(2026, 3, 16))
    assert leader_view["approvals"] == [report]


def test_a_period_recorded_missing_stays_owed_after_the_schedule_changes(world):
    services.run_chasing()  # records 03-06 and 03-13 as missing
    services.set_reporting_schedule(
        world["task"],
        actor=world["people"]["office"],
        frequency="monthly",
        day=25,
        starts_on=dt.date(2026, 3, 1),
    )
    (section,) = owed.unit_sections(world["people"]["clerk"], today=dt.date(2026, 3, 16))
    assert _periods(section["due_now"]) == ["2026-03-06", "2026-03-13"]
    assert {item["status"] for item in section["due_now"]} == {"missing"}


def test_people_of_no_unit_owe_nothing(world):
    assert owed.unit_sections(world["people"]["office"]) == []
    assert owed.unit_sections(world["people"]["viewer"]) == []
