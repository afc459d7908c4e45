"""The period ranking on a hand-made plan, one bulletin per period, and notices as documents."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from docx import Document

from duban.bulletins import services
from duban.bulletins.models import Bulletin
from duban.core.models import AuditEntry
from duban.plans import access
from duban.plans.models import Assignment, Task
from duban.supervision.models import Notice, ProgressReport

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
TODAY = dt.date(2026, 4, 10)


def _task(plan, code, *, lead=None, co=(), status="in_progress", progress=0, light="green"):
    task = Task.objects.create(
        plan=plan,
        code=code,
        text=f"任务{code}",
        status=status,
        progress=progress,
        light=light,
        sort_order=int(code.replace(".", "")),
    )
    if lead is not None:
        assignment = Assignment.objects.create(task=task, lead_unit=lead)
        assignment.co_units.add(*co)
    return task


def _report(task, unit, due, status, *, late=False):
    return ProgressReport.objects.create(
        task=task,
        unit=unit,
        period_start=due.replace(day=1),
        period_end=due,
        due_date=due,
        status=status,
        is_late=late,
    )


@pytest.fixture
def dataset(plan, units):
    fgw, sw, cz = units["fgw"], units["sw"], units["cz"]
    t = {
        # 市发改委 leads three counted tasks: one closed, one at 100 %, one red.
        "1.1": _task(plan, "1.1", lead=fgw, status="closed", progress=80),
        "1.2": _task(plan, "1.2", lead=fgw, progress=100),
        "1.3": _task(plan, "1.3", lead=fgw, co=[sw], progress=50, light="red"),
        # Not counted: still proposed, rejected, or never assigned.
        "1.4": _task(plan, "1.4", lead=fgw, status="proposed", progress=100),
        "1.5": _task(plan, "1.5", lead=cz, status="rejected", light="red"),
        "1.6": _task(plan, "1.6", progress=100),
        # 市商务局 leads two tasks, none done.
        "2.1": _task(plan, "2.1", lead=sw, progress=40),
        "2.2": _task(plan, "2.2", lead=sw, light="yellow"),
        # 市财政局 leads one closed task and never had a report due.
        "3.1": _task(plan, "3.1", lead=cz, status="closed", progress=100, light="red"),
    }
    due = dt.date(2026, 3, 25)
    _report(t["1.1"], fgw, due, "accepted")
    _report(t["1.2"], fgw, due, "submitted", late=True)
    _report(t["1.3"], fgw, due, "missing")
    _report(t["1.3"], fgw, dt.date(2026, 2, 25), "accepted")  # before the period
    _report(t["2.1"], sw, due, "unit_approved")
    _report(t["2.2"], sw, due, "returned")
    _report(t["1.3"], sw, due, "accepted")  # as co-unit: still the unit's own punctuality
    _report(t["2.1"], sw, dt.date(2026, 4, 30), "draft")  # after the period
    return t


def test_ranking_formula_on_a_hand_made_plan(plan, units, dataset):
    ranking = services.compute_ranking(plan, *MARCH, today=TODAY)
    by_unit = {line.unit_name: line for line in ranking}
    assert [line.unit_name for line in ranking] == ["市财政局", "市发展和改革委员会", "市商务局"]
    assert [line.rank for line in ranking] == [1, 2, 3]

    fgw = by_unit["市发展和改革委员会"]
    assert (fgw.tasks_led, fgw.tasks_completed, fgw.red_tasks) == (3, 2, 1)
    assert (fgw.reports_due, fgw.reports_on_time) == (3, 1)
    assert fgw.completion_rate == Decimal("0.6667")
    assert fgw.on_time_rate == Decimal("0.3333")
    # 50 × 2/3 + 40 × 1/3 + 10 × (1 − 1/3) = 53.333…
    assert fgw.score == Decimal("53.33")
    assert fgw.short_name == "市发改委"

    sw = by_unit["市商务局"]
    assert (sw.tasks_led, sw.tasks_completed, sw.red_tasks) == (2, 0, 0)
    assert (sw.reports_due, sw.reports_on_time) == (3, 2)
    assert sw.score == Decimal("36.67")  # 0 + 40 × 2/3 + 10

    cz = by_unit["市财政局"]
    # The closed task's old red light does not count; nothing was due: full marks.
    assert (cz.tasks_led, cz.tasks_completed, cz.red_tasks, cz.reports_due) == (1, 1, 0, 0)
    assert cz.on_time_rate == Decimal("1.0000")
    assert cz.score == Decimal("100.00")


def test_reports_not_yet_due_do_not_count(plan, units, dataset):
    early = services.compute_ranking(plan, *MARCH, today=dt.date(2026, 3, 20))
    fgw = next(line for line in early if line.unit_name == "市发展和改革委员会")
    assert fgw.reports_due == 0
    assert fgw.on_time_rate == Decimal("1.0000")


def test_equal_scores_share_a_rank_and_order_by_the_unit_list(plan, units):
    # The unit list puts 市财政局 before 市商务局, against the order they were created in.
    units["sw"].sort_order = 2
    units["sw"].save()
    units["cz"].sort_order = 1
    units["cz"].save()
    _task(plan, "1.1", lead=units["cz"], progress=100)
    _task(plan, "2.1", lead=units["sw"], progress=100)
    _task(plan, "3.1", lead=units["fgw"])
    ranking = services.compute_ranking(plan, *MARCH, today=TODAY)
    assert [(line.unit_name, line.rank) for line in ranking] == [
        ("市财政局", 1),
        ("市商务局", 1),
        ("市发展和改革委员会", 3),
    ]


def test_ranking_refuses_a_reversed_period(plan):
    with pytest.raises(services.BulletinError):
        services.compute_ranking(plan, MARCH[1], MARCH[0])


def test_ranking_uses_three_queries(plan, units, dataset, django_assert_num_queries):
    with django_assert_num_queries(3):
        services.compute_ranking(plan, *MARCH, today=TODAY)


def test_period_labels():
    assert services.period_label(*MARCH) == "2026年3月"
    assert services.period_label(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == "2026年2月"
    assert (
        services.period_label(dt.date(2026, 3, 1), dt.date(2026, 4, 15)) == "2026年3月1日至4月15日"
    )
    assert (
        services.period_label(dt.date(2025, 12, 1), dt.date(2026, 1, 15))
        == "2025年12月1日至2026年1月15日"
    )


# -- bulletins -------------------------------------------------------------------------


def _media_files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_bulletin_is_generated_once_per_period(
    plan, units, dataset, office_user, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.generate_bulletin(plan, *MARCH, actor=office_user)
    assert first.status == Bulletin.Status.DRAFT
    assert first.title == "关于2026年3月示例方案推进情况的通报"
    ranking = first.content["ranking"]
    assert [line["unit_name"] for line in ranking] == ["市财政局", "市发展和改革委员会", "市商务局"]
    assert first.content["summary"]["tasks"] == 6
    assert first.content["red_tasks"] == [
        {"code": "1.3", "text": "任务1.3", "unit": "市发展和改革委员会"}
    ]
    word = Document(io.BytesIO(first.docx.read()))
    texts = [p.text for p in word.paragraphs]
    assert "关于2026年3月示例方案推进情况的通报" in texts
    assert "青澜市人民政府督查室" in texts
    table = word.tables[0]
    assert [c.text for c in table.rows[1].cells][:2] == ["1", "市财政局"]
    assert table.rows[1].cells[-1].text == "100.00"
    assert len(word.inline_shapes) == 1  # the chart
    assert first.pdf.read(4) == b"%PDF"
    first.pdf.close()
    first.docx.close()

    # The second call for the same period updates the draft: same row, new ranking, the
    # old files replaced rather than piling up.
    dataset["2.1"].progress = 100
    dataset["2.1"].save()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.generate_bulletin(plan, *MARCH, actor=office_user)
    assert second.pk == first.pk
    assert Bulletin.objects.count() == 1
    assert second.version > first.version
    sw = next(line for line in second.content["ranking"] if line["unit_name"] == "市商务局")
    assert sw["tasks_completed"] == 1
    assert len(_media_files(media_root)) == 2
    events = AuditEntry.for_object(second).filter(event="bulletin_generated")
    assert events.count() == 2
    assert events.first().actor == office_user


def test_published_bulletin_is_not_regenerated(plan, units, dataset, office_user, media_root):
    bulletin = services.generate_bulletin(plan, *MARCH, actor=office_user)
    bulletin.status = Bulletin.Status.PUBLISHED
    bulletin.number = "青督办〔2026〕3号"
    bulletin.save()
    files = (bulletin.docx.name, bulletin.pdf.name)
    with pytest.raises(services.BulletinError, match="已印发"):
        services.generate_bulletin(plan, *MARCH, actor=office_user)
    bulletin.refresh_from_db()
    assert (bulletin.docx.name, bulletin.pdf.name) == files
    assert bulletin.version == 2


def test_only_the_office_generates_bulletins(plan, units, dataset, media_root):
    from duban.org.services import create_user

    clerk = create_user("clerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    with pytest.raises(access.NotAllowed):
        services.generate_bulletin(plan, *MARCH, actor=clerk)
    assert not Bulletin.objects.exists()


def test_bulletin_document_rebuilds_from_stored_content(
    plan, units, dataset, office_user, media_root
):
    bulletin = services.generate_bulletin(plan, *MARCH, actor=office_user)
    # Later changes to tasks do not change what the stored bulletin says.
    Task.objects.filter(plan=plan).update(progress=100)
    document = services.build_bulletin_document(bulletin)
    table = next(b for b in document.blocks if isinstance(b, services.od.Table))
    assert table.rows[1][1] == "市发展和改革委员会"
    assert table.rows[1][-1] == "53.33"
    assert document.number == "青督办〔2026〕　号"


# -- notices ---------------------------------------------------------------------------


def test_notice_document(task, units, settings):
    settings.DUBAN_OFFICE_ORGAN = "青澜市委督查室"
    settings.DUBAN_DOC_PREFIX = "青委督"
    task.deadline = dt.date(2026, 6, 30)
    task.progress = 20
    task.save()
    assignment = Assignment.objects.create(task=task, lead_unit=units["fgw"])
    assignment.co_units.add(units["sw"])
    notice = Notice.objects.create(
        task=task,
        unit=units["fgw"],
        level="supervise",
        reason="连续两期未报送进展，进度滞后计划30个百分点。",
        reply_deadline=dt.date(2026, 4, 3),
        dedup_key="t1-fgw-supervise-2026-03",
    )
    document = services.build_notice_document(notice)
    assert document.organ == "青澜市委督查室"
    assert document.title == "督办通知单"
    assert document.recipients == ["市发展和改革委员会"]
    assert document.number.startswith("青委督〔")
    assert document.cc == ["市商务局"]
    texts = [getattr(b, "text", "") for b in document.blocks]
    assert "工作任务：加快建设城市更新重点工程" in texts
    assert "完成时限：2026年6月30日" in texts
    assert notice.reason in texts
    assert any("请于2026年4月3日前" in t for t in texts)

    notice.number = "青委督〔2026〕7号"
    notice.level = "chase"
    assert services.build_notice_document(notice).number == "青委督〔2026〕7号"
    assert services.build_notice_document(notice).title == "催办通知单"
    buffer = io.BytesIO()
    services.od.render_docx(services.build_notice_document(notice), buffer)
    buffer.seek(0)
    assert "催办通知单" in [p.text for p in Document(buffer).paragraphs]
