"""Named people of the example city for the instruction tests, set up through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.org.services import create_user


@pytest.fixture
def people(units, office_user):
    return {
        "office": office_user,
        "sw_clerk": create_user("sw_clerk", password="pw-x-1", unit=units["sw"], role="clerk"),
        "sw_lead": create_user("sw_lead", password="pw-x-1", unit=units["sw"], role="unit_leader"),
        "cz_clerk": create_user("cz_clerk", password="pw-x-1", unit=units["cz"], role="clerk"),
        "fgw_clerk": create_user("fgw_clerk", password="pw-x-1", unit=units["fgw"], role="clerk"),
        "leader": create_user("leader", password="pw-x-1", unit=units["root"], role="leader"),
    }


@pytest.fixture
def register(units, people):
    """Register an instruction led by 市商务局 with 市财政局 co-handling, as the office."""
    from duban.instructions import services

    def make(**overrides):
        today = dt.date.today()
        values = {
            "actor": people["office"],
            "leader_name": "王明",
            "leader_title": "市长",
            "instructed_on": today - dt.timedelta(days=10),
            "source_title": "关于外贸企业订单情况的调研报告",
            "source_number": "商务信息〔2026〕12期",
            "content": "请商务局牵头，会同财政局研究稳外贸支持措施，两周内报我。",
            "reply_by": today + dt.timedelta(days=4),
            "lead_unit": units["sw"],
            "co_units": [units["cz"]],
        }
        values.update(overrides)
        return services.register_instruction(**values)

    return make
