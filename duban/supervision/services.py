"""The supervision office's daily rules: reports, approval, notices, coordination, closure.

Each function is one transaction, checks permission through :mod:`duban.plans.access`,
validates, and leaves an audit trail (row diffs from the models plus a business event).
Pages, the API, the CLI and the worker call these functions and nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from duban.core import audit, faults
from duban.core.errors import InputError
from duban.core.language import in_site_language
from duban.core.models import ConflictError
from duban.core.storage import removed_on_error
from duban.org.choices import Role
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import WORKING_STATUSES, TaskKind, TaskStatus
from duban.plans.models import Task
from duban.supervision.cascade_remote import district_progress, push_progress
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.models import (
    ClosureRequest,
    Comment,
    Evidence,
    Notice,
    ProgressReport,
    ReportingSchedule,
    SupervisionSettings,
)
from duban.supervision.periods import Period, schedule_periods


class ValidationError(InputError):
    """Input a clerk must correct; the message says what and where."""


def _today() -> dt.date:
    return timezone.localdate()


def _check_version(obj: Any, expected_version: int | None) -> None:
    """A form or API client sends the version it loaded; a mismatch is a conflict."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise ConflictError(obj, int(expected_version), obj.version)


def _store_evidence(files: Iterable[Any], **owner: Any) -> list[Evidence]:
    """Check every file first, then write them: a refused file leaves no other file behind."""
    limit = settings.DUBAN_MAX_UPLOAD_BYTES
    checked = []
    for f in files:
        if isinstance(f, tuple):
            name, data = f
        else:
            if f.size is not None and f.size > limit:
                data = b""  # do not read a huge upload into memory just to refuse it
                name = f.name
                checked.append((name, None))
                continue
            name, data = f.name, f.read()
        checked.append((name, data))
    for name, data in checked:
        if data is None or len(data) > limit:
            raise ValidationError(
                _("文件“{name}”超过 {mb} MB 的上限，请压缩或拆分后再上传。").format(
                    name=name, mb=limit // (1024 * 1024)
                )
            )
        if not data:
            raise ValidationError(_("文件“{name}”是空的。").format(name=name))
    stored = []
    for name, data in checked:
        safe = get_valid_filename(name.replace("/", "_").replace("\\", "_"))[:200] or "file"
        ev = Evidence(name=name[:255], sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        for key, value in owner.items():
            setattr(ev, key, value)
        ev.file.save(safe, ContentFile(data), save=False)
        ev.save()
        stored.append(ev)
    return stored


def _refresh_light(task: Task) -> None:
    from duban.supervision.lights import recompute_task_light

    recompute_task_light(task)


#: How far from today an ad-hoc report (a task with no reporting schedule) may be dated.
ADHOC_PAST = dt.timedelta(days=366)
ADHOC_AHEAD = dt.timedelta(days=62)


def report_period(task: Task, wanted: dt.date | None, *, today: dt.date | None = None) -> Period:
    """The period a report for ``task`` ending on ``wanted`` is for, with its due date.

    The schedule decides, never the client: the report page and the API both call this, so
    a period the schedule does not owe, or a due date in 2099, cannot be filed (issue 14).
    Without ``wanted``, the first period due from today on, else the last one.
    """
    today = today or timezone.localdate()
    if wanted is not None:
        # A period that already has a row (missing, returned, draft) is that row's period,
        # whatever the schedule says now.
        row = (
            ProgressReport.objects.filter(task=task, period_end=wanted)
            .values_list("period_start", "period_end", "due_date")
            .first()
        )
        if row is not None:
            return Period(*row)
    schedule = ReportingSchedule.objects.filter(task=task).first()
    if schedule is None:
        # No schedule: an ad-hoc report for the period ending on the given day or today.
        day = wanted or today
        if not today - ADHOC_PAST <= day <= today + ADHOC_AHEAD:
            raise ValidationError(_("报送周期日期超出可报送的范围。"))
        return Period(day, day, day)
    until = max(wanted or today, today) + ADHOC_AHEAD
    try:
        periods = schedule_periods(schedule, until=until)
    except ValueError:
        periods = []
    if wanted is not None:
        for period in periods:
            if period.period_end == wanted:
                return period
        raise ValidationError(_("该任务没有这个报送周期。"))
    upcoming = [p for p in periods if p.due_date >= today]
    if upcoming:
        return upcoming[0]
    if periods:
        return periods[-1]
    return Period(today, today, today)


@removed_on_error  # a failed report or closure leaves no evidence file
@transaction.atomic
def submit_report(
    task: Task,
    *,
    actor: Any,
    period_start: dt.date,
    period_end: dt.date,
    due_date: dt.date,
    percent: int,
    progress: str,
    problems: str = "",
    next_steps: str = "",
    coordination_request: str = "",
    files: Iterable[Any] = (),
    expected_version: int | None = None,
    draft: bool = False,
    unit: Unit | None = None,
) -> ProgressReport:
    """进展报送 for the actor's unit and period. A unit leader's own report skips approval.

    ``unit`` names the reporting unit when the actor may report for more than one (the
    office entering a co-unit's report received on paper); by default the actor's own
    unit on the task, the lead unit first.
    """
    if unit is not None:
        access.require(actor, "report", task, unit_id=unit.pk)
        lead, co = access.task_units(task)
        if unit.pk != lead and unit.pk not in co:
            raise ValidationError(_("该单位不是此任务的牵头或配合单位。"))
        unit_id = unit.pk
    else:
        access.require(actor, "report", task)
        unit_id = access.acting_unit(actor, task, "report")
    if task.status == TaskStatus.CANCELLED:
        raise ValidationError(_("任务已撤销，不再报送。"))
    if not 0 <= int(percent) <= 100:
        raise ValidationError(_("完成进度应在 0 到 100 之间。"))
    if not progress.strip() and not draft:
        raise ValidationError(_("请填写工作进展。"))
    with audit.acting_as(actor):
        report = (
            ProgressReport.objects.select_for_update()
            .filter(task=task, unit_id=unit_id, period_end=period_end)
            .first()
        )
        if report is None:
            report = ProgressReport(
                task=task,
                unit_id=unit_id,
                period_start=period_start,
                period_end=period_end,
                due_date=due_date,
            )
        else:
            _check_version(report, expected_version)
            if report.status in (ReportStatus.ACCEPTED, ReportStatus.UNIT_APPROVED):
                raise ValidationError(_("该期报告已审核，不能再修改。"))
        report.percent = int(percent)
        report.progress = progress
        report.problems = problems
        report.next_steps = next_steps
        report.coordination_request = coordination_request
        if draft:
            report.status = ReportStatus.DRAFT
        else:
            now = timezone.now()
            report.submitted_at = now
            report.submitted_by = actor
            report.is_late = timezone.localdate(now) > report.due_date
            leader_roles = access.grants(actor).unit_roles.get(unit_id, frozenset())
            report.status = (
                ReportStatus.UNIT_APPROVED
                if Role.UNIT_LEADER in leader_roles
                else ReportStatus.SUBMITTED
            )
            report.return_reason = ""
        report.save()
        _store_evidence(files, report=report)
        if coordination_request.strip() and not draft:
            _open_coordination(task, unit_id, coordination_request, report)
        if not draft:
            audit.record_event(report, "report_submitted", data={"late": report.is_late})
            _refresh_light(Task.objects.get(pk=task.pk))
        faults.pause("report.commit")  # fault tests: report and file written, not committed
    return report


@transaction.atomic
def approve_report(report: ProgressReport, *, actor: Any) -> ProgressReport:
    """The unit leader sends the clerk's report on to the office."""
    access.require(actor, "approve_report", report.task, unit_id=report.unit_id)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("只有待单位审核的报告可以审核。"))
    with audit.acting_as(actor):
        report.status = ReportStatus.UNIT_APPROVED
        report.save()
        audit.record_event(report, "report_unit_approved")
    return report


