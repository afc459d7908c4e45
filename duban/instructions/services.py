"""Business rules for 领导批示件: one transaction each, checked by :mod:`.access`, audited.

Pages, the API and the chasing ladder call these functions and nothing else. Each change
writes the model's row diff (``AuditedModel``) and a business event
(``instruction_registered``, ``instruction_reply_added``, ``instruction_closed`` …).

The chasing ladder is the tasks' one ladder (:func:`chase_overdue`): an overdue instruction
is chased through a notice on the task it was turned into or attached to, or, with no
task, a notice about the instruction itself; so units see one inbox, the office one ladder
on its desk, and the same thresholds, working-day counting, deduplication and
催办 → 督办 → 通报 rungs apply (``supervision.services``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from duban.core import audit, uploads
from duban.core.errors import InputError
from duban.core.models import ConflictError
from duban.core.storage import removed_on_error
from duban.instructions import access
from duban.instructions.choices import InstructionStatus, ReplyStatus
from duban.instructions.models import Instruction, InstructionPage, InstructionReply
from duban.org.models import Unit
from duban.plans.models import FrameworkNode, Plan, Task

#: 「即将到期」 on the workbench: reply-by within this many days.
DUE_SOON_DAYS = 7
EDITABLE = (
    "leader_name",
    "leader_title",
    "instructed_on",
    "source_title",
    "source_number",
    "source_text",
    "content",
    "reply_by",
)


class ValidationError(InputError):
    """Input the office or a unit must correct; the message says what."""


@dataclass(frozen=True)
class ScanPage:
    """A recognised page image waiting in the upload store (``uploads``) to be kept."""

    token: str
    width: int
    height: int


def _today() -> dt.date:
    return timezone.localdate()


def accepted_reply() -> Exists:
    return Exists(
        InstructionReply.objects.filter(instruction=OuterRef("pk"), status=ReplyStatus.ACCEPTED)
    )


def overdue_q(today: dt.date) -> Q:
    """Open, past the reply-by date, and no reply accepted (needs ``with_state``)."""
    return Q(status=InstructionStatus.OPEN, reply_by__lt=today, has_accepted=False)


def with_state(qs: QuerySet) -> QuerySet:
    """Annotate ``has_accepted`` (a reply was accepted), which overdue depends on."""
    return qs.annotate(has_accepted=accepted_reply())


def is_overdue(instruction: Instruction, today: dt.date | None = None) -> bool:
    today = today or _today()
    if instruction.status != InstructionStatus.OPEN or instruction.reply_by >= today:
        return False
    accepted = getattr(instruction, "has_accepted", None)
    if accepted is None:
        accepted = instruction.replies.filter(status=ReplyStatus.ACCEPTED).exists()
    return not accepted


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Trimmed values, with the rules a form or a client must meet (nothing is written)."""
    out = dict(values)
    for key in ("leader_name", "leader_title", "source_title", "source_number", "content"):
        if key in out:
            out[key] = (out[key] or "").strip()
    required = {
        "leader_name": _("请填写批示领导。"),
        "source_title": _("请填写来文标题。"),
        "content": _("请填写批示内容。"),
        "instructed_on": _("请填写批示日期。"),
        "reply_by": _("请填写反馈时限。"),
    }
    for key, message in required.items():
        if key in out and not out[key]:
            raise ValidationError(message)
    if out.get("instructed_on") and out.get("reply_by") and out["reply_by"] < out["instructed_on"]:
        raise ValidationError(_("反馈时限不能早于批示日期。"))
    if out.get("instructed_on") and out["instructed_on"] > _today():
        raise ValidationError(_("批示日期不能晚于今天。"))
    return out


def _units(lead_unit: Unit, co_units: Iterable[Unit]) -> list[Unit]:
    if not lead_unit.is_active:
        raise ValidationError(_("牵头单位“{unit}”已停用。").format(unit=lead_unit))
    return [u for u in co_units if u.pk != lead_unit.pk]


