"""What a formal document says (headings, paragraphs, tables, images, the 版记), and the
text rules of the layout: numbering, dates, widths and indents."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image as PILImage

from duban.extract.structure import chinese_number
from duban.officialdoc.layout import (
    PT_PER_MM,
    SIZE_XIAOCHU,
    TEXT_WIDTH_MM,
)

# -- content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A numbered heading: level 1 「一、」 (黑体), 2 「（一）」 (楷体), 3 「1.」 (bold 仿宋).

    Numbers are given by the renderer, so ``text`` carries the words only.
    """

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise ValueError(f"heading level must be 1, 2 or 3, not {self.level}")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    """A grid table; ``widths`` are relative column widths (equal when empty)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    widths: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", tuple(tuple(str(c) for c in r) for r in self.rows))
        object.__setattr__(self, "widths", tuple(self.widths))
        if any(len(r) != len(self.columns) for r in self.rows):
            raise ValueError("every table row needs one cell per column")
        if self.widths and len(self.widths) != len(self.columns):
            raise ValueError("table widths need one entry per column")


@dataclass(frozen=True)
class Image:
    """A PNG picture (a chart) centred in the text block, with an optional caption below."""

    png: bytes
    width_mm: float = 150.0
    caption: str = ""


Block = Heading | Paragraph | Table | Image


@dataclass
class OfficialDocument:
    """Everything a formal document says, in reading order; the renderers add the layout.

    ``organ`` is the 发文机关标志 as printed in red (「青澜市人民政府督查室」 or
    「青澜市委督查室文件」); ``signature`` the 发文机关署名 above the date.
    """

    organ: str
    number: str
    title: str
    recipients: Sequence[str]
    blocks: list[Block]
    signature: str
    date: dt.date
    cc: Sequence[str] = ()
    printed_by: str = ""
    printed_date: dt.date | None = None

    def to_dict(self, *, images: bool = False) -> dict[str, Any]:
        """A JSON-ready form. Pictures are left out unless ``images`` (they are regenerated)."""
        blocks: list[dict[str, Any]] = []
        for block in self.blocks:
            if isinstance(block, Image):
                item: dict[str, Any] = {
                    "type": "image",
                    "width_mm": block.width_mm,
                    "caption": block.caption,
                }
                if images:
                    item["png"] = base64.b64encode(block.png).decode("ascii")
            elif isinstance(block, Table):
                item = {
                    "type": "table",
                    "columns": list(block.columns),
                    "rows": [list(r) for r in block.rows],
                    "caption": block.caption,
                    "widths": list(block.widths),
                }
            else:
                item = {"type": _block_type(block), **dataclasses.asdict(block)}
            blocks.append(item)
        return {
            "organ": self.organ,
            "number": self.number,
            "title": self.title,
            "recipients": list(self.recipients),
            "blocks": blocks,
            "signature": self.signature,
            "date": self.date.isoformat(),
            "cc": list(self.cc),
            "printed_by": self.printed_by,
            "printed_date": self.printed_date.isoformat() if self.printed_date else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OfficialDocument:
        """The inverse of :meth:`to_dict`; pictures stored without bytes are dropped."""
        blocks: list[Block] = []
        for item in data.get("blocks", []):
            kind = item.get("type")
            if kind == "heading":
                blocks.append(Heading(item["text"], int(item.get("level", 1))))
            elif kind == "paragraph":
                blocks.append(Paragraph(item["text"]))
            elif kind == "table":
                blocks.append(
                    Table(
                        tuple(item["columns"]),
                        tuple(tuple(r) for r in item["rows"]),
                        item.get("caption", ""),
                        tuple(item.get("widths") or ()),
                    )
                )
            elif kind == "image" and item.get("png"):
                blocks.append(
                    Image(
                        base64.b64decode(item["png"]),
                        float(item.get("width_mm", 150.0)),
                        item.get("caption", ""),
                    )
                )
        printed = data.get("printed_date")
        return cls(
            organ=data["organ"],
            number=data.get("number", ""),
            title=data["title"],
            recipients=list(data.get("recipients", [])),
            blocks=blocks,
            signature=data.get("signature", ""),
            date=dt.date.fromisoformat(data["date"]),
            cc=list(data.get("cc", [])),
            printed_by=data.get("printed_by", ""),
            printed_date=dt.date.fromisoformat(printed) if printed else None,
        )


def _block_type(block: Block) -> str:
    return {Heading: "heading", Paragraph: "paragraph", Table: "table", Image: "image"}[type(block)]


# -- text helpers ----------------------------------------------------------------------


def format_date(day: dt.date) -> str:
    """成文日期 as GB/T 9704-2012 §7.3.5.1 writes it: 「2026年3月5日」 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def heading_number(level: int, n: int) -> str:
    if level == 1:
        return chinese_number(n) + "、"
    if level == 2:
        return "（" + chinese_number(n) + "）"
    return f"{n}."


def numbered_headings(blocks: Iterable[Block]) -> list[tuple[Block, str]]:
    """Each block with its heading number ('' for non-headings); deeper counters restart."""
    counters = [0, 0, 0]
    result: list[tuple[Block, str]] = []
    for block in blocks:
        if isinstance(block, Heading):
            i = block.level - 1
            counters[i] += 1
            for deeper in range(i + 1, 3):
                counters[deeper] = 0
            result.append((block, heading_number(block.level, counters[i])))
        else:
            result.append((block, ""))
    return result


def text_width_chars(text: str) -> float:
    """Width in full-width character cells: ASCII letters and digits take half a cell."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


def signature_indents(signature: str, date_text: str) -> tuple[float, float]:
    """Right indents (in character cells) of the 署名 and the 成文日期.

    The date stands four cells from the right edge; the signature is centred over it
    (the layout for a sealed document, where the seal covers both lines). A signature much
    longer than the date would then overrun the edge, so it is kept at least one cell in.
    """
    date_indent = 4.0
    sig_indent = date_indent + (text_width_chars(date_text) - text_width_chars(signature)) / 2
    return max(sig_indent, 1.0), date_indent


def organ_size_pt(organ: str) -> float:
    """The organ mark's type size: 小初, smaller when the name would not fit on one line."""
    width_pt = TEXT_WIDTH_MM * PT_PER_MM
    cells = max(text_width_chars(organ), 1.0)
    return min(SIZE_XIAOCHU, round(width_pt * 0.95 / cells, 1))


MAX_IMAGE_HEIGHT_MM = 200.0  # a picture and its caption fit in the 225 mm text block


def image_size_mm(image: Image) -> tuple[float, float]:
    """The printed width and height of a picture: ``width_mm`` wide unless that would make it
    taller than a page allows, then scaled down to :data:`MAX_IMAGE_HEIGHT_MM`.
    """
    with PILImage.open(io.BytesIO(image.png)) as picture:
        w_px, h_px = picture.size
    width = min(image.width_mm, TEXT_WIDTH_MM)
    height = width * h_px / w_px
    if height > MAX_IMAGE_HEIGHT_MM:
        width, height = width * MAX_IMAGE_HEIGHT_MM / height, MAX_IMAGE_HEIGHT_MM
    return width, height