@transaction.atomic
def review_report(
    report: ProgressReport, *, actor: Any, accept: bool, reason: str = ""
) -> ProgressReport:
    """The office accepts a report (the task's progress follows it) or returns it."""
    access.require(actor, "review_report", report.task)
    if report.status not in (ReportStatus.UNIT_APPROVED, ReportStatus.SUBMITTED):
        raise ValidationError(_("该报告不在待审核状态。"))
    if not accept and not reason.strip():
        raise ValidationError(_("退回报告时请写明原因。"))
    with audit.acting_as(actor):
        if accept:
            report.status = ReportStatus.ACCEPTED
            report.save()
            task = Task.objects.get(pk=report.task_id)
            lead, _co = access.task_units(task)
            if report.unit_id == lead:
                task.progress = report.percent
                if task.status == TaskStatus.CONFIRMED:
                    task.status = TaskStatus.IN_PROGRESS
                task.save()
            audit.record_event(report, "report_accepted")
            roll_up_to_city(task, actor=actor)
        else:
            report.status = ReportStatus.RETURNED
            report.return_reason = reason
            report.save()
            audit.record_event(report, "report_returned", note=reason)
        _refresh_light(Task.objects.get(pk=report.task_id))
    return report


def _notice_unit(task: Task) -> Unit:
    lead, _co = access.task_units(task)
    if lead is None:
        raise ValidationError(_("任务尚未交办，无法发出通知。"))
    return Unit.objects.get(pk=lead)