@removed_on_error
@transaction.atomic
def register_instruction(
    *,
    actor: Any,
    leader_name: str,
    instructed_on: dt.date,
    source_title: str,
    content: str,
    reply_by: dt.date,
    lead_unit: Unit,
    co_units: Iterable[Unit] = (),
    leader_title: str = "",
    source_number: str = "",
    source_text: str = "",
    pages: Sequence[ScanPage] = (),
) -> Instruction:
    """登记 an instruction (office), typed or with the page images of its scan or photo
    (every page of a multi-page scan, in order)."""
    access.require_office(actor, "register_instruction")
    values = _clean(
        {
            "leader_name": leader_name,
            "leader_title": leader_title,
            "instructed_on": instructed_on,
            "source_title": source_title,
            "source_number": source_number,
            "source_text": source_text or "",
            "content": content,
            "reply_by": reply_by,
        }
    )
    helpers = _units(lead_unit, co_units)
    if any(not uploads.exists(page.token) for page in pages):
        raise ValidationError(_("识别的图像已过期或不存在，请重新上传扫描件。"))
    with audit.acting_as(actor):
        instruction = Instruction(lead_unit=lead_unit, created_by=actor, **values)
        instruction.save()
        stem = f"instruction-{uploads.new_token()[:12]}"
        for number, scanned in enumerate(pages, start=1):
            page = InstructionPage(
                instruction=instruction,
                number=number,
                width=scanned.width,
                height=scanned.height,
            )
            page.image.save(
                f"{stem}-p{number}.jpg", ContentFile(uploads.read(scanned.token)), save=False
            )
            page.save()
        if helpers:
            instruction.co_units.set(helpers)
        audit.record_event(
            instruction,
            "instruction_registered",
            data={
                "lead_unit": str(lead_unit),
                "co_units": [str(u) for u in helpers],
                "pages": len(pages),
            },
        )
    tokens = [page.token for page in pages]
    if tokens:
        # The recognised copies are kept on the record now; the waiting ones go after commit.
        transaction.on_commit(lambda: [uploads.delete(token) for token in tokens])
    return instruction


def _require_open(instruction: Instruction) -> None:
    if instruction.status == InstructionStatus.CLOSED:
        raise ValidationError(_("该批示已报结，不能再修改。"))


@transaction.atomic
def update_instruction(
    instruction: Instruction,
    *,
    actor: Any,
    version: int,
    lead_unit: Unit | None = None,
    co_units: Iterable[Unit] | None = None,
    **values: Any,
) -> Instruction:
    """The office corrects an instruction; a stale ``version`` changes nothing (409)."""
    access.require_office(actor, "edit_instruction")
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改的字段：{f}").format(f="、".join(sorted(unknown))))
    if int(version) != instruction.version:
        raise ConflictError(instruction, int(version), instruction.version)
    _require_open(instruction)
    merged = _clean(
        {
            **{k: getattr(instruction, k) for k in EDITABLE},
            **values,
        }
    )
    lead = lead_unit or instruction.lead_unit
    helpers = _units(lead, co_units if co_units is not None else instruction.co_units.all())
    old_reply_by = instruction.reply_by
    with audit.acting_as(actor):
        for key in values:
            setattr(instruction, key, merged[key])
        instruction.lead_unit = lead
        instruction.save()
        if co_units is not None or lead_unit is not None:
            before = sorted(u.pk for u in instruction.co_units.all())
            if before != sorted(u.pk for u in helpers):
                instruction.co_units.set(helpers)
                audit.record_event(
                    instruction,
                    "instruction_units_changed",
                    data={"lead_unit": str(lead), "co_units": [str(u) for u in helpers]},
                )
    if instruction.task_id is not None and instruction.reply_by != old_reply_by:
        _follow_reply_by(instruction, old_reply_by, actor=actor)
    return instruction


