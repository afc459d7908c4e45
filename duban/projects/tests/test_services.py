"""The ledger's rules: who sees and enters what, one entry per month, photos, the figures."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from duban.core.errors import NotAllowed, NotFound
from duban.core.models import AuditEntry
from duban.projects import services
from duban.projects.models import MonthlyProgress, Project, ProjectPhoto
from duban.projects.tests.conftest import YEAR, png

pytestmark = pytest.mark.django_db


def test_a_unit_sees_only_its_projects_and_the_office_all(ledger):
    u = ledger["users"]
    codes = lambda user: sorted(services.visible_projects(user).values_list("code", flat=True))  # noqa: E731
    assert codes(u["office"]) == ["P-01", "P-02", "P-03"]
    assert codes(u["viewer"]) == ["P-01", "P-02", "P-03"]
    assert codes(u["clerk"]) == ["P-01", "P-02"]
    assert codes(u["clerk2"]) == ["P-03"]
    with pytest.raises(NotFound):
        services.get_project(u["clerk2"], ledger["p1"].pk)
    with pytest.raises(NotFound):
        services.get_project(u["clerk"], "abc")
    # The viewer sees but cannot enter; a clerk cannot edit.
    with pytest.raises(NotAllowed):
        services.get_project(u["viewer"], ledger["p1"].pk, "enter")
    with pytest.raises(NotAllowed):
        services.get_project(u["clerk"], ledger["p1"].pk, "edit")


def test_cumulative_and_rate_by_project_unit_and_sector(ledger):
    rows = {p.code: p for p in services.ledger(ledger["users"]["office"], year=YEAR)}
    assert rows["P-01"].cumulative == Decimal("250.00")
    assert rows["P-01"].completion == Decimal("25")
    assert rows["P-03"].cumulative == Decimal("0")
    s = services.summary(ledger["users"]["office"], year=YEAR)
    assert (s.total.count, s.total.plan, s.total.done) == (3, Decimal(1900), Decimal(350))
    by_sector = {g.label: (g.count, g.done, g.rate) for g in s.by_sector}
    assert by_sector == {
        "产业项目": (2, Decimal(250), Decimal("16.7")),
        "基础设施": (1, Decimal(100), Decimal("25.0")),
    }
    by_unit = {g.label: g.rate for g in s.by_unit}
    assert by_unit == {"市发改委": Decimal("25.0"), "市商务局": Decimal("0.0")}
    # A clerk's summary counts only the unit's projects.
    mine = services.summary(ledger["users"]["clerk2"], year=YEAR)
    assert (mine.total.count, mine.total.done) == (1, Decimal(0))


def test_a_second_entry_for_a_month_updates_it_with_an_audit_row(ledger):
    p1, clerk = ledger["p1"], ledger["users"]["clerk"]
    row, created = services.record_month(p1, actor=clerk, month=2, completed="180.5")
    assert not created
    assert MonthlyProgress.objects.filter(project=p1, month=2).count() == 1
    row.refresh_from_db()
    assert row.completed == Decimal("180.50") and row.image_progress == "主体施工"
    change = AuditEntry.for_object(row).filter(action="update").get()
    assert change.before["completed"] == "150.00" and change.after["completed"] == "180.50"
    assert change.actor == clerk
    assert AuditEntry.for_object(p1).filter(event="project_month_updated").exists()


def test_the_latest_month_sets_the_project_image_progress(ledger):
    p1 = ledger["p1"]
    p1.refresh_from_db()
    assert p1.image_progress == "主体施工"
    services.record_month(
        p1, actor=ledger["users"]["office"], month=1, completed="100", image_progress="旧的"
    )
    p1.refresh_from_db()
    assert p1.image_progress == "主体施工"  # an earlier month does not overwrite it
    services.record_month(
        p1, actor=ledger["users"]["office"], month=3, completed="10", image_progress="封顶"
    )
    p1.refresh_from_db()
    assert p1.image_progress == "封顶"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"month": 13, "completed": "1"}, "月份应为 1 到 12"),
        ({"month": 0, "completed": "1"}, "月份应为 1 到 12"),
        ({"month": 3, "completed": "-5"}, "不能为负数"),
        ({"month": 3, "completed": "abc"}, "应为数字"),
        ({"month": 3, "completed": "1.234"}, "两位小数"),
        ({"month": 3, "completed": "NaN"}, "应为数字"),
    ],
)
def test_bad_months_are_refused_and_write_nothing(ledger, kwargs, message):
    before = (MonthlyProgress.objects.count(), AuditEntry.objects.count())
    with pytest.raises(services.ValidationError, match=message):
        services.record_month(ledger["p1"], actor=ledger["users"]["clerk"], **kwargs)
    assert (MonthlyProgress.objects.count(), AuditEntry.objects.count()) == before


def test_a_month_that_has_not_come_is_refused(ledger):
    p1 = ledger["p1"]
    Project.objects.filter(pk=p1.pk).update(year=YEAR + 1)
    p1.refresh_from_db()
    today = dt.date(YEAR + 1, 5, 20)
    services.record_month(p1, actor=ledger["users"]["clerk"], month=5, completed="1", today=today)
    with pytest.raises(services.ValidationError, match="还没有到"):
        services.record_month(
            p1, actor=ledger["users"]["clerk"], month=6, completed="1", today=today
        )


def test_another_unit_cannot_enter_a_month(ledger):
    with pytest.raises(NotFound):
        services.record_month(ledger["p1"], actor=ledger["users"]["clerk2"], month=3, completed="1")
    with pytest.raises(NotAllowed):
        services.record_month(ledger["p1"], actor=ledger["users"]["viewer"], month=3, completed="1")
    assert not MonthlyProgress.objects.filter(project=ledger["p1"], month=3).exists()


def test_photos_are_stored_and_hostile_ones_refused_with_nothing_written(ledger, settings):
    from pathlib import Path

    p2, clerk = ledger["p2"], ledger["users"]["clerk"]
    row, _c = services.record_month(
        p2,
        actor=clerk,
        month=2,
        completed="20",
        photos=[("现场.png", png()), ("b.jpg", png(fmt="JPEG"))],
    )
    photos = list(row.photos.order_by("id"))
    assert [(p.name, p.width, p.height) for p in photos] == [("现场.png", 8, 6), ("b.jpg", 8, 6)]
    assert photos[1].file.name.endswith(".jpg")
    with photos[0].file.open("rb") as fh:
        assert fh.read() == png()
    media = Path(settings.MEDIA_ROOT)
    files_before = sorted(media.rglob("*"))
    counts = (
        MonthlyProgress.objects.count(),
        ProjectPhoto.objects.count(),
        AuditEntry.objects.count(),
    )
    truncated = png(400, 300)[:-200]
    bad = [
        (("x.png", b"this is not an image"), "图片无法识别"),
        (("x.png", truncated), "图片不完整或已损坏"),
        (("x.heic", b"\0\0\0\x18ftypheic" + b"\0" * 64), "HEIC"),
        (("x.gif", png(fmt="GIF")), "请上传 JPEG 或 PNG"),
        (("x.png", b""), "是空的"),
    ]
    for photo, message in bad:
        with pytest.raises(services.ValidationError, match=message) as info:
            services.record_month(
                p2, actor=clerk, month=3, completed="5", photos=[("ok.png", png()), photo]
            )
        # The clerk reads Chinese: the engine's English half is left out.
        assert not re.search(r"[a-z]{4}", str(info.value).split("：", 1)[-1])
    assert (
        MonthlyProgress.objects.count(),
        ProjectPhoto.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    assert sorted(media.rglob("*")) == files_before


def test_a_decompression_bomb_is_refused(ledger, monkeypatch):
    from duban.extract import ocr

    monkeypatch.setattr(ocr, "OCR_MAX_PIXELS", 100)
    with pytest.raises(services.ValidationError, match="图片尺寸异常"):
        services.record_month(
            ledger["p2"],
            actor=ledger["users"]["clerk"],
            month=3,
            completed="5",
            photos=[("big.png", png(20, 20))],
        )


def test_a_photo_over_the_limit_is_refused_unread(ledger, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 50
    with pytest.raises(services.ValidationError, match="超过 0 MB"):
        services.record_month(
            ledger["p2"],
            actor=ledger["users"]["clerk"],
            month=3,
            completed="5",
            photos=[("a.png", png())],
        )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"annual_plan": Decimal("6000")}, "不能大于总投资"),
        ({"code": "P-02"}, "已有项目编号"),
        ({"name": " "}, "请填写项目名称"),
        ({"planned_finish": dt.date(2000, 1, 1)}, "不能早于计划开工时间"),
        ({"status": "done"}, "状态应为"),
    ],
)
def test_project_edits_are_checked(ledger, change, message):
    p1 = Project.objects.get(pk=ledger["p1"].pk)
    version = p1.version
    with pytest.raises(services.ValidationError, match=message):
        services.update_project(p1, actor=ledger["users"]["office"], **change)
    p1.refresh_from_db()
    assert p1.version == version


def test_only_the_office_creates_and_edits(ledger):
    p1 = Project.objects.get(pk=ledger["p1"].pk)
    with pytest.raises(NotAllowed):
        services.update_project(p1, actor=ledger["users"]["clerk"], name="改名")
    with pytest.raises(NotAllowed):
        services.add_sector("文旅项目", actor=ledger["users"]["clerk"])
    sector = services.add_sector("文旅项目", actor=ledger["users"]["office"])
    assert [s.name for s in services.sectors()][-1] == "文旅项目"
    assert AuditEntry.for_object(sector).filter(action="create").exists()
    with pytest.raises(services.ValidationError, match="已存在"):
        services.add_sector("文旅项目", actor=ledger["users"]["office"])


def test_series_gives_the_running_total(ledger):
    months = services.series(Project.objects.get(pk=ledger["p1"].pk))
    assert [(m["month"], m["cumulative"], m["rate"]) for m in months] == [
        (1, Decimal("100.00"), Decimal("10.0")),
        (2, Decimal("250.00"), Decimal("25.0")),
    ]


def test_two_first_entries_of_a_month_at_once_keep_one(ledger, monkeypatch):
    """The second writer read "no row yet" too: the unique constraint refuses its insert,
    and it gets a sentence instead of a server error."""
    p3 = ledger["p3"]
    services.record_month(p3, actor=ledger["users"]["office"], month=4, completed="1")
    real = MonthlyProgress.objects.select_for_update

    class Blind:
        def filter(self, **kw):
            return MonthlyProgress.objects.none()

    monkeypatch.setattr(MonthlyProgress.objects, "select_for_update", lambda: Blind())
    with pytest.raises(services.ValidationError, match="4月的进展刚刚由他人填报"):
        services.record_month(p3, actor=ledger["users"]["clerk2"], month=4, completed="2")
    monkeypatch.setattr(MonthlyProgress.objects, "select_for_update", real)
    assert MonthlyProgress.objects.get(project=p3, month=4).completed == Decimal("1.00")


@pytest.mark.parametrize("name", ["..", "../../etc/passwd.png", ".png", "照片"])
def test_odd_photo_names_are_stored_under_a_safe_name(ledger, name):
    row, _c = services.record_month(
        ledger["p2"], actor=ledger["users"]["clerk"], month=5, completed="1", photos=[(name, png())]
    )
    folder, _sep, base = row.photos.get().file.name.rpartition("/")
    assert folder.count("/") == 2 and folder.startswith("projects/")
    assert not base.startswith(".") and base.endswith(".png")