@in_site_language
@transaction.atomic
def issue_notice(
    task: Task | None,
    *,
    level: str,
    reason: str,
    actor: Any = None,
    unit: Unit | None = None,
    event_key: str = "",
    reply_days: int | None = None,
    instruction: Any = None,
) -> tuple[Notice, bool]:
    """Issue a notice of ``level`` about ``task``; the same event never issues twice.

    ``event_key`` names the event (e.g. the report period) so the worker can call this on
    every run without piling up duplicates. Returns (notice, created).

    A leader's instruction that has no task is chased all the same: ``task`` is None and
    ``instruction`` and ``unit`` (its lead unit) are given; the notice is recorded on the
    instruction and reaches the unit's inbox like any other.
    """
    if (task is None) == (instruction is None):
        raise ValueError("a notice is about a task or an instruction, exactly one")
    if actor is not None:
        if task is None:
            access.require_office(actor, "issue_notice")
        else:
            access.require(actor, "issue_notice", task)
    if level not in NoticeLevel.values:
        raise ValidationError(_("未知的通知级别。"))
    if task is None and unit is None:
        raise ValueError("a notice about an instruction names its unit")
    unit = unit or _notice_unit(task)
    subject = task.pk if task is not None else f"i{instruction.pk}"
    key = f"{subject}:{unit.pk}:{level}:{event_key or _today().isoformat()}"[:120]
    existing = Notice.objects.filter(dedup_key=key).first()
    if existing is not None:
        return existing, False
    limits = SupervisionSettings.current()
    days = reply_days if reply_days is not None else limits.reply_days
    deadline = _add_workdays(_today(), days)
    with audit.acting_as(actor):
        notice = Notice.objects.create(
            task=task,
            instruction=instruction,
            unit=unit,
            level=level,
            reason=reason,
            reply_deadline=deadline,
            dedup_key=key,
        )
        audit.record_event(
            task if task is not None else instruction,
            f"notice_{level}",
            note=reason,
            data={"notice": notice.pk},
        )
        from duban.supervision.notify import notify_notice

        notify_notice(notice)
    return notice, True


def _add_workdays(day: dt.date, n: int) -> dt.date:
    from duban.supervision.workdays import load_calendar

    return load_calendar().add_workdays(day, n)