def _follow_reply_by(instruction: Instruction, before: dt.date, *, actor: Any) -> None:
    """The reply-by date moved: move the linked task's deadline with it when the deadline
    came from the instruction, i.e. is still the old reply-by date and the task is not
    closed (``plans.services.update_task``, audited as the task's own edits). A task with a
    deadline of its own (an existing task attached to the instruction, whose date is the
    work report's, or a deadline the office changed by hand) keeps it: what the leader is
    owed by a date is the reply, not the whole task. The task's history records the change
    either way, so whoever follows the task sees it."""
    from duban.plans.choices import TaskStatus
    from duban.plans.services import update_task

    task = Task.objects.select_for_update().get(pk=instruction.task_id)
    after = instruction.reply_by
    moved = task.deadline == before and task.status not in (
        TaskStatus.CLOSED,
        TaskStatus.REJECTED,
    )
    if moved:
        update_task(
            task,
            actor=actor,
            version=task.version,
            deadline=after,
            deadline_text=_("{d}前反馈").format(d=after.isoformat()),
        )
    with audit.acting_as(actor):
        audit.record_event(
            task,
            "instruction_reply_by_changed",
            note=(
                _("领导批示反馈时限由{before}改为{after}，任务完成时限随之调整。")
                if moved
                else _("领导批示反馈时限由{before}改为{after}；任务有自己的完成时限，未调整。")
            ).format(before=before.isoformat(), after=after.isoformat()),
            data={
                "instruction": instruction.pk,
                "before": before.isoformat(),
                "after": after.isoformat(),
                "deadline_moved": moved,
            },
        )


