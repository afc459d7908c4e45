"""Formal documents (公文) in the national layout, GB/T 9704-2012, as Word and as PDF.

Bulletins (通报) and supervision notices (督办通知单、催办单) leave the office as formal
documents. This module turns one content structure, :class:`OfficialDocument`, into

* a ``.docx`` (:func:`render_docx`, python-docx plus raw OOXML where python-docx has no API)
  that the office can still edit, stamp and file, and
* a ``.pdf`` (:func:`render_pdf`, HTML + WeasyPrint) that is what gets published,

so the two never say different things. Nothing here touches the database. The documents'
own words are Chinese by definition (this is China's national layout) and are not
translated; only messages to the user are.

The layout (see ``docs/official-documents.md`` for the reasoning and deviations):

* A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the text block
  (版心) is 156 mm × 225 mm holding 22 lines of 28 characters of 3号 (16 pt) text;
* 发文机关标志 in red 小标宋, 发文字号 centred two lines below it, a red rule 4 mm below the
  number; the title in 2号 (22 pt) 小标宋 two lines below the rule; 主送机关 one line below;
* body in 3号 仿宋_GB2312 with a fixed 28.95 pt line pitch; headings 一、 in 黑体,
  （一） in 楷体_GB2312, 1. in bold 仿宋;
* 发文机关署名 centred over the 成文日期, which stands four characters from the right;
* page numbers 「— 1 —」 in 4号 (14 pt) 宋体 digits, 7 mm below the text block, odd pages on
  the right and even pages on the left, one character in from the edge;
* 版记 (抄送, 印发机关 and 印发日期) between rules at the foot of the last page.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

# -- geometry (GB/T 9704-2012 §5.2) ------------------------------------------------------

PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
MARGIN_TOP_MM = 37.0
MARGIN_BOTTOM_MM = 35.0
MARGIN_LEFT_MM = 28.0
MARGIN_RIGHT_MM = 26.0
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

PT_PER_MM = 72 / 25.4
# 225 mm / 22 lines is 28.99 pt; 28.95 pt leaves Word and WeasyPrint a little rounding room
# so that the 22nd line never spills onto the next page.
LINE_PITCH_PT = 28.95
# 156 mm / 28 characters: 3号 glyphs are 16 pt wide, so characters are set 0.21 pt tighter.
CHAR_PITCH_PT = TEXT_WIDTH_MM * PT_PER_MM / CHARS_PER_LINE

# Word condenses 3号 text by 0.25 pt (character spacing is set in twentieths of a point;
# 0.20 would leave 27.98 characters a line), so 28 characters fit the 156 mm line.
BODY_CONDENSE_TWIPS = -5

# Chinese type sizes (字号) in points.
SIZE_XIAOCHU = 36.0  # 小初
SIZE_2 = 22.0  # 二号
SIZE_3 = 16.0  # 三号
SIZE_4 = 14.0  # 四号
SIZE_XIAO4 = 12.0  # 小四

RED = "C00000"

# Font names as offices have them installed. Word looks fonts up by these names; where a
# machine lacks one, the font table's alternative name (second item) and the GB2312 charset
# let Word and LibreOffice substitute a font of the same style instead of a Latin one.
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_LATIN = "Times New Roman"
FONT_ALTERNATIVES = {
    FONT_TITLE: ("小标宋", "roman"),
    FONT_BODY: ("仿宋", "modern"),
    FONT_HEI: ("SimHei", "modern"),
    FONT_KAI: ("楷体", "modern"),
    FONT_SONG: ("SimSun", "auto"),
}

# The one CJK font every machine must have for the PDF (Debian: fonts-wqy-microhei).
FALLBACK_FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian, Ubuntu
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),  # Fedora, Arch
)
FONT_ROLES = ("title", "body", "hei", "kai", "song")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class FontNotFoundError(RuntimeError):
    """No CJK font to draw the PDF with; the message says which package to install."""


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

_CN_DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (heading numbers)."""
    if not 0 < n < 100:
        raise ValueError(f"heading numbers run from 1 to 99, not {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


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


# -- Word --------------------------------------------------------------------------------


def render_docx(doc: OfficialDocument, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``doc`` as a Word document to a path or a binary stream."""
    word = new_document()
    _docx_styles(word)
    _docx_section(word)
    _docx_font_table(word)
    body = _DocxWriter(word)

    # The template starts with one empty paragraph; reuse it for the organ mark.
    first = word.paragraphs[0] if word.paragraphs else word.add_paragraph()
    body.organ_mark(first, doc.organ)
    body.number(doc.number)
    body.title(doc.title)
    if doc.recipients:
        body.recipients(doc.recipients)
    for block, number in numbered_headings(doc.blocks):
        body.block(block, number)
    # The signature never stands alone on a page: the last line of text goes with it.
    word.paragraphs[-1].paragraph_format.keep_with_next = True
    body.signature(doc.signature, format_date(doc.date))
    if doc.cc or doc.printed_by:
        body.colophon(doc.cc, doc.printed_by, doc.printed_date or doc.date)
    word.save(target)


def _pt(value: float) -> Any:
    return Pt(value)


def _twips(points: float) -> str:
    return str(round(points * 20))


def _el(tag: str, **attrs: str) -> Any:
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn("w:" + key), value)
    return element


# Schema order of the children we add (ECMA-376 CT_PPr, CT_TblPr and CT_RPr): Word rejects
# a document whose elements are out of order, so they are inserted, not appended.
_PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()
_TBLPR_ORDER = (
    "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
    "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription tblPrChange"
).split()
_RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint "
    "noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u "
    "effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()


def _insert_ordered(parent: Any, child: Any, order: Sequence[str]) -> Any:
    """Add ``child`` to ``parent`` at its schema position, replacing one of the same tag."""
    local = child.tag.rsplit("}", 1)[-1]
    old = parent.find(qn("w:" + local))
    if old is not None:
        parent.replace(old, child)
        return child
    later = set(order[order.index(local) + 1 :])
    for sibling in parent:
        if sibling.tag.rsplit("}", 1)[-1] in later:
            sibling.addprevious(child)
            return child
    parent.append(child)
    return child


def set_run_fonts(run: Any, east_asia: str, *, latin: str = FONT_LATIN) -> None:
    """Name the fonts of a run: Chinese text uses ``east_asia`` (the ``w:eastAsia`` slot),
    Latin letters and digits ``latin``. python-docx's ``font.name`` sets only the latter.
    """

    run.font.name = latin
    rfonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


def _docx_styles(word: Any) -> None:
    """Normal text is 3号 仿宋 on the fixed line pitch with no paragraph spacing."""
    normal = word.styles["Normal"]
    normal.font.size = _pt(SIZE_3)
    normal.font.name = FONT_LATIN
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), FONT_BODY)
    fmt = normal.paragraph_format
    fmt.space_before = _pt(0)
    fmt.space_after = _pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = _pt(LINE_PITCH_PT)
    fmt.widow_control = False  # a line grid, not typography, decides where pages break
    # The document defaults also carry the size so that Word's character grid (computed
    # from the default size) gives 28 characters a line.
    styles = word.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            for tag in ("w:sz", "w:szCs"):
                old = rpr.find(qn(tag))
                if old is not None:
                    rpr.remove(old)
                rpr.append(_el(tag, val=str(int(SIZE_3 * 2))))


def _docx_section(word: Any) -> None:
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGIN_TOP_MM)
    section.bottom_margin = Mm(MARGIN_BOTTOM_MM)
    section.left_margin = Mm(MARGIN_LEFT_MM)
    section.right_margin = Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    # The page number's top edge sits about 7 mm below the text block (§7.5): a 14 pt line
    # whose box begins ~4 mm below the block puts the dash there.
    section.footer_distance = Mm(24.5)
    section.gutter = Mm(0)

    # A line grid of 22 lines. Not Word's line-and-character grid: LibreOffice gives a glyph
    # wider than a grid cell two cells, which doubles every character's width. The 28
    # characters a line come from condensing 3号 text instead (see BODY_CONDENSE_TWIPS).
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = _el("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), _twips(LINE_PITCH_PT))
    if grid.get(qn("w:charSpace")) is not None:
        del grid.attrib[qn("w:charSpace")]

    # Odd pages carry the number on the right, even pages on the left, one character in,
    # as printed documents are bound on the left and read double-sided.
    word.settings.odd_and_even_pages_header_footer = True
    _page_number_footer(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number_footer(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _page_number_footer(footer: Any, alignment: Any) -> None:
    """「— 1 —」: a PAGE field between two 一字线, 4号 宋体 digits."""
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    paragraph.alignment = alignment
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = _pt(SIZE_4 + 4)
    fmt.first_line_indent = _pt(0)
    if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = _pt(SIZE_4)
    else:
        fmt.left_indent = _pt(SIZE_4)

    def run_with(element: Any = None, text: str = "") -> None:
        run = paragraph.add_run(text)
        set_run_fonts(run, FONT_SONG, latin=FONT_SONG)
        run.font.size = _pt(SIZE_4)
        if element is not None:
            run._r.append(element)

    run_with(text="— ")
    run_with(_el("w:fldChar", fldCharType="begin"))
    instr = OxmlElement("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = " PAGE "
    run_with(instr)
    run_with(_el("w:fldChar", fldCharType="separate"))
    run_with(text="1")
    run_with(_el("w:fldChar", fldCharType="end"))
    run_with(text=" —")


def _docx_font_table(word: Any) -> None:
    """Declare the Chinese fonts with a substitute name and the GB2312 character set."""
    part = word.part
    font_part = None
    for rel in part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            font_part = rel.target_part
            break
    if font_part is None:
        return

    root = parse_xml(font_part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, (alt, family) in FONT_ALTERNATIVES.items():
        if name in known:
            continue
        font = _el("w:font", name=name)
        font.append(_el("w:altName", val=alt))
        font.append(_el("w:charset", val="86"))  # GB2312
        font.append(_el("w:family", val=family))
        font.append(_el("w:pitch", val="variable"))
        root.append(font)

    font_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _DocxWriter:
    """Appends the parts of the document in order, each with its own fonts and spacing."""

    def __init__(self, word: Any) -> None:
        self.word = word

    def paragraph(
        self,
        *,
        alignment: Any = None,
        before: float = 0.0,
        indent_chars: float = 0.0,
        line: float | None = LINE_PITCH_PT,
        existing: Any = None,
    ) -> Any:

        p = existing if existing is not None else self.word.add_paragraph()
        if alignment is not None:
            p.alignment = alignment
        fmt = p.paragraph_format
        fmt.space_before = _pt(before)
        if line is None:
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        else:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = _pt(line)
        if indent_chars:
            fmt.first_line_indent = _pt(indent_chars * CHAR_PITCH_PT)
            # Also in character units, so Word keeps it at two cells if the grid changes.
            ind = p._p.get_or_add_pPr().get_or_add_ind()
            ind.set(qn("w:firstLineChars"), str(int(indent_chars * 100)))
        return p

    def run(
        self,
        p: Any,
        text: str,
        font: str,
        size: float,
        *,
        bold: bool = False,
        color: str | None = None,
    ) -> Any:

        run = p.add_run(text)
        set_run_fonts(run, font)
        run.font.size = _pt(size)
        run.bold = bold
        if color:
            run.font.color.rgb = RGBColor.from_string(color)
        if size == SIZE_3:
            rpr = run._r.get_or_add_rPr()
            _insert_ordered(rpr, _el("w:spacing", val=str(BODY_CONDENSE_TWIPS)), _RPR_ORDER)
        return run

    def organ_mark(self, first: Any, organ: str) -> None:
        size = organ_size_pt(organ)
        # §7.2.3: the mark's top edge is 35 mm below the top of the text block.
        p = self.paragraph(
            existing=first,
            alignment=WD_ALIGN_PARAGRAPH.CENTER,
            before=35 * PT_PER_MM - (size * 1.3 - size) / 2,
            line=size * 1.3,
        )
        self.run(p, organ, FONT_TITLE, size, color=RED)

    def number(self, number: str) -> None:
        # Two blank lines below the mark, then the red rule 4 mm below the number.
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.CENTER, before=2 * LINE_PITCH_PT)
        self.run(p, number, FONT_BODY, SIZE_3)
        borders = _el("w:pBdr")
        borders.append(
            _el("w:bottom", val="single", sz="12", space="11", color=RED)  # 1.5 pt, 4 mm below
        )
        _insert_ordered(p._p.get_or_add_pPr(), borders, _PPR_ORDER)

    def title(self, title: str) -> None:
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.CENTER, before=2 * LINE_PITCH_PT)
        p.paragraph_format.keep_with_next = True
        for i, line in enumerate(title.split("\n")):
            run = self.run(p, line, FONT_TITLE, SIZE_2)
            if i < title.count("\n"):
                run.add_break()

    def recipients(self, recipients: Sequence[str]) -> None:
        p = self.paragraph(before=LINE_PITCH_PT)
        self.run(p, "、".join(recipients) + "：", FONT_BODY, SIZE_3)

    def block(self, block: Block, number: str) -> None:
        if isinstance(block, Heading):
            font, bold = {1: (FONT_HEI, False), 2: (FONT_KAI, False), 3: (FONT_BODY, True)}[
                block.level
            ]
            p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2)
            p.paragraph_format.keep_with_next = True
            self.run(p, number + block.text, font, SIZE_3, bold=bold)
        elif isinstance(block, Paragraph):
            p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars=2)
            self.run(p, block.text, FONT_BODY, SIZE_3)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Image):
            self.image(block)

    def caption(self, text: str, *, keep_with_next: bool) -> None:
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.CENTER)
        p.paragraph_format.keep_with_next = keep_with_next
        self.run(p, text, FONT_HEI, SIZE_4)

    def table(self, table: Table) -> None:
        if table.caption:
            self.caption(table.caption, keep_with_next=True)
        grid = self.word.add_table(rows=1 + len(table.rows), cols=len(table.columns))
        grid.style = "Table Grid"
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = table.widths or (1.0,) * len(table.columns)
        total = sum(widths)
        for i, w in enumerate(widths):
            width = Mm(TEXT_WIDTH_MM * w / total)
            grid.columns[i].width = width
            for cell in grid.columns[i].cells:
                cell.width = width
        # The header row repeats on every page the table runs over.
        grid.rows[0]._tr.get_or_add_trPr().append(_el("w:tblHeader"))
        for r, values in enumerate((table.columns, *table.rows)):
            for c, value in enumerate(values):
                cell = grid.cell(r, c)
                p = cell.paragraphs[0]
                self.paragraph(existing=p, alignment=WD_ALIGN_PARAGRAPH.CENTER, line=None)
                self.run(p, value, FONT_HEI if r == 0 else FONT_BODY, SIZE_XIAO4)
        # A table directly followed by another block needs a paragraph in between.
        self.paragraph(line=LINE_PITCH_PT / 2)

    def image(self, image: Image) -> None:
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.CENTER, line=None)
        p.paragraph_format.keep_with_next = bool(image.caption)
        width, height = image_size_mm(image)
        p.add_run().add_picture(io.BytesIO(image.png), width=Mm(width), height=Mm(height))
        if image.caption:
            self.caption(image.caption, keep_with_next=False)

    def signature(self, signature: str, date_text: str) -> None:
        sig_indent, date_indent = signature_indents(signature, date_text)
        # Two lines below the text: room for the seal, whose top is within a line of it.
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.RIGHT, before=2 * LINE_PITCH_PT)
        p.paragraph_format.right_indent = _pt(sig_indent * CHAR_PITCH_PT)
        p.paragraph_format.keep_with_next = True
        self.run(p, signature, FONT_BODY, SIZE_3)
        p = self.paragraph(alignment=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = _pt(date_indent * CHAR_PITCH_PT)
        self.run(p, date_text, FONT_BODY, SIZE_3)

    def colophon(self, cc: Sequence[str], printed_by: str, printed_date: dt.date) -> None:
        """版记: a table without side borders, floated to the foot of the last page."""
        rows = (1 if cc else 0) + 1
        grid = self.word.add_table(rows=rows, cols=2)
        tbl_pr = grid._tbl.tblPr
        # Anchored to the bottom of the text block, as §7.4 wants the last rule to coincide
        # with it. A reader that ignores floating tables shows it after the date instead.
        _insert_ordered(
            tbl_pr,
            _el(
                "w:tblpPr",
                horzAnchor="margin",
                vertAnchor="margin",
                tblpXSpec="center",
                tblpYSpec="bottom",
            ),
            _TBLPR_ORDER,
        )
        borders = _el("w:tblBorders")
        thick, thin = "8", "6"  # 1 pt ≈ 0.35 mm and 0.75 pt ≈ 0.25 mm
        # Children in schema order: top, left, bottom, right, insideH, insideV.
        for side, size in (
            ("top", thick),
            ("left", ""),
            ("bottom", thick),
            ("right", ""),
            ("insideH", thin),
            ("insideV", ""),
        ):
            if size:
                borders.append(_el("w:" + side, val="single", sz=size, space="0", color="000000"))
            else:
                borders.append(_el("w:" + side, val="nil"))
        _insert_ordered(tbl_pr, borders, _TBLPR_ORDER)
        margins = _el("w:tblCellMar")
        for side in ("left", "right"):  # one 4号 character in from each edge
            margins.append(_el("w:" + side, w=_twips(SIZE_4), type="dxa"))
        _insert_ordered(tbl_pr, margins, _TBLPR_ORDER)
        tbl_w = _el("w:tblW", w=_twips(TEXT_WIDTH_MM * PT_PER_MM), type="dxa")
        _insert_ordered(tbl_pr, tbl_w, _TBLPR_ORDER)
        for column in grid.columns:
            for cell in column.cells:
                cell.width = Mm(TEXT_WIDTH_MM / 2)
        row = 0
        if cc:
            cell = grid.cell(0, 0).merge(grid.cell(0, 1))
            p = self.paragraph(existing=cell.paragraphs[0])
            # Lines after the first align with the first name after 「抄送：」.
            p.paragraph_format.left_indent = _pt(3 * SIZE_4)
            p.paragraph_format.first_line_indent = _pt(-3 * SIZE_4)
            self.run(p, "抄送：" + "，".join(cc) + "。", FONT_BODY, SIZE_4)
            row = 1
        p = self.paragraph(existing=grid.cell(row, 0).paragraphs[0])
        self.run(p, printed_by, FONT_BODY, SIZE_4)
        p = self.paragraph(
            existing=grid.cell(row, 1).paragraphs[0], alignment=WD_ALIGN_PARAGRAPH.RIGHT
        )
        self.run(p, format_date(printed_date) + "印发", FONT_BODY, SIZE_4)
        # Word wants a paragraph after a table at the end of the body; a 1 pt one cannot
        # push anything onto a new page.
        end = self.paragraph(line=1)
        end.paragraph_format.first_line_indent = _pt(0)
        self.run(end, "", FONT_BODY, 1)


# -- PDF -----------------------------------------------------------------------------


def find_pdf_fonts(font_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The font file for each role (title, body, hei, kai, song).

    An office that has licensed the real fonts copies them into ``font_dir`` (by default
    ``$DUBAN_HOME/fonts``) as ``title.ttf`` (小标宋), ``body.ttf`` (仿宋_GB2312),
    ``hei.ttf``, ``kai.ttf`` and ``song.ttf`` (``.otf``/``.ttc`` also work). Every role
    without such a file falls back to WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``),
    a sans face that renders fast and covers GB 18030's common characters. Without it, the
    PDF cannot be made and :class:`FontNotFoundError` says what to install.
    """
    if font_dir is None:
        font_dir = _default_font_dir()
    fallback = next((p for p in FALLBACK_FONT_FILES if p.is_file()), None)
    found: dict[str, Path] = {}
    for role in FONT_ROLES:
        own = None
        if font_dir is not None:
            own = next(
                (
                    Path(font_dir) / (role + suffix)
                    for suffix in _FONT_SUFFIXES
                    if (Path(font_dir) / (role + suffix)).is_file()
                ),
                None,
            )
        chosen = own or fallback
        if chosen is None:
            from django.utils.translation import gettext as _

            raise FontNotFoundError(
                _(
                    "找不到中文字体，无法生成 PDF。请安装 fonts-wqy-microhei"
                    "（apt-get install fonts-wqy-microhei），或将字体文件放入 {dir}。"
                ).format(dir=font_dir or "$DUBAN_HOME/fonts")
            )
        found[role] = chosen
    return found


def _default_font_dir() -> Path | None:
    try:
        from django.conf import settings

        if settings.configured and getattr(settings, "DUBAN_HOME", None):
            return Path(settings.DUBAN_HOME) / "fonts"
    except ImportError:  # pragma: no cover - Django is a dependency; kept for plain use
        pass
    return None


_CSS = """
{font_faces}
@page {{
  size: A4;
  margin: {mt}mm {mr}mm {mb}mm {ml}mm;
  @footnote {{ margin-top: 0; }}
}}
@page :right {{
  @bottom-right {{
    content: "— " counter(page) " —";
    font: {s4}pt {f_song}; vertical-align: top; padding-top: 4mm; padding-right: {s4}pt;
    white-space: nowrap; width: 40mm; text-align: right; letter-spacing: 0;
  }}
}}
@page :left {{
  @bottom-left {{
    content: "— " counter(page) " —";
    font: {s4}pt {f_song}; vertical-align: top; padding-top: 4mm; padding-left: {s4}pt;
    white-space: nowrap; width: 40mm; text-align: left; letter-spacing: 0;
  }}
}}
html {{
  font-family: {f_body}; font-size: {s3}pt; line-height: {lp}pt;
  letter-spacing: {ls}pt; color: #000;
}}
body {{ margin: 0; }}
p, h1, h2, h3, div {{ margin: 0; font-weight: normal; font-size: {s3}pt; }}
.organ {{
  font-family: {f_title}; color: #{red}; text-align: center; letter-spacing: 0;
  font-size: {organ_size}pt; line-height: {organ_line}pt; margin-top: {organ_before}pt;
}}
.number {{
  text-align: center; margin-top: {two_lines}pt; padding-bottom: 4mm;
  border-bottom: 1.5pt solid #{red};
}}
.title {{
  font-family: {f_title}; font-size: {s2}pt; text-align: center;
  margin-top: {two_lines}pt; break-after: avoid;
}}
.recipients {{ margin-top: {lp}pt; }}
.text {{ text-indent: {indent}pt; text-align: justify; }}
h1 {{ font-family: {f_hei}; break-after: avoid; }}
h2 {{ font-family: {f_kai}; break-after: avoid; }}
h3 {{ font-family: {f_body}; font-weight: bold; break-after: avoid; }}
.caption {{ font-family: {f_hei}; font-size: {s4}pt; text-align: center; text-indent: 0; }}
table.grid {{
  width: 100%; border-collapse: collapse; font-size: {s_small}pt; line-height: 1.5;
  letter-spacing: 0; margin-bottom: {half_line}pt;
}}
table.grid th, table.grid td {{ border: 0.75pt solid #000; padding: 1pt 3pt; text-align: center; }}
table.grid th {{ font-family: {f_hei}; font-weight: normal; }}
.figure {{ text-align: center; line-height: normal; break-inside: avoid; }}
.figure img {{ display: block; margin: 0 auto; }}
.signature {{
  text-align: right; margin-top: {two_lines}pt; padding-right: {sig_pad}pt;
  break-before: avoid; break-after: avoid;
}}
.date {{ text-align: right; padding-right: {date_pad}pt; }}
.colophon {{
  float: footnote; footnote-display: block; font-size: {s4}pt; letter-spacing: 0;
  line-height: {lp}pt;
}}
.colophon table {{
  width: 100%; border-collapse: collapse; border-top: 0.35mm solid #000;
  border-bottom: 0.35mm solid #000;
}}
.colophon td {{ padding: 0 {s4}pt; }}
.colophon tr + tr td {{ border-top: 0.25mm solid #000; }}
.colophon .cc {{ padding-left: {cc_pad}pt; text-indent: -{cc_hang}pt; }}
::footnote-call {{ content: none; }}
::footnote-marker {{ content: none; }}
"""


def render_html(doc: OfficialDocument, fonts: dict[str, Path] | None = None) -> str:
    """The document as print HTML (the PDF's source); fonts are local files only."""
    fonts = fonts or find_pdf_fonts()
    esc = html.escape
    # One @font-face per distinct file: WeasyPrint subsets every face it embeds, which takes
    # about a second for a CJK font, so five roles sharing the fallback must be one face.
    files = list(dict.fromkeys(path.resolve() for path in fonts.values()))
    faces = "\n".join(
        f'@font-face {{ font-family: "duban-font-{i}"; src: url("{path.as_uri()}"); }}'
        for i, path in enumerate(files)
    )
    family = {role: f'"duban-font-{files.index(path.resolve())}"' for role, path in fonts.items()}
    date_text = format_date(doc.date)
    sig_indent, date_indent = signature_indents(doc.signature, date_text)
    organ_size = organ_size_pt(doc.organ)
    css = _CSS.format(
        font_faces=faces,
        f_title=family["title"],
        f_body=family["body"],
        f_hei=family["hei"],
        f_kai=family["kai"],
        f_song=family["song"],
        mt=MARGIN_TOP_MM,
        mr=MARGIN_RIGHT_MM,
        mb=MARGIN_BOTTOM_MM,
        ml=MARGIN_LEFT_MM,
        s2=SIZE_2,
        s3=SIZE_3,
        s4=SIZE_4,
        s_small=SIZE_XIAO4,
        lp=LINE_PITCH_PT,
        half_line=LINE_PITCH_PT / 2,
        two_lines=2 * LINE_PITCH_PT,
        ls=round(CHAR_PITCH_PT - SIZE_3, 3),
        indent=round(2 * CHAR_PITCH_PT, 2),
        red=RED,
        organ_size=organ_size,
        organ_line=round(organ_size * 1.3, 2),
        organ_before=round(35 * PT_PER_MM - (organ_size * 1.3 - organ_size) / 2, 2),
        sig_pad=round(sig_indent * CHAR_PITCH_PT, 2),
        date_pad=round(date_indent * CHAR_PITCH_PT, 2),
        cc_pad=SIZE_4 + 3 * SIZE_4,
        cc_hang=3 * SIZE_4,
    )
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(doc.title)}</title><style>{css}</style></head><body>",
        f'<div class="organ">{esc(doc.organ)}</div>',
        f'<div class="number">{esc(doc.number) or "&nbsp;"}</div>',
        '<h1 class="title">{}</h1>'.format("<br>".join(esc(t) for t in doc.title.split("\n"))),
    ]
    if doc.recipients:
        parts.append(f'<p class="recipients">{esc("、".join(doc.recipients))}：</p>')
    for block, number in numbered_headings(doc.blocks):
        parts.append(_html_block(block, number))
    parts.append(f'<p class="signature">{esc(doc.signature)}</p>')
    parts.append(f'<p class="date">{esc(date_text)}</p>')
    if doc.cc or doc.printed_by:
        printed = format_date(doc.printed_date or doc.date) + "印发"
        rows = []
        if doc.cc:
            cc = esc("抄送：" + "，".join(doc.cc) + "。")
            rows.append(f'<tr><td class="cc" colspan="2">{cc}</td></tr>')
        rows.append(
            f'<tr><td>{esc(doc.printed_by)}</td><td style="text-align:right">{printed}</td></tr>'
        )
        # A footnote is laid out at the foot of the page it is called from: that puts the
        # 版记 on the bottom rule of the last page, as §7.4 asks.
        parts.append(f'<div class="colophon"><table>{"".join(rows)}</table></div>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_block(block: Block, number: str) -> str:
    esc = html.escape
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        return f'<{tag} class="text">{esc(number + block.text)}</{tag}>'
    if isinstance(block, Paragraph):
        return f'<p class="text">{esc(block.text)}</p>'
    if isinstance(block, Table):
        widths = block.widths or (1.0,) * len(block.columns)
        total = sum(widths)
        cols = "".join(f'<col style="width:{100 * w / total:.2f}%">' for w in widths)
        head = "".join(f"<th>{esc(c)}</th>" for c in block.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        caption = f'<p class="caption">{esc(block.caption)}</p>' if block.caption else ""
        return (
            f'{caption}<table class="grid"><colgroup>{cols}</colgroup>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        width, height = image_size_mm(block)
        caption = f'<p class="caption">{esc(block.caption)}</p>' if block.caption else ""
        return (
            f'<div class="figure"><img src="data:image/png;base64,{data}" '
            f'style="width:{width:.2f}mm;height:{height:.2f}mm" alt="{esc(block.caption)}">'
            f"{caption}</div>"
        )
    raise TypeError(f"unknown block {block!r}")


def render_pdf(doc: OfficialDocument, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``doc`` as a PDF (WeasyPrint) to a path or a binary stream.

    Only ``file:`` (the font files) and ``data:`` (the pictures) addresses are fetched, so
    rendering never touches the network whatever the content says.
    """
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    HTML(string=render_html(doc), url_fetcher=fetcher).write_pdf(target)


# -- charts --------------------------------------------------------------------------


@dataclass
class BarChart:
    """A horizontal bar chart in the given order, drawn with Pillow (no plotting library).

    Bars get thinner as units are added so that the picture never grows taller than
    ``max_height_px`` (at 150 mm wide, 1500 × 2000 px is 150 × 200 mm: one page). Up to 50
    bars stay legible; callers split longer rankings into several charts.
    """

    labels: Sequence[str]
    values: Sequence[float]
    maximum: float = 100.0
    width_px: int = 1500
    row_px: int = 80
    max_height_px: int = 2000
    highlight: Sequence[bool] = field(default_factory=list)

    def png(self, font_path: Path | None = None) -> bytes:
        font_file = str(font_path or find_pdf_fonts()["body"])
        n = max(len(self.labels), 1)
        top, bottom = 20, 60
        row = min(self.row_px, (self.max_height_px - top - bottom) // n)
        size = max(12, min(40, int(row * 0.55)))
        font = ImageFont.truetype(font_file, size=size)
        small = ImageFont.truetype(font_file, size=32)
        plot_bottom = top + n * row
        img = PILImage.new("RGB", (self.width_px, plot_bottom + bottom), "white")
        draw = ImageDraw.Draw(img)
        label_w = max([draw.textlength(t, font=font) for t in self.labels] + [0.0])
        left = int(min(label_w + 30, self.width_px * 0.35))
        right = self.width_px - 140  # room for the value after the longest bar
        span = right - left
        scale = span / self.maximum if self.maximum else 0
        # Grid lines every fifth of the scale, labelled under the axis.
        for i in range(6):
            x = left + span * i / 5
            draw.line([(x, top), (x, plot_bottom)], fill=(210, 210, 210), width=2)
            label = f"{self.maximum * i / 5:g}"
            draw.text(
                (x - draw.textlength(label, font=small) / 2, plot_bottom + 12),
                label,
                fill="black",
                font=small,
            )
        highlight = list(self.highlight) + [False] * (n - len(self.highlight))
        gap = max(2, row // 6)
        for i, (label, value) in enumerate(zip(self.labels, self.values, strict=True)):
            y = top + i * row
            colour = (192, 0, 0) if highlight[i] else (31, 78, 121)
            end = left + max(value, 0) * scale
            draw.rectangle([(left, y + gap), (end, y + row - gap)], fill=colour)
            middle = y + row / 2
            draw.text((left - 15, middle), label, fill="black", font=font, anchor="rm")
            draw.text((end + 10, middle), f"{value:g}", fill="black", font=font, anchor="lm")
        draw.line([(left, top), (left, plot_bottom)], fill="black", width=3)
        out = io.BytesIO()
        # Few colours: a palette PNG encodes several times faster than an RGB one.
        palette = img.quantize(colors=64, method=PILImage.Quantize.FASTOCTREE)
        palette.save(out, format="PNG", dpi=(300, 300))
        return out.getvalue()