@transaction.atomic
def reply_notice(notice: Notice, *, actor: Any, reply: str) -> Notice:
    if notice.task_id is None:
        # About a leader's instruction: its app's own rule decides (the lead or a co-unit's
        # leader or clerk, for that unit), through its AppConfig hook, since supervision
        # sits below the instructions app.
        subject = notice.instruction
        subject._meta.app_config.require_notice_reply(actor, subject, notice.unit_id)
    else:
        access.require(actor, "reply_notice", notice.task, unit_id=notice.unit_id)
    if not reply.strip():
        raise ValidationError(_("请填写回复内容。"))
    if notice.status != NoticeStatus.OPEN:
        raise ValidationError(_("该通知已回复或已关闭。"))
    with audit.acting_as(actor):
        notice.reply = reply
        notice.replied_at = timezone.now()
        notice.status = NoticeStatus.REPLIED
        notice.save()
    return notice


def _open_coordination(task: Task, unit_id: int, text: str, report: Any = None) -> Notice:
    key = f"{task.pk}:{unit_id}:coordination:{report.pk if report else _today().isoformat()}"
    notice, _created = Notice.objects.get_or_create(
        dedup_key=key[:120],
        defaults={
            "task": task,
            "unit_id": unit_id,
            "level": NoticeLevel.COORDINATION,
            "reason": text,
        },
    )
    return notice


@transaction.atomic
def request_coordination(task: Task, *, actor: Any, text: str) -> Notice:
    """协调事项: a problem the unit cannot solve alone goes to the leader in charge."""
    access.require(actor, "request_coordination", task)
    unit_id = access.acting_unit(actor, task, "request_coordination")
    if not text.strip():
        raise ValidationError(_("请写明需要协调的事项。"))
    with audit.acting_as(actor):
        notice = _open_coordination(task, unit_id, text)
        audit.record_event(task, "coordination_requested", note=text)
    return notice


@transaction.atomic
def decide_coordination(notice: Notice, *, actor: Any, decision: str) -> Notice:
    access.require(actor, "decide_coordination", notice.task)
    if notice.level != NoticeLevel.COORDINATION:
        raise ValidationError(_("这不是协调事项。"))
    with audit.acting_as(actor):
        notice.reply = decision
        notice.replied_at = timezone.now()
        notice.status = NoticeStatus.CLOSED
        notice.save()
        audit.record_event(notice.task, "coordination_decided", note=decision)
    return notice


#: The longest comment (批示或评论) accepted, in characters. Why a limit: the probe stored
#: megabytes in one comment, which every later view of the task page then carried (issue 14).
COMMENT_MAX_LENGTH = 2000


@transaction.atomic
def add_comment(task: Task, *, actor: Any, text: str, praise: bool = False) -> Comment:
    """A comment on the task; ``praise`` marks a leader's praise, which 考核 counts."""
    access.require(actor, "praise" if praise else "comment", task)
    if not text.strip():
        raise ValidationError(_("评论不能为空。"))
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("评论不能超过 {limit} 字（现有 {n} 字）。").format(
                limit=COMMENT_MAX_LENGTH, n=len(text)
            )
        )
    with audit.acting_as(actor):
        return Comment.objects.create(task=task, author=actor, text=text, praise=praise)


@removed_on_error  # a failed report or closure leaves no evidence file
@transaction.atomic
def request_closure(
    task: Task, *, actor: Any, note: str, files: Iterable[Any] = ()
) -> ClosureRequest:
    """The lead unit asks to close its task with evidence; co-units cannot."""
    access.require(actor, "request_closure", task)
    if task.status in (TaskStatus.CLOSED, TaskStatus.CLOSURE_REQUESTED):
        raise ValidationError(_("该任务已申请销号或已办结。"))
    if not note.strip():
        raise ValidationError(_("请填写完成情况。"))
    unit_id = access.acting_unit(actor, task, "request_closure")
    with audit.acting_as(actor):
        closure = ClosureRequest.objects.create(task=task, unit_id=unit_id, note=note)
        _store_evidence(files, closure=closure)
        task.status = TaskStatus.CLOSURE_REQUESTED
        task.save()
        audit.record_event(task, "closure_requested", note=note)
    return closure