@transaction.atomic
def set_region(
    instruction: Instruction,
    *,
    actor: Any,
    region: dict[str, float] | None,
    page: int = 1,
) -> InstructionPage:
    """Mark where the handwriting is on page ``page`` of the scan (fractions of its width
    and height); ``None`` clears it. A leader may write on several pages (the 批办单 and
    the report's last page): each page keeps its own region."""
    access.require_office(actor, "edit_instruction")
    if not instruction.pages.exists():
        raise ValidationError(_("该批示没有扫描图像，无法标注批示区域。"))
    target = instruction.pages.filter(number=page).first()
    if target is None:
        raise ValidationError(
            _("扫描件没有第 {n} 页（共 {total} 页）。").format(
                n=page, total=instruction.pages.count()
            )
        )
    if region is not None:
        try:
            x, y, w, h = (float(region[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(_("批示区域应给出 x、y、w、h 四个数。")) from exc
        if not (
            0 <= x < 1 and 0 <= y < 1 and 0.01 <= w <= 1 - x + 1e-9 and 0.01 <= h <= 1 - y + 1e-9
        ):
            raise ValidationError(_("批示区域超出了图像范围，请重新框选。"))
        region = {"x": round(x, 4), "y": round(y, 4), "w": round(w, 4), "h": round(h, 4)}
    with audit.acting_as(actor):
        target.region = region
        target.save()
        audit.record_event(
            instruction, "instruction_region_marked", data={"page": page, "region": region}
        )
    return target


def default_task_text(instruction: Instruction) -> str:
    """The task's wording when the office turns an instruction into one."""
    return _("落实{leader}同志批示：{content}").format(
        leader=instruction.leader_name, content=instruction.content.strip()
    )[:2000]


@transaction.atomic
def create_task(
    instruction: Instruction,
    *,
    actor: Any,
    plan: Plan,
    framework_node: FrameworkNode | None = None,
    text: str = "",
) -> Task:
    """转为任务: a new task in ``plan`` (under ``framework_node``), led by the instruction's
    lead unit with its co-units, due on the reply-by date, through the plans services.

    In a confirmed plan the task is confirmed and assigned at once (交办); in a draft plan
    it is a proposal like any hand-added task, and is assigned when the plan is confirmed.
    """
    from duban.plans.choices import PlanStatus, TaskStatus
    from duban.plans.review import ReviewError, add_task
    from duban.plans.services import assign_task

    access.require_office(actor, "instruction_task")
    _require_open(instruction)
    if instruction.task_id is not None:
        raise ValidationError(_("该批示已关联任务，请先取消关联。"))
    if plan.status == PlanStatus.ARCHIVED:
        raise ValidationError(_("方案已归档，不能再添加任务。"))
    try:
        task = add_task(
            plan,
            actor=actor,
            text=text.strip() or default_task_text(instruction),
            framework_node=framework_node,
            deadline=instruction.reply_by,
        )
    except ReviewError as exc:
        raise ValidationError(str(exc)) from exc
    with audit.acting_as(actor):
        task.extracted = {**task.extracted, "instruction": instruction.pk}
        task.deadline_text = _("{d}前反馈").format(d=instruction.reply_by.isoformat())
        if plan.status == PlanStatus.CONFIRMED:
            task.status = TaskStatus.CONFIRMED
        else:
            task.extracted["lead_choice"] = {
                "id": instruction.lead_unit_id,
                "name": instruction.lead_unit.name,
            }
        task.save()
    if plan.status == PlanStatus.CONFIRMED:
        assign_task(
            task,
            lead_unit=instruction.lead_unit,
            co_units=list(instruction.co_units.all()),
            actor=actor,
        )
    _link(instruction, task, actor=actor, event="instruction_task_created")
    return task


def _link(instruction: Instruction, task: Task | None, *, actor: Any, event: str) -> None:
    with audit.acting_as(actor):
        instruction.task = task
        instruction.save()
        audit.record_event(
            instruction,
            event,
            data={"task": task.pk if task else None, "code": task.code if task else ""},
        )
        if task is not None:
            audit.record_event(task, "instruction_linked", data={"instruction": instruction.pk})


@transaction.atomic
def link_task(instruction: Instruction, *, actor: Any, task: Task | None) -> Instruction:
    """Attach the instruction to an existing task (or detach it with ``None``)."""
    from duban.plans.choices import TaskStatus

    access.require_office(actor, "instruction_task")
    _require_open(instruction)
    if task is not None and task.status in (TaskStatus.REJECTED,):
        raise ValidationError(_("不能关联已驳回的任务。"))
    _link(
        instruction,
        task,
        actor=actor,
        event="instruction_task_linked" if task is not None else "instruction_task_unlinked",
    )
    return instruction


def _attachment(upload: Any) -> tuple[str, bytes] | None:
    if upload is None:
        return None
    if isinstance(upload, tuple):
        name, data = upload
    else:
        limit = settings.DUBAN_MAX_UPLOAD_BYTES
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("文件“{name}”超过 {mb} MB 的上限，请压缩或拆分后再上传。").format(
                    name=upload.name, mb=limit // (1024 * 1024)
                )
            )
        name, data = upload.name, upload.read()
    if len(data) > settings.DUBAN_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("文件“{name}”超过 {mb} MB 的上限，请压缩或拆分后再上传。").format(
                name=name, mb=settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)
            )
        )
    if not data:
        raise ValidationError(_("文件“{name}”是空的。").format(name=name))
    return name, data


@removed_on_error
@transaction.atomic
def add_reply(
    instruction: Instruction,
    *,
    actor: Any,
    unit: Unit,
    text: str,
    replied_on: dt.date | None = None,
    attachment: Any = None,
) -> InstructionReply:
    """办理情况 for ``unit`` (the lead unit or a co-unit), by its leader or clerk."""
    access.require_reply(actor, instruction, unit.pk)
    _require_open(instruction)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("请填写办理情况。"))
    today = _today()
    replied_on = replied_on or today
    if replied_on > today:
        raise ValidationError(_("反馈日期不能晚于今天。"))
    if replied_on < instruction.instructed_on:
        raise ValidationError(_("反馈日期不能早于批示日期。"))
    checked = _attachment(attachment)
    with audit.acting_as(actor):
        reply = InstructionReply(
            instruction=instruction, unit=unit, text=text, replied_on=replied_on, author=actor
        )
        if checked is not None:
            name, data = checked
            safe = get_valid_filename(name.replace("/", "_").replace("\\", "_"))[:200] or "file"
            reply.attachment_name = name[:255]
            reply.attachment.save(safe, ContentFile(data), save=False)
        reply.save()
        audit.record_event(
            instruction,
            "instruction_reply_added",
            note=text[:200],
            data={
                "reply": reply.pk,
                "unit": str(unit),
                "sha256": hashlib.sha256(checked[1]).hexdigest() if checked else None,
            },
        )
    return reply


