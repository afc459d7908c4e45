"""A small ledger whose every figure is known: two units, three projects, a few months.

Last year's ledger (every month of it has passed, whatever today's date):

    P-01 产业项目  市发改委  plan 1000  months 1: 100, 2: 150   → 250, 25.0 %
    P-02 基础设施  市发改委  plan  400  month 1: 100            → 100, 25.0 %
    P-03 产业项目  市商务局  plan  500  no month yet            →   0,  0.0 %
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

YEAR = timezone.localdate().year - 1


def png(width: int = 8, height: int = 6, fmt: str = "PNG") -> bytes:
    """A real little image (Pillow writes it)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 60, 30)).save(out, fmt)
    return out.getvalue()


@pytest.fixture
def ledger(units, office_user, media_root):
    from duban.org.services import create_user
    from duban.projects import services

    users = {
        "office": office_user,
        "clerk": create_user("clerk", password="pw-clerk-1", unit=units["fgw"], role="clerk"),
        "lead": create_user(
            "unitlead", password="pw-lead-1", unit=units["fgw"], role="unit_leader"
        ),
        "clerk2": create_user("clerk2", password="pw-clerk-2", unit=units["sw"], role="clerk"),
        "viewer": create_user("viewer", password="pw-viewer-1", unit=units["root"], role="viewer"),
    }
    sectors = {s.name: s for s in services.sectors()}

    def project(code, name, sector, unit, plan, total):
        return services.create_project(
            actor=office_user,
            year=YEAR,
            code=code,
            name=name,
            sector=sectors[sector],
            lead_unit=units[unit],
            responsible="张工",
            total_investment=Decimal(total),
            annual_plan=Decimal(plan),
            planned_start=dt.date(YEAR, 3, 1),
            planned_finish=dt.date(YEAR + 1, 6, 30),
        )

    p1 = project("P-01", "智能制造产业园", "产业项目", "fgw", "1000", "5000")
    p2 = project("P-02", "城东快速路", "基础设施", "fgw", "400", "2000")
    p3 = project("P-03", "跨境电商中心", "产业项目", "sw", "500", "800")
    services.record_month(p1, actor=users["clerk"], month=1, completed="100")
    services.record_month(
        p1, actor=users["clerk"], month=2, completed="150", image_progress="主体施工"
    )
    services.record_month(p2, actor=users["clerk"], month=1, completed="100")
    return {"users": users, "units": units, "sectors": sectors, "p1": p1, "p2": p2, "p3": p3}