@transaction.atomic
def decide_closure(
    closure: ClosureRequest,
    *,
    actor: Any,
    approve: bool,
    note: str = "",
    verification_note: str = "",
) -> ClosureRequest:
    """The office approves (销号) or returns a closure request.

    A rectification task (整改) closes only with a verification note: the fix must have been
    checked, not just reported.
    """
    task = Task.objects.select_for_update().get(pk=closure.task_id)
    access.require(actor, "approve_closure", task)
    if closure.status != ClosureRequest.Status.PENDING:
        raise ValidationError(_("该销号申请已处理。"))
    if approve and task.kind == TaskKind.RECTIFICATION and not verification_note.strip():
        raise ValidationError(_("整改任务销号须填写核验意见。"))
    if not approve and not note.strip():
        raise ValidationError(_("退回销号申请时请写明原因。"))
    with audit.acting_as(actor):
        closure.status = (
            ClosureRequest.Status.APPROVED if approve else ClosureRequest.Status.RETURNED
        )
        closure.decision_note = note
        closure.verification_note = verification_note
        closure.decided_at = timezone.now()
        closure.save()
        if approve:
            task.status = TaskStatus.CLOSED
            task.progress = 100
        else:
            task.status = TaskStatus.IN_PROGRESS
        task.save()
        audit.record_event(task, "task_closed" if approve else "closure_returned", note=note)
        _refresh_light(task)
        if approve:
            roll_up_to_city(task, actor=actor)
    return closure


@transaction.atomic
def set_reporting_schedule(
    task: Task,
    *,
    actor: Any,
    frequency: str,
    day: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Any:
    """进展报送 rhythm of a task (weekly on a weekday, monthly or quarterly on day N, once)."""
    from duban.supervision.choices import Frequency
    from duban.supervision.models import ReportingSchedule

    access.require(actor, "schedule", task)
    if frequency not in Frequency.values:
        raise ValidationError(_("未知的报送频次。"))
    limit = 7 if frequency == Frequency.WEEKLY else 31
    if not 1 <= int(day) <= limit:
        raise ValidationError(_("报送日应在 1 到 {n} 之间。").format(n=limit))
    with audit.acting_as(actor):
        schedule, _created = ReportingSchedule.objects.get_or_create(
            task=task,
            defaults={"frequency": frequency, "day": day, "starts_on": starts_on},
        )
        schedule.frequency, schedule.day = frequency, int(day)
        schedule.starts_on, schedule.ends_on = starts_on, ends_on
        schedule.save()
    _refresh_light(Task.objects.get(pk=task.pk))
    return schedule


ACTIVE = WORKING_STATUSES
SENT = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)


def _ladder_level(late_workdays: int, limits: SupervisionSettings) -> str | None:
    if late_workdays >= limits.criticize_after_days:
        return NoticeLevel.CRITICISM
    if late_workdays >= limits.supervise_after_days:
        return NoticeLevel.SUPERVISE
    if late_workdays >= limits.chase_after_days:
        return NoticeLevel.CHASE
    return None