@transaction.atomic
def accept_reply(reply: InstructionReply, *, actor: Any) -> InstructionReply:
    """采纳 a unit's reply (office): an instruction with an accepted reply is no longer
    overdue, and the chase stops."""
    access.require_office(actor, "accept_instruction_reply")
    if reply.status == ReplyStatus.ACCEPTED:
        raise ValidationError(_("该办理情况已采纳。"))
    _require_open(reply.instruction)
    with audit.acting_as(actor):
        reply.status = ReplyStatus.ACCEPTED
        reply.accepted_at = timezone.now()
        reply.save()
        audit.record_event(
            reply.instruction, "instruction_reply_accepted", data={"reply": reply.pk}
        )
    return reply


@transaction.atomic
def close_instruction(instruction: Instruction, *, actor: Any, note: str = "") -> Instruction:
    """报结: the office has reported back to the leader; records who and when."""
    access.require_office(actor, "close_instruction")
    _require_open(instruction)
    if not instruction.replies.exists():
        raise ValidationError(_("还没有任何单位反馈办理情况，不能报结。"))
    with audit.acting_as(actor):
        instruction.status = InstructionStatus.CLOSED
        instruction.closed_at = timezone.now()
        instruction.closed_by = actor
        instruction.close_note = (note or "").strip()
        instruction.save()
        audit.record_event(instruction, "instruction_closed", note=instruction.close_note)
    return instruction


def closed_on_time(instruction: Instruction) -> bool:
    return bool(
        instruction.status == InstructionStatus.CLOSED
        and instruction.closed_at is not None
        and timezone.localdate(instruction.closed_at) <= instruction.reply_by
    )


# -- chasing ----------------------------------------------------------------------------


def chase_overdue(*, today: dt.date, calendar: Any, limits: Any) -> dict[str, int]:
    """The ladder's rung for every overdue instruction: 催办 → 督办 → 通报 by working days
    past the reply-by date, with the tasks' own thresholds (``SupervisionSettings``).

    The notice goes through ``supervision.issue_notice``, addressed to the lead unit, so the
    unit answers it in the same inbox and desk, the office sees it in the same counts, and
    the notice document and webhooks are the same. It is about the linked task when the
    instruction was turned into or attached to one (the task page is where that work is
    followed), else about the instruction itself. One notice per instruction and rung,
    whether it was issued before or after a task was linked: reruns add nothing.
    """
    from duban.supervision.models import Notice
    from duban.supervision.services import _ladder_level, issue_notice

    counts = {"chase": 0, "supervise": 0, "criticism": 0}
    overdue = (
        with_state(Instruction.objects.select_related("lead_unit", "task"))
        .filter(overdue_q(today))
        .order_by("reply_by", "pk")
    )
    for instruction in overdue:
        late = calendar.workdays_between(instruction.reply_by, today)
        level = _ladder_level(late, limits)
        if level is None:
            continue
        event = f"instruction:{instruction.pk}:{level}"
        if Notice.objects.filter(
            Q(instruction=instruction) | Q(dedup_key__endswith=f":{level}:{event}"),
            level=level,
        ).exists():
            continue
        reason = _(
            "截至{today}，{leader}同志在《{title}》上的批示，办理情况已逾期{n}个工作日未反馈"
            "（反馈时限{due}）。"
        ).format(
            today=today,
            leader=instruction.leader_name,
            title=instruction.source_title,
            n=late,
            due=instruction.reply_by,
        )
        _notice, created = issue_notice(
            instruction.task,
            instruction=None if instruction.task is not None else instruction,
            level=level,
            reason=reason,
            unit=instruction.lead_unit,
            event_key=event,
        )
        counts[level] += created
    return counts


