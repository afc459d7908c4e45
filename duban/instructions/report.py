"""报结: the report back to the leader, as a formal document (GB/T 9704) in Word.

The content is built here (the instruction, the leader's words and the annotation's image,
each unit's 办理情况); the layout is the bulletins' (``duban.officialdoc``), so
the 报结 looks like every other document the office sends. Also the page image helpers:
the whole page or the marked region of the handwriting, as PNG.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone

from duban import officialdoc as od
from duban.instructions.choices import ReplyStatus
from duban.instructions.models import Instruction, InstructionPage

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def annotation_png(page: InstructionPage, *, whole: bool = False) -> bytes:
    """The marked region of a page image (or the whole page when none is marked), as PNG."""
    from PIL import Image

    with page.image.open("rb") as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.load()
    region = page.region
    if region and not whole:
        w, h = image.size
        box = (
            round(region["x"] * w),
            round(region["y"] * h),
            round((region["x"] + region["w"]) * w),
            round((region["y"] + region["h"]) * h),
        )
        image = image.crop(box)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def annotation_pictures(instruction: Instruction) -> list[tuple[bytes, str]]:
    """What the 报结 shows of the scan, with captions: every marked region, in page order;
    with none marked, the first page whole (where a leader writes, on the 批办单 or the
    report's first page). Nothing for a typed instruction."""
    pages = list(instruction.pages.all())
    marked = [p for p in pages if p.region]
    total = len(pages)
    if marked:
        return [
            (
                annotation_png(p),
                f"批示原件（扫描，第{p.number}页）" if total > 1 else "批示原件（扫描）",
            )
            for p in marked
        ]
    if pages:
        return [(annotation_png(pages[0]), "批示原件（扫描）")]
    return []


def _leader(instruction: Instruction) -> str:
    return f"{instruction.leader_title}{instruction.leader_name}".strip()


def build_report_document(instruction: Instruction) -> od.OfficialDocument:
    """The 报结 document: what the leader asked, what each unit did, what follows."""
    organ = settings.DUBAN_OFFICE_ORGAN
    today = timezone.localdate()
    source = f"《{instruction.source_title}》"
    if instruction.source_number:
        source += f"（{instruction.source_number}）"
    blocks: list[od.Block] = [
        od.Paragraph(
            f"{od.format_date(instruction.instructed_on)}，{instruction.leader_name}同志在"
            f"{source}上作出批示。{organ}按照批示要求，交由{instruction.lead_unit.name}牵头办理"
            + (
                "，" + "、".join(u.name for u in instruction.co_units.all()) + "配合"
                if instruction.co_units.exists()
                else ""
            )
            + f"，要求于{od.format_date(instruction.reply_by)}前反馈。现将办理情况报告如下。"
        ),
        od.Heading("领导批示"),
        od.Paragraph(instruction.content),
    ]
    for picture, caption in annotation_pictures(instruction):
        blocks.append(od.Image(picture, width_mm=120.0, caption=caption))
    blocks.append(od.Heading("办理情况"))
    replies = list(instruction.replies.select_related("unit").order_by("replied_on", "pk"))
    for reply in replies:
        blocks.append(od.Heading(reply.unit.name, level=2))
        blocks.append(od.Paragraph(reply.text))
        status = "已采纳" if reply.status == ReplyStatus.ACCEPTED else "待审核"
        blocks.append(od.Paragraph(f"（反馈日期：{od.format_date(reply.replied_on)}，{status}）"))
    if not replies:
        blocks.append(od.Paragraph("各单位尚未反馈办理情况。"))
    if instruction.task_id is not None:
        task = instruction.task
        blocks.append(
            od.Paragraph(
                f"该批示事项已纳入督查督办任务（{task.code or task.pk}），将持续跟踪直至办结。"
            )
        )
    if instruction.close_note:
        blocks.append(od.Heading("报结意见"))
        blocks.append(od.Paragraph(instruction.close_note))
    blocks.append(od.Paragraph("特此报告。"))
    return od.OfficialDocument(
        organ=organ,
        number=f"{settings.DUBAN_DOC_PREFIX}〔{today.year}〕　号",
        title=f"关于{instruction.leader_name}同志批示办理情况的报告",
        recipients=[_leader(instruction)],
        blocks=blocks,
        signature=organ,
        date=today,
        cc=[],
        printed_by=organ,
        printed_date=today,
    )


def render_report_docx(instruction: Instruction) -> bytes:
    buffer = io.BytesIO()
    od.render_docx(build_report_document(instruction), buffer)
    return buffer.getvalue()


def report_filename(instruction: Instruction) -> str:
    return f"批示办理情况报告-{instruction.pk}.docx"