@in_site_language
def run_chasing(*, today: dt.date | None = None) -> dict[str, int]:
    """The chasing ladder (提醒 → 催办 → 督办 → 通报), safe to run as often as wanted.

    For every active, assigned task with a reporting schedule: a report due within
    ``reminder_before_days`` gets a reminder; a report not sent by its due date is recorded
    as missing (a row with status ``missing``, so lateness is visible in the record, not just
    in notices) and climbs the ladder by working days late. A task whose light is red gets a
    督办 notice once per red spell. Every notice is keyed by its event, so reruns add nothing.
    """
    from duban.supervision.models import ReportingSchedule
    from duban.supervision.periods import periods_due_by
    from duban.supervision.workdays import load_calendar

    today = today or _today()
    calendar = load_calendar()
    limits = SupervisionSettings.current()
    counts = {"reminder": 0, "chase": 0, "supervise": 0, "criticism": 0, "missing": 0}
    schedules = list(
        ReportingSchedule.objects.select_related("task", "task__assignment").filter(
            task__status__in=ACTIVE, task__assignment__isnull=False
        )
    )
    task_ids = [s.task_id for s in schedules]
    reports = {
        (r.task_id, r.unit_id, r.period_end): r
        for r in ProgressReport.objects.filter(task_id__in=task_ids)
    }
    horizon = today + dt.timedelta(days=limits.reminder_before_days)
    for schedule in schedules:
        task = schedule.task
        lead_id = task.assignment.lead_unit_id
        try:
            periods = periods_due_by(schedule, horizon, calendar=calendar)
        except ValueError:
            continue
        for period in periods:
            report = reports.get((task.pk, lead_id, period.period_end))
            if report is not None and report.status in SENT:
                continue
            event = f"report:{period.period_end.isoformat()}"
            if today < period.due_date <= horizon:
                _notice, created = issue_notice(
                    task,
                    level=NoticeLevel.REMINDER,
                    reason=_("{period}的进展情况请于{due}前报送。").format(
                        period=period.period_end, due=period.due_date
                    ),
                    event_key=event,
                )
                counts["reminder"] += created
                continue
            if period.due_date >= today:
                continue
            with transaction.atomic():
                if report is None:
                    report = ProgressReport.objects.create(
                        task=task,
                        unit_id=lead_id,
                        period_start=period.period_start,
                        period_end=period.period_end,
                        due_date=period.due_date,
                        status=ReportStatus.MISSING,
                    )
                    reports[(task.pk, lead_id, period.period_end)] = report
                    counts["missing"] += 1
                late = calendar.workdays_between(period.due_date, today)
                level = _ladder_level(late, limits)
                if level is not None:
                    _notice, created = issue_notice(
                        task,
                        level=level,
                        reason=_("截至{today}，{period}进展情况逾期{n}个工作日未报送。").format(
                            today=today, period=period.period_end, n=late
                        ),
                        event_key=f"{event}:{level}",
                    )
                    counts[level] += created
    for task in Task.objects.filter(status__in=ACTIVE, light="red", assignment__isnull=False):
        spell = task.light_updated_at.date().isoformat() if task.light_updated_at else ""
        _notice, created = issue_notice(
            task,
            level=NoticeLevel.SUPERVISE,
            reason=_("任务亮红灯：{reason}").format(reason=task.light_reason),
            event_key=f"red:{spell}",
        )
        counts["supervise"] += created
    # Other apps' overdue items climb the same ladder (an AppConfig with a ``chase`` hook:
    # the leaders' instructions, duban/instructions), with the same thresholds and calendar.
    from django.apps import apps

    for config in apps.get_app_configs():
        hook = getattr(config, "chase", None)
        if hook is None:
            continue
        for level, n in hook(today=today, calendar=calendar, limits=limits).items():
            counts[level] = counts.get(level, 0) + n
    return counts


# -- the working-day calendar ---------------------------------------------------------------


def _require_office(actor: Any) -> None:
    access.require_office(actor, "calendar")


@transaction.atomic
def save_holiday_notice(parsed: Any, *, actor: Any) -> dict[str, int]:
    """Write a parsed State Council notice into the office's calendar (office only).

    Each day of the notice becomes a ``CalendarDay`` row; a row the office had for the same
    date is updated to what the notice says, rows on other dates (a local holiday) stay.
    A notice with any problem writes nothing. Returns counts of created and updated rows.
    """
    from duban.supervision.models import CalendarDay

    _require_office(actor)
    if not parsed.ok:
        raise ValidationError("；".join(parsed.errors) or _("通知中没有可保存的日期。"))
    days = parsed.days
    existing = {c.date: c for c in CalendarDay.objects.filter(date__in=[d.date for d in days])}
    created = updated = 0
    with audit.acting_as(actor):
        for day in days:
            row = existing.get(day.date)
            if row is None:
                CalendarDay.objects.create(date=day.date, is_workday=day.is_workday, note=day.note)
                created += 1
            elif (row.is_workday, row.note) != (day.is_workday, day.note):
                row.is_workday, row.note = day.is_workday, day.note
                row.save()
                updated += 1
    # Every row is audited by AuditedModel (before/after, actor), so no separate event.
    return {
        "created": created,
        "updated": updated,
        "rest": parsed.rest_count,
        "work": parsed.work_count,
    }


