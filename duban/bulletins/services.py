"""Bulletins and notices as formal documents: the period ranking and the files that go out.

* :func:`compute_ranking` scores every lead unit of a plan for a period (the formula is
  below and in ``docs/official-documents.md``);
* :func:`generate_bulletin` stores that ranking in the period's draft :class:`Bulletin`
  with its Word and PDF files, once per period;
* :func:`build_bulletin_document` and :func:`build_notice_document` turn a bulletin or a
  supervision notice into an :class:`~duban.officialdoc.OfficialDocument`.

The ranking formula (100 points)::

    score = 50 × completion rate + 40 × on-time reporting rate + 10 × (1 − red tasks / tasks led)

* *tasks led*: the plan's assigned tasks the unit leads, except those still proposed or
  rejected;
* *completion rate*: tasks closed (办结) or at 100 % progress, over tasks led;
* *on-time reporting rate*: the unit's progress reports on the plan's tasks that fell due in
  the period (up to today), counting those submitted, unit-approved or accepted and not late,
  over all that fell due. A period in which nothing fell due scores the full 40 points;
* *red tasks*: tasks led whose light is red now (a snapshot, not a history), closed ones
  excluded.

Units are ordered by score, then completion rate, on-time rate, fewer red tasks and the unit
list's own order; equal scores share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duban import officialdoc as od
from duban.bulletins.models import Bulletin
from duban.core import audit
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import UNCOUNTED_STATUSES, Light, TaskStatus
from duban.plans.models import Plan, Task
from duban.supervision.choices import NoticeLevel, ReportStatus
from duban.supervision.models import Notice, ProgressReport

COMPLETION_POINTS = 50
PUNCTUALITY_POINTS = 40
RED_POINTS = 10
FORMULA = "得分 = 50 × 完成率 + 40 × 按时报送率 + 10 × (1 − 红灯任务数 ÷ 牵头任务数)"

# Tasks that are not (yet) the unit's responsibility.
_NOT_COUNTED = UNCOUNTED_STATUSES
# A report counts as delivered once it has left the clerk's hands.
_DELIVERED = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)

CONTENT_VERSION = 1
CHART_ROWS = 50


class BulletinError(ValueError):
    """A bulletin cannot be generated as asked; the message says why."""


@dataclass(frozen=True)
class UnitScore:
    """One lead unit's line in the period's ranking."""

    unit_id: int
    unit_name: str
    short_name: str
    tasks_led: int
    tasks_completed: int
    reports_due: int
    reports_on_time: int
    red_tasks: int
    completion_rate: Decimal  # 0 … 1, four places
    on_time_rate: Decimal  # 0 … 1, four places
    score: Decimal  # 0 … 100, two places
    rank: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("completion_rate", "on_time_rate", "score"):
            data[key] = str(data[key])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UnitScore:
        values = dict(data)
        for key in ("completion_rate", "on_time_rate", "score"):
            values[key] = Decimal(values[key])
        return cls(**values)


def _quantize(value: Fraction, places: str) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def compute_ranking(
    plan: Plan, period_start: dt.date, period_end: dt.date, *, today: dt.date | None = None
) -> list[UnitScore]:
    """The lead units of ``plan`` scored for the period, best first (see the module docs).

    Three queries whatever the plan's size: tasks per lead unit, reports per unit, units.
    """
    if period_end < period_start:
        raise BulletinError(_("统计周期的结束日期早于开始日期。"))
    today = today or timezone.localdate()
    counted = Q(plan=plan, assignment__isnull=False) & ~Q(status__in=_NOT_COUNTED)
    task_rows = (
        Task.objects.filter(counted)
        .values("assignment__lead_unit")
        .annotate(
            led=Count("id"),
            completed=Count("id", filter=Q(status=TaskStatus.CLOSED) | Q(progress__gte=100)),
            red=Count("id", filter=Q(light=Light.RED) & ~Q(status=TaskStatus.CLOSED)),
        )
    )
    tasks = {row["assignment__lead_unit"]: row for row in task_rows}
    report_rows = (
        ProgressReport.objects.filter(
            task__plan=plan,
            unit_id__in=list(tasks),
            due_date__gte=period_start,
            due_date__lte=min(period_end, today),
        )
        .exclude(task__status__in=_NOT_COUNTED)
        .values("unit")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(status__in=_DELIVERED, is_late=False)),
        )
    )
    reports = {row["unit"]: row for row in report_rows}
    units = Unit.objects.in_bulk(list(tasks))

    scored = []
    for unit_id, row in tasks.items():
        led, completed, red = row["led"], row["completed"], row["red"]
        due = reports.get(unit_id, {}).get("due", 0)
        on_time = reports.get(unit_id, {}).get("on_time", 0)
        completion = Fraction(completed, led)
        punctuality = Fraction(on_time, due) if due else Fraction(1)
        red_share = Fraction(red, led)
        score = (
            COMPLETION_POINTS * completion
            + PUNCTUALITY_POINTS * punctuality
            + RED_POINTS * (1 - red_share)
        )
        unit = units[unit_id]
        scored.append(
            (
                (-score, -completion, -punctuality, red, unit.sort_order, unit.pk),
                UnitScore(
                    unit_id=unit.pk,
                    unit_name=unit.name,
                    short_name=unit.short_name or unit.name,
                    tasks_led=led,
                    tasks_completed=completed,
                    reports_due=due,
                    reports_on_time=on_time,
                    red_tasks=red,
                    completion_rate=_quantize(completion, "0.0001"),
                    on_time_rate=_quantize(punctuality, "0.0001"),
                    score=_quantize(score, "0.01"),
                    rank=0,
                ),
            )
        )
    scored.sort(key=lambda item: item[0])
    ranking: list[UnitScore] = []
    for position, (_key, line) in enumerate(scored, start=1):
        rank = position
        if ranking and ranking[-1].score == line.score:
            rank = ranking[-1].rank
        ranking.append(UnitScore(**{**asdict(line), "rank": rank}))
    return ranking


# -- the bulletin's content ---------------------------------------------------------------


def period_label(period_start: dt.date, period_end: dt.date) -> str:
    """「2026年3月」 for a whole month, else 「2026年3月1日至4月15日」."""
    month_end = (period_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )
    if period_start.day == 1 and period_end == month_end:
        return f"{period_start.year}年{period_start.month}月"
    end = od.format_date(period_end)
    if period_end.year == period_start.year:
        end = end.split("年", 1)[1]
    return f"{od.format_date(period_start)}至{end}"


def bulletin_title(plan: Plan, period_start: dt.date, period_end: dt.date) -> str:
    return f"关于{period_label(period_start, period_end)}{plan.title}推进情况的通报"


def _bulletin_content(
    plan: Plan, period_start: dt.date, period_end: dt.date, ranking: list[UnitScore]
) -> dict[str, Any]:
    """What the bulletin says, as JSON: kept with the bulletin so the files can be remade."""
    counted = plan.tasks.filter(assignment__isnull=False).exclude(status__in=_NOT_COUNTED)
    summary = counted.aggregate(
        tasks=Count("id"),
        completed=Count("id", filter=Q(status=TaskStatus.CLOSED) | Q(progress__gte=100)),
        red=Count("id", filter=Q(light=Light.RED) & ~Q(status=TaskStatus.CLOSED)),
        yellow=Count("id", filter=Q(light=Light.YELLOW) & ~Q(status=TaskStatus.CLOSED)),
    )
    summary["reports_due"] = sum(line.reports_due for line in ranking)
    summary["reports_on_time"] = sum(line.reports_on_time for line in ranking)
    red_tasks = [
        {"code": t.code, "text": t.text, "unit": t.assignment.lead_unit.name}
        for t in counted.filter(light=Light.RED)
        .exclude(status=TaskStatus.CLOSED)
        .select_related("assignment__lead_unit")
        .order_by("sort_order", "id")
    ]
    return {
        "version": CONTENT_VERSION,
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "generated_on": timezone.localdate().isoformat(),
        "formula": FORMULA,
        "summary": summary,
        "ranking": [line.to_dict() for line in ranking],
        "red_tasks": red_tasks,
        "assessment": _assessment_content(period_start, period_end),
    }


def _assessment_content(period_start: dt.date, period_end: dt.date) -> dict[str, Any] | None:
    """The 考核 result published for the period, as the bulletin reprints it (or None)."""
    from duban.assessment.services import release_ranking

    release = release_ranking(period_start, period_end)
    if release is None:
        return None
    return {
        "title": release.title,
        "period": {
            "start": release.period_start.isoformat(),
            "end": release.period_end.isoformat(),
        },
        "rows": [
            {
                "rank": r.rank,
                "unit": r.unit.name,
                "computed": str(r.computed),
                "adjustment": str(r.adjustment),
                "total": str(r.total),
            }
            for r in release.results.select_related("unit").order_by("rank", "id")
        ],
    }


def _organ() -> str:
    return settings.DUBAN_OFFICE_ORGAN


def _blank_number(year: int) -> str:
    """A number still to be given: the prefix and year with the sequence left blank."""
    return f"{settings.DUBAN_DOC_PREFIX}〔{year}〕　号"


def build_bulletin_document(bulletin: Bulletin) -> od.OfficialDocument:
    """The bulletin as a formal document, from its stored content (no recomputation)."""
    content = bulletin.content or {}
    if not content.get("ranking") and "summary" not in content:
        raise BulletinError(_("通报尚未生成内容，请先生成。"))
    start = dt.date.fromisoformat(content["period"]["start"])
    end = dt.date.fromisoformat(content["period"]["end"])
    ranking = [UnitScore.from_dict(line) for line in content["ranking"]]
    summary = content["summary"]
    label = period_label(start, end)
    issued = (
        timezone.localdate(bulletin.published_at)
        if bulletin.published_at
        else dt.date.fromisoformat(content["generated_on"])
    )
    organ = _organ()

    tasks, completed = summary["tasks"], summary["completed"]
    due, on_time = summary["reports_due"], summary["reports_on_time"]
    overall = (
        f"截至{od.format_date(end)}，纳入督查的任务共{tasks}项，"
        f"已办结或完成{completed}项，完成率"
        f"{_percent(_quantize(Fraction(completed, tasks), '0.0001')) if tasks else '0%'}；"
        f"亮红灯{summary['red']}项、黄灯{summary['yellow']}项。"
    )
    if due:
        overall += (
            f"统计期内应报送进展报告{due}份，按时报送{on_time}份，"
            f"按时报送率{_percent(_quantize(Fraction(on_time, due), '0.0001'))}。"
        )
    else:
        overall += "统计期内无应报送的进展报告。"

    blocks: list[od.Block] = [
        od.Paragraph(
            f"为推动{bulletin.plan.title}各项任务落地见效，根据督查工作安排，"
            f"现将{label}任务推进情况通报如下。"
        ),
        od.Heading("总体情况"),
        od.Paragraph(overall),
        od.Heading("单位排名"),
        od.Paragraph(
            f"按照完成率（{COMPLETION_POINTS}分）、按时报送率（{PUNCTUALITY_POINTS}分）"
            f"和红灯任务占比（{RED_POINTS}分）综合计分，各牵头单位排名如下。"
        ),
    ]
    if ranking:
        blocks.append(
            od.Table(
                ("排名", "单位", "任务数", "完成率", "按时报送率", "红灯数", "得分"),
                tuple(
                    (
                        str(line.rank),
                        line.unit_name,
                        str(line.tasks_led),
                        _percent(line.completion_rate),
                        _percent(line.on_time_rate) if line.reports_due else "—",
                        str(line.red_tasks),
                        str(line.score),
                    )
                    for line in ranking
                ),
                caption=f"表1 {label}各牵头单位综合得分排名",
                widths=(0.8, 2.8, 1.2, 1.3, 1.7, 1.2, 1.2),
            )
        )
        # One chart holds up to CHART_ROWS units legibly; a long ranking gets several.
        chunks = [ranking[i : i + CHART_ROWS] for i in range(0, len(ranking), CHART_ROWS)]
        for part, lines in enumerate(chunks, start=1):
            caption = f"图1 {label}各牵头单位综合得分"
            if len(chunks) > 1:
                caption += f"（第{lines[0].rank}—{lines[-1].rank}名，{part}/{len(chunks)}）"
            chart = od.BarChart(
                [line.short_name[:12] for line in lines],
                [float(line.score) for line in lines],
                highlight=[line.red_tasks > 0 for line in lines],
            )
            blocks.append(od.Image(chart.png(), 150.0, caption))
    else:
        blocks.append(od.Paragraph("本期尚无交办到牵头单位的任务。"))

    assessed = content.get("assessment")
    if assessed and assessed.get("rows"):
        a_start = dt.date.fromisoformat(assessed["period"]["start"])
        a_end = dt.date.fromisoformat(assessed["period"]["end"])
        blocks.append(od.Heading("考核结果"))
        blocks.append(
            od.Paragraph(
                f"根据考核办法，{period_label(a_start, a_end)}各单位考核结果（{assessed['title']}）"
                "如下，已按异议处理情况调整。"
            )
        )
        blocks.append(
            od.Table(
                ("名次", "单位", "计算得分", "异议调整", "总分"),
                tuple(
                    (
                        str(row["rank"]),
                        row["unit"],
                        row["computed"],
                        "—" if Decimal(row["adjustment"]) == 0 else row["adjustment"],
                        row["total"],
                    )
                    for row in assessed["rows"]
                ),
                caption=f"表2 {period_label(a_start, a_end)}考核结果",
                widths=(0.9, 3.6, 1.5, 1.5, 1.3),
            )
        )

    blocks.append(od.Heading("存在问题"))
    red_tasks = content.get("red_tasks") or []
    if red_tasks:
        blocks.append(od.Paragraph(f"以下{len(red_tasks)}项任务进度明显滞后，亮红灯："))
        for item in red_tasks:
            blocks.append(
                od.Paragraph(f"{item['code']}　{item['text']}（牵头单位：{item['unit']}）")
            )
    else:
        blocks.append(od.Paragraph("本期无亮红灯任务。"))
    blocks += [
        od.Heading("下步要求"),
        od.Paragraph(
            "各牵头单位要对照任务书和时间表，逐项梳理未完成任务，加快推进进度滞后的任务，"
            "按时报送工作进展。对亮红灯的任务，牵头单位要认真分析原因，制定整改措施，"
            "确保按期完成。"
        ),
    ]
    return od.OfficialDocument(
        organ=organ,
        number=bulletin.number or _blank_number(end.year),
        title=bulletin.title,
        recipients=["各牵头单位"],
        blocks=blocks,
        signature=organ,
        date=issued,
        printed_by=organ,
        printed_date=issued,
    )


def _render(document: od.OfficialDocument) -> tuple[bytes, bytes]:
    word, pdf = io.BytesIO(), io.BytesIO()
    od.render_docx(document, word)
    od.render_pdf(document, pdf)
    return word.getvalue(), pdf.getvalue()


def _require_office(actor: Any) -> None:
    access.require_office(actor, "generate_bulletin")


def _refuse_published(bulletin: Bulletin | None) -> None:
    if bulletin is not None and bulletin.status == Bulletin.Status.PUBLISHED:
        raise BulletinError(
            _("{period}的通报“{title}”已印发，不能重新生成；如需更正，请另发通报。").format(
                period=period_label(bulletin.period_start, bulletin.period_end),
                title=bulletin.title,
            )
        )


def generate_bulletin(
    plan: Plan, period_start: dt.date, period_end: dt.date, *, actor: Any
) -> Bulletin:
    """Create or refresh the period's draft bulletin: ranking, content JSON, .docx and .pdf.

    Calling it again for the same period updates the same draft (one bulletin per plan and
    period); a bulletin already published (已印发) is refused with :class:`BulletinError`.

    The files are rendered before the transaction opens: rendering takes a second or two,
    and SQLite would hold its write lock, blocking every clerk, for that long. The database
    writes (row, files' names, audit event) then happen in one transaction, which checks
    again that nobody published the bulletin meanwhile.
    """
    _require_office(actor)
    if period_end < period_start:
        raise BulletinError(_("统计周期的结束日期早于开始日期。"))
    existing = Bulletin.objects.filter(
        plan=plan, period_start=period_start, period_end=period_end
    ).first()
    _refuse_published(existing)

    ranking = compute_ranking(plan, period_start, period_end)
    content = _bulletin_content(plan, period_start, period_end, ranking)
    draft = existing or Bulletin(plan=plan, period_start=period_start, period_end=period_end)
    draft.title = draft.title or bulletin_title(plan, period_start, period_end)
    draft.content = content
    word, pdf = _render(build_bulletin_document(draft))

    for attempt in (1, 2):
        try:
            return _store_bulletin(draft, content, len(ranking), word, pdf, actor=actor)
        except IntegrityError:
            # Another first call for the same period inserted the row between our look-up
            # and our insert; the second attempt finds and updates that row.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _store_bulletin(
    draft: Bulletin, content: dict[str, Any], units: int, word: bytes, pdf: bytes, *, actor: Any
) -> Bulletin:
    """The transaction of :func:`generate_bulletin`: lock, re-check, save files and row."""
    plan, start, end = draft.plan, draft.period_start, draft.period_end
    stem = f"bulletin-{plan.pk}-{start:%Y%m%d}-{end:%Y%m%d}"
    written: list[tuple[Any, str]] = []
    try:
        with transaction.atomic(), audit.acting_as(actor):
            bulletin = (
                Bulletin.objects.select_for_update()
                .filter(plan=plan, period_start=start, period_end=end)
                .first()
            )
            _refuse_published(bulletin)
            created = bulletin is None
            if bulletin is None:
                bulletin = Bulletin(plan=plan, period_start=start, period_end=end)
                bulletin.title = draft.title
            elif (bulletin.number, bulletin.title) != (draft.number, draft.title):
                # Someone renumbered or retitled it meanwhile: the files must say so.
                draft.number, draft.title = bulletin.number, bulletin.title
                word, pdf = _render(build_bulletin_document(draft))
            old_files = [(f.storage, f.name) for f in (bulletin.docx, bulletin.pdf) if f.name]
            bulletin.content = content
            bulletin.docx.save(f"{stem}.docx", ContentFile(word), save=False)
            written.append((bulletin.docx.storage, bulletin.docx.name))
            bulletin.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
            written.append((bulletin.pdf.storage, bulletin.pdf.name))
            bulletin.save()
            audit.record_event(
                bulletin,
                "bulletin_generated",
                data={"period": content["period"], "units": units, "created": created},
            )
            # The previous files go only once the new ones are committed.
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        _delete_files(written)
        raise
    return bulletin


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        if name:
            storage.delete(name)


# -- notices ------------------------------------------------------------------------------

_NOTICE_TITLES = {
    NoticeLevel.REMINDER: "工作提醒单",
    NoticeLevel.CHASE: "催办通知单",
    NoticeLevel.SUPERVISE: "督办通知单",
    NoticeLevel.CRITICISM: "督办通知单",
    NoticeLevel.COORDINATION: "协调事项通知单",
}


def build_notice_document(notice: Notice) -> od.OfficialDocument:
    """A 督办通知单 / 催办通知单 for ``notice``, addressed to the unit it was sent to: about
    its task, or about a leader's instruction that has no task."""
    task = notice.task
    organ = _organ()
    issued = timezone.localdate(notice.created_at) if notice.created_at else timezone.localdate()
    level = NoticeLevel(notice.level)
    verb = {NoticeLevel.REMINDER: "提醒", NoticeLevel.CHASE: "催办"}.get(level, "督办")
    if task is None:
        instruction = notice.instruction
        facts = [
            f"来文：《{instruction.source_title}》",
            f"批示领导：{instruction.leader_title}{instruction.leader_name}",
            f"批示日期：{od.format_date(instruction.instructed_on)}",
            f"批示内容：{instruction.content}",
            f"反馈时限：{od.format_date(instruction.reply_by)}",
        ]
        opening = f"根据督查工作安排，现就你单位牵头办理的领导批示进行{verb}，请认真办理。"
        heading = "批示事项"
    else:
        facts = [f"任务编号：{task.code}" if task.code else "", f"工作任务：{task.text}"]
        if task.deadline:
            facts.append(f"完成时限：{od.format_date(task.deadline)}")
        elif task.deadline_text:
            facts.append(f"完成时限：{task.deadline_text}")
        facts.append(f"当前进度：{task.progress}%")
        opening = f"根据督查工作安排，现就你单位承担的以下任务进行{verb}，请认真办理。"
        heading = "任务事项"
    blocks: list[od.Block] = [
        od.Paragraph(opening),
        od.Heading(heading),
        *[od.Paragraph(line) for line in facts if line],
        od.Heading(f"{verb}事由"),
        od.Paragraph(notice.reason),
        od.Heading("办理要求"),
    ]
    if notice.reply_deadline:
        blocks.append(
            od.Paragraph(
                f"请于{od.format_date(notice.reply_deadline)}前将办理情况及下步措施"
                f"书面报送{organ}。逾期未报的，将按程序予以通报。"
            )
        )
    else:
        blocks.append(od.Paragraph(f"请抓紧办理，并及时将办理情况书面报送{organ}。"))
    co_units: list[str] = []
    assignment = access.assignment_of(task) if task is not None else None
    if assignment is not None:
        co_units = [u.name for u in assignment.co_units.all() if u.pk != notice.unit_id]
    elif task is None:
        co_units = [u.name for u in notice.instruction.co_units.all() if u.pk != notice.unit_id]
    return od.OfficialDocument(
        organ=organ,
        number=notice.number or _blank_number(issued.year),
        title=_NOTICE_TITLES.get(level, "督办通知单"),
        recipients=[notice.unit.name],
        blocks=blocks,
        signature=organ,
        date=issued,
        cc=co_units,
        printed_by=organ,
        printed_date=issued,
    )


def next_number(year: int) -> str:
    """The next document number of the year: 青督办〔2026〕3号."""
    prefix = f"{settings.DUBAN_DOC_PREFIX}〔{year}〕"
    taken = Bulletin.objects.filter(number__startswith=prefix).count()
    taken += Notice.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{taken + 1}号"


def publish_bulletin(bulletin: Bulletin, *, actor: Any) -> Bulletin:
    """印发: give the draft its document number, render the final files, lock it.

    The files are rendered outside the transaction (see :func:`generate_bulletin`); the
    transaction re-checks that nobody published it meanwhile.
    """
    _require_office(actor)
    _refuse_published(bulletin)
    issued = timezone.localdate()
    draft = Bulletin.objects.get(pk=bulletin.pk)
    draft.number = draft.number or next_number(issued.year)
    word, pdf = _render(build_bulletin_document(draft))
    stem = f"bulletin-{draft.plan_id}-{draft.period_start:%Y%m%d}-{draft.period_end:%Y%m%d}"
    written: list[tuple[Any, str]] = []
    try:
        with transaction.atomic(), audit.acting_as(actor):
            locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
            _refuse_published(locked)
            old_files = [(f.storage, f.name) for f in (locked.docx, locked.pdf) if f.name]
            locked.number = draft.number
            locked.status = Bulletin.Status.PUBLISHED
            locked.published_at = timezone.now()
            locked.docx.save(f"{stem}-final.docx", ContentFile(word), save=False)
            written.append((locked.docx.storage, locked.docx.name))
            locked.pdf.save(f"{stem}-final.pdf", ContentFile(pdf), save=False)
            written.append((locked.pdf.storage, locked.pdf.name))
            locked.save()
            audit.record_event(locked, "bulletin_published", data={"number": locked.number})
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        _delete_files(written)
        raise
    return locked


def render_notice(notice: Notice, fmt: str) -> bytes:
    """The notice as an official document, ``fmt`` "docx" or "pdf"."""
    document = build_notice_document(notice)
    out = io.BytesIO()
    if fmt == "docx":
        od.render_docx(document, out)
    elif fmt == "pdf":
        od.render_pdf(document, out)
    else:
        raise ValueError(fmt)
    return out.getvalue()
