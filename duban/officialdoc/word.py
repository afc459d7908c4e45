"""A formal document as .docx: python-docx, plus raw OOXML where python-docx has no API."""

from __future__ import annotations

import datetime as dt
import io
import os
from collections.abc import Sequence
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

from duban.officialdoc.content import (
    Block,
    Heading,
    Image,
    OfficialDocument,
    Paragraph,
    Table,
    format_date,
    image_size_mm,
    numbered_headings,
    organ_size_pt,
    signature_indents,
)
from duban.officialdoc.layout import (
    BODY_CONDENSE_TWIPS,
    CHAR_PITCH_PT,
    FONT_ALTERNATIVES,
    FONT_BODY,
    FONT_HEI,
    FONT_KAI,
    FONT_LATIN,
    FONT_SONG,
    FONT_TITLE,
    LINE_PITCH_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    PT_PER_MM,
    RED,
    SIZE_2,
    SIZE_3,
    SIZE_4,
    SIZE_XIAO4,
    TEXT_WIDTH_MM,
)

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