# -- bulk actions of the workbench ----------------------------------------------------------


@transaction.atomic
def accept_reports(report_ids: Iterable[int], *, actor: Any) -> list[ProgressReport]:
    """Accept several reports at once (工作台's 「批量采纳」): all of them or none.

    Each goes through :func:`review_report`, so the permission, status check, audit entry
    and light refresh are the same as one by one; the first report that cannot be accepted
    rolls back the others and its task code is named in the message.
    """
    ids = sorted({int(pk) for pk in report_ids})
    if not ids:
        raise ValidationError(_("请先勾选要采纳的报告。"))
    reports = {
        r.pk: r
        for r in ProgressReport.objects.select_for_update()
        .select_related("task")
        .filter(pk__in=ids)
    }
    accepted = []
    for pk in ids:
        report = reports.get(pk)
        if report is None or not access.can(actor, "view", report.task):
            raise access.NotFound()
        try:
            accepted.append(review_report(report, actor=actor, accept=True))
        except ValidationError as exc:
            raise ValidationError(
                _("{task}（{period}）的报告未能采纳：{reason} 本次没有采纳任何报告。").format(
                    task=report.task.code, period=report.period_end, reason=exc
                )
            ) from exc
    return accepted


def late_reports(*, today: dt.date | None = None) -> Any:
    """Reports a unit owes past their due date: recorded missing, or returned and not resent.

    Only for tasks still under way; 「missing」 rows are written by the chasing ladder.
    """
    today = today or _today()
    return ProgressReport.objects.filter(
        status__in=(ReportStatus.MISSING, ReportStatus.RETURNED),
        due_date__lt=today,
        task__status__in=ACTIVE,
    )


@in_site_language
@transaction.atomic
def chase_late_units(*, actor: Any, today: dt.date | None = None) -> dict[str, int]:
    """催办 every unit with a late report (工作台's 「一键催办」), office only.

    One 催办 per late report, keyed like the chasing ladder's (``report:<period>:chase``), so a
    unit already chased for that period, by hand or by the ladder, is not chased again.
    Returns the number of units, notices sent and notices skipped as already sent.
    """
    _require_office(actor)
    today = today or _today()
    counts = {"units": 0, "sent": 0, "skipped": 0}
    units: set[int] = set()
    reports = late_reports(today=today).select_related("task", "unit").order_by("due_date", "pk")
    for report in reports:
        late = report.status == ReportStatus.RETURNED
        reason = (
            _("{period}的进展报告被退回后尚未重新报送（应报日期{due}），请抓紧报送。")
            if late
            else _("{period}的进展情况已逾期未报送（应报日期{due}），请抓紧报送。")
        ).format(period=report.period_end, due=report.due_date)
        _notice, created = issue_notice(
            report.task,
            level=NoticeLevel.CHASE,
            reason=reason,
            actor=actor,
            unit=report.unit,
            event_key=f"report:{report.period_end.isoformat()}:chase",
        )
        units.add(report.unit_id)
        counts["sent" if created else "skipped"] += 1
    counts["units"] = len(units)
    return counts


# -- the district cascade's roll-up (区县 → 市) -------------------------------------------


def _carrier(task: Task) -> Task | None:
    """The district task linked to a city task that ``task`` is, or is part of."""
    seen: set[int] = set()
    node: Task | None = task
    while node is not None and node.pk not in seen:
        if node.upstream_id is not None:
            return node
        seen.add(node.pk)
        node = node.parent
    return None