def filter_instructions(user: Any, params: dict[str, Any], today: dt.date) -> Any:
    """The visible instructions matching the list's filters (the page and the API)."""
    qs = with_state(
        access.visible_instructions(user, Instruction.objects.select_related("lead_unit", "task"))
    )
    if params.get("leader"):
        qs = qs.filter(leader_name=params["leader"])
    if params.get("unit"):
        unit = params["unit"]
        unit_id = getattr(unit, "pk", unit)
        helped = Instruction.co_units.through.objects.filter(unit_id=unit_id).values(
            "instruction_id"
        )
        qs = qs.filter(Q(lead_unit_id=unit_id) | Q(pk__in=helped))
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if params.get("overdue") is True:
        qs = qs.filter(overdue_q(today))
    elif params.get("overdue") is False:
        qs = qs.exclude(overdue_q(today))
    if params.get("due") == "week":
        qs = qs.filter(
            status="open",
            reply_by__gte=today,
            reply_by__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
    return qs


# -- counts ----------------------------------------------------------------------------


@dataclass
class Tally:
    key: Any
    name: str
    total: int = 0
    open: int = 0
    overdue: int = 0
    closed_on_time: int = 0

    def add(self, status: str, overdue: bool, on_time: bool) -> None:
        self.total += 1
        self.open += status == InstructionStatus.OPEN
        self.overdue += overdue
        self.closed_on_time += on_time


def tallies(user: Any, *, today: dt.date | None = None) -> dict[str, list[Tally]]:
    """Counts by leader and by unit over what ``user`` may see: total, open, overdue and
    closed on time. A unit counts the instructions it leads or co-handles, each once.
    Two queries whatever the number of instructions."""
    today = today or _today()
    visible = with_state(access.visible_instructions(user)).order_by()
    rows = list(
        visible.values_list(
            "pk", "leader_name", "lead_unit_id", "status", "reply_by", "closed_at", "has_accepted"
        )
    )
    ids = [r[0] for r in rows]
    co: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for iid, unit_id, name in Instruction.co_units.through.objects.filter(
        instruction_id__in=ids
    ).values_list("instruction_id", "unit_id", "unit__name"):
        co[iid].add(unit_id)
        names[unit_id] = name
    lead_names = dict(Unit.objects.filter(pk__in={r[2] for r in rows}).values_list("pk", "name"))
    names.update(lead_names)
    by_leader: dict[str, Tally] = {}
    by_unit: dict[int, Tally] = {}
    for pk, leader, lead_id, status, reply_by, closed_at, accepted in rows:
        overdue = status == InstructionStatus.OPEN and reply_by < today and not accepted
        on_time = bool(
            status == InstructionStatus.CLOSED
            and closed_at is not None
            and timezone.localdate(closed_at) <= reply_by
        )
        by_leader.setdefault(leader, Tally(leader, leader)).add(status, overdue, on_time)
        for unit_id in {lead_id, *co.get(pk, set())}:
            by_unit.setdefault(unit_id, Tally(unit_id, names.get(unit_id, ""))).add(
                status, overdue, on_time
            )

    def ordered(items: Iterable[Tally]) -> list[Tally]:
        return sorted(items, key=lambda t: (-t.overdue, -t.open, -t.total, t.name))

    return {"leaders": ordered(by_leader.values()), "units": ordered(by_unit.values())}


def coming_due(user: Any, *, today: dt.date | None = None) -> int:
    """Open instructions this user may see whose reply-by date is within
    :data:`DUE_SOON_DAYS` days (today included): the workbench's one query."""
    today = today or _today()
    return (
        access.visible_instructions(user)
        .filter(
            status=InstructionStatus.OPEN,
            reply_by__gte=today,
            reply_by__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
        )
        .count()
    )