def roll_up_to_city(task: Task, *, actor: Any) -> ProgressReport | None:
    """The district's progress on a city task, filed as the district's report on it.

    Called when a district task's progress changes (a department's report accepted by the
    district office, a sub-task closed). One report per period of the city task's
    schedule: a second change in the same period updates it; an unchanged one writes
    nothing. The report is the district's own word (status ``unit_approved``), so the
    city office accepts or returns it, and lights, chasing and bulletins count it like any
    other. Nothing is filed once the city has accepted that period's report, or when the
    city task is no longer the district's.
    """
    push_progress(task)  # a task received from the city's own instance, if it is one
    carrier = _carrier(task)
    if carrier is None:
        return None
    # Read afresh: the caller's copy may predate the change being rolled up.
    carrier = Task.objects.select_related("plan__owner_unit").get(pk=carrier.pk)
    if carrier.plan.owner_unit_id is None or carrier.status == TaskStatus.CANCELLED:
        return None  # not a district's, or withdrawn by the city
    district = carrier.plan.owner_unit
    city_task = Task.objects.select_for_update().get(pk=carrier.upstream_id)
    lead, co = access.task_units(city_task)
    if district.pk != lead and district.pk not in co:
        audit.record_event(carrier, "rollup_skipped", note="not the district's task")
        return None
    if city_task.status == TaskStatus.CLOSED:
        return None
    percent, text = district_progress(carrier)
    report, _changed = file_district_report(
        city_task,
        district,
        percent=percent,
        progress=text,
        actor=actor,
        event="report_rolled_up",
        data={"district_task": carrier.pk, "percent": percent},
    )
    if report is not None and report.status == ReportStatus.ACCEPTED:
        audit.record_event(carrier, "rollup_skipped", note="period already accepted")
    return report


def file_district_report(
    city_task: Task,
    district: Unit,
    *,
    percent: int,
    progress: str,
    actor: Any,
    event: str,
    data: dict[str, Any],
    remote_source: str = "",
    remote_signature: str = "",
) -> tuple[ProgressReport, str]:
    """The district's report on a city task for the period owed now, and what happened
    to it (``created``, ``updated`` or ``unchanged``): created or updated (status ``unit_approved``: the district's own word, which
    the city office accepts or returns), left alone when the city accepted that period or
    nothing changed. The caller holds the city task's row lock and checked the district.

    Within one instance :func:`roll_up_to_city` files it; from a district's own instance,
    ``POST /api/cascade/progress/`` (``remote_source``: the city's endpoint of that
    district, ``remote_signature``: the delivery's signature, both kept on the report).
    """
    period = report_period(city_task, None)
    report = (
        ProgressReport.objects.select_for_update()
        .filter(task=city_task, unit=district, period_end=period.period_end)
        .first()
    )
    if report is not None and report.status == ReportStatus.ACCEPTED:
        return report, "unchanged"
    if (
        report is not None
        and report.status == ReportStatus.UNIT_APPROVED
        and (report.percent, report.progress, report.remote_source)
        == (percent, progress, remote_source)
    ):
        return report, "unchanged"
    outcome = "updated" if report is not None else "created"
    with audit.acting_as(actor):
        if report is None:
            report = ProgressReport(
                task=city_task,
                unit=district,
                period_start=period.period_start,
                period_end=period.period_end,
                due_date=period.due_date,
            )
        now = timezone.now()
        report.percent = percent
        report.progress = progress
        report.status = ReportStatus.UNIT_APPROVED
        report.submitted_at = now
        report.submitted_by = actor
        report.is_late = timezone.localdate(now) > report.due_date
        report.return_reason = ""
        report.remote_source = remote_source
        report.remote_signature = remote_signature
        report.save()
        audit.record_event(report, event, data=data)
    _refresh_light(Task.objects.get(pk=city_task.pk))
    return report, outcome
