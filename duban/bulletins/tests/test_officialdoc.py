"""The GB/T 9704 layout, checked by reopening what the renderers wrote.

The Word file is read back with python-docx (page, margins, fonts, colours, fields); the PDF
is rasterised with pypdfium2 and its text layer read, so a document that looks right in
the XML but renders blank, in boxes or on the wrong paper fails here.
"""

from __future__ import annotations

import datetime as dt
import io

import pypdfium2
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, RGBColor

from duban import officialdoc as od

MM = 36000  # EMU per millimetre


def _sample() -> od.OfficialDocument:
    chart = od.BarChart(["市发改委", "市商务局"], [88.5, 61.0]).png()
    return od.OfficialDocument(
        organ="青澜市人民政府督查室",
        number="青督办〔2026〕3号",
        title="关于2026年3月重点任务推进情况的通报",
        recipients=["各区县人民政府", "市直各单位"],
        blocks=[
            od.Paragraph("为推动重点任务落地见效，现将3月推进情况通报如下。"),
            od.Heading("总体情况"),
            od.Paragraph("纳入督查的任务共120项，已办结36项。"),
            od.Heading("单位排名"),
            od.Heading("排名方法", level=2),
            od.Heading("计分规则", level=3),
            od.Table(
                ("排名", "单位", "得分"),
                (("1", "市发改委", "88.50"), ("2", "市商务局", "61.00")),
                caption="表1 单位排名",
                widths=(1, 3, 1),
            ),
            od.Image(chart, 150, "图1 各单位综合得分"),
            od.Heading("下步要求"),
            od.Paragraph("各牵头单位要加快推进滞后任务。"),
        ],
        signature="青澜市人民政府督查室",
        date=dt.date(2026, 3, 5),
        cc=["市委办公室", "市政府办公室"],
        printed_by="青澜市人民政府督查室",
        printed_date=dt.date(2026, 3, 6),
    )


@pytest.fixture(scope="module")
def word():
    buffer = io.BytesIO()
    od.render_docx(_sample(), buffer)
    buffer.seek(0)
    return Document(buffer)


def _paragraph(word, text):
    found = [p for p in word.paragraphs if p.text == text]
    assert found, f"no paragraph {text!r} in {[p.text for p in word.paragraphs]}"
    return found[0]


def _east_asia(run) -> str | None:
    return run._r.rPr.rFonts.get(qn("w:eastAsia"))


# -- Word ---------------------------------------------------------------------------------


def test_docx_page_is_a4_with_the_standard_margins(word):
    section = word.sections[0]
    expected = {
        "page_width": 210,
        "page_height": 297,
        "top_margin": 37,
        "bottom_margin": 35,
        "left_margin": 28,
        "right_margin": 26,
    }
    for name, mm in expected.items():
        assert abs(getattr(section, name) - mm * MM) <= 0.5 * MM, name


def test_docx_grid_is_22_lines_of_28_characters(word):
    grid = word.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt
    section = word.sections[0]
    text_height_pt = Emu(section.page_height - section.top_margin - section.bottom_margin).pt
    assert int(text_height_pt // 28.95) == 22
    # 3号 runs are condensed so that 28 characters fit a line, and no more than 28.
    run = _paragraph(word, "纳入督查的任务共120项，已办结36项。").runs[0]
    condense = int(run._r.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    text_width_pt = Emu(section.page_width - section.left_margin - section.right_margin).pt
    assert int(text_width_pt // (16 + condense)) == 28


def test_docx_organ_mark_is_red_xiaobiaosong(word):
    mark = _paragraph(word, "青澜市人民政府督查室")
    run = mark.runs[0]
    assert run.font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert _east_asia(run) == "方正小标宋简体"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_docx_number_is_centred_above_a_red_rule(word):
    number = _paragraph(word, "青督办〔2026〕3号")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    rule = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "C00000"
    assert rule.get(qn("w:val")) == "single"
    # The number comes after the organ mark and before the title.
    texts = [p.text for p in word.paragraphs]
    assert texts.index("青澜市人民政府督查室") < texts.index("青督办〔2026〕3号")
    assert texts.index("青督办〔2026〕3号") < texts.index("关于2026年3月重点任务推进情况的通报")


def test_docx_title_is_22pt_xiaobiaosong(word):
    title = _paragraph(word, "关于2026年3月重点任务推进情况的通报")
    run = title.runs[0]
    assert run.font.size == Pt(22)
    assert _east_asia(run) == "方正小标宋简体"
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_docx_fonts_declare_a_chinese_substitute(word):
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    part = next(r.target_part for r in word.part.rels.values() if r.reltype == RT.FONT_TABLE)
    fonts = {f.get(qn("w:name")): f for f in parse_xml(part.blob).findall(qn("w:font"))}
    for name in ("方正小标宋简体", "仿宋_GB2312", "楷体_GB2312", "黑体"):
        assert fonts[name].find(qn("w:charset")).get(qn("w:val")) == "86"  # GB2312
        assert fonts[name].find(qn("w:altName")) is not None


def test_docx_body_is_16pt_fangsong_on_a_fixed_pitch(word):
    body = _paragraph(word, "纳入督查的任务共120项，已办结36项。")
    run = body.runs[0]
    assert run.font.size == Pt(16)
    assert _east_asia(run) == "仿宋_GB2312"
    fmt = body.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing == Pt(28.95)
    assert fmt.first_line_indent > Pt(31)  # two character cells


def test_docx_recipients_end_with_a_colon(word):
    paragraph = _paragraph(word, "各区县人民政府、市直各单位：")  # fails when it is missing
    assert paragraph.text.endswith("：")


def test_docx_headings_are_numbered_with_their_fonts(word):
    cases = [
        ("一、总体情况", "黑体", False),
        ("二、单位排名", "黑体", False),
        ("（一）排名方法", "楷体_GB2312", False),
        ("1.计分规则", "仿宋_GB2312", True),
        ("三、下步要求", "黑体", False),
    ]
    for text, font, bold in cases:
        run = _paragraph(word, text).runs[0]
        assert _east_asia(run) == font, text
        assert bool(run.bold) is bold, text
        assert run.font.size == Pt(16), text


def test_docx_table_and_picture(word):
    table = word.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["排名", "单位", "得分"]
    assert [c.text for c in table.rows[2].cells] == ["2", "市商务局", "61.00"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert len(word.inline_shapes) == 1
    assert abs(word.inline_shapes[0].width - 150 * MM) <= MM


def test_docx_signature_and_date_stand_right(word):
    date = _paragraph(word, "2026年3月5日")
    assert date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert abs(date.paragraph_format.right_indent.pt - 4 * od.CHAR_PITCH_PT) < 0.5
    mark, signature = [p for p in word.paragraphs if p.text == "青澜市人民政府督查室"]
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert signature.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # Centred over the date: the name takes 10 cells, the date 6 (its digits are half
    # width), so the name stands two cells less far in than the date's four.
    expected = 2 * od.CHAR_PITCH_PT
    assert abs(signature.paragraph_format.right_indent.pt - expected) < 0.5


def test_docx_footer_has_page_numbers_odd_right_even_left(word):
    section = word.sections[0]
    assert word.settings.odd_and_even_pages_header_footer
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "<w:instrText" in xml and " PAGE " in xml
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment == alignment
        assert paragraph.runs[1].font.size == Pt(14)


def test_docx_colophon_has_cc_printer_and_rules(word):
    colophon = word.tables[-1]
    texts = [c.text for row in colophon.rows for c in row.cells]
    assert "抄送：市委办公室，市政府办公室。" in texts
    assert "青澜市人民政府督查室" in texts
    assert "2026年3月6日印发" in texts
    borders = colophon._tbl.tblPr.find(qn("w:tblBorders"))
    assert borders.find(qn("w:top")).get(qn("w:sz")) == "8"
    assert borders.find(qn("w:bottom")).get(qn("w:sz")) == "8"
    assert borders.find(qn("w:insideH")).get(qn("w:sz")) == "6"
    floating = colophon._tbl.tblPr.find(qn("w:tblpPr"))
    assert floating.get(qn("w:tblpYSpec")) == "bottom"


# -- helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (20, "二十"), (99, "九十九")]
)
def test_chinese_numbers(n, text):
    assert od.chinese_number(n) == text


def test_heading_numbers_restart_below_a_new_parent():
    blocks = [
        od.Heading("甲"),
        od.Heading("甲一", 2),
        od.Heading("甲二", 2),
        od.Heading("甲二一", 3),
        od.Heading("乙"),
        od.Heading("乙一", 2),
    ]
    numbers = [n for _b, n in od.numbered_headings(blocks)]
    assert numbers == ["一、", "（一）", "（二）", "1.", "二、", "（一）"]


def test_dates_have_no_leading_zeros():
    assert od.format_date(dt.date(2026, 3, 5)) == "2026年3月5日"
    assert od.format_date(dt.date(2026, 12, 31)) == "2026年12月31日"


def test_content_round_trips_through_json():
    doc = _sample()
    data = doc.to_dict(images=True)
    again = od.OfficialDocument.from_dict(data)
    assert again == doc
    assert "png" not in od.OfficialDocument.to_dict(doc)["blocks"][7]


def test_html_escapes_content_and_fetches_nothing_remote():
    doc = _sample()
    doc.blocks = [od.Paragraph('<img src="http://example.invalid/x.png">')]
    page = od.render_html(doc)
    assert '<img src="http' not in page
    assert "&lt;img" in page
    assert "http://" not in page.split("<style>")[1].split("</style>")[0]


def test_missing_cjk_font_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setattr(od.layout, "FALLBACK_FONT_FILES", (tmp_path / "none.ttc",))
    with pytest.raises(od.FontNotFoundError, match="fonts-wqy-microhei"):
        od.find_pdf_fonts(tmp_path)


def test_office_fonts_win_over_the_fallback(tmp_path):
    fallback = next(p for p in od.FALLBACK_FONT_FILES if p.is_file())
    (tmp_path / "title.ttc").symlink_to(fallback)
    fonts = od.find_pdf_fonts(tmp_path)
    assert fonts["title"] == tmp_path / "title.ttc"
    assert fonts["body"] == fallback


# -- PDF ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "doc.pdf"
    od.render_pdf(_sample(), path)
    return path


def test_pdf_page_one_is_a4_and_not_blank(pdf_file):
    pdf = pypdfium2.PdfDocument(str(pdf_file))
    width_pt, height_pt = pdf[0].get_size()
    assert abs(width_pt - 210 * 72 / 25.4) < 1
    assert abs(height_pt - 297 * 72 / 25.4) < 1
    image = pdf[0].render(scale=60 / 72).to_pil().convert("RGB")
    assert abs(image.height / image.width - 297 / 210) < 0.01
    raw = image.tobytes()
    pixels = list(zip(raw[0::3], raw[1::3], raw[2::3], strict=True))
    dark = sum(1 for r, g, b in pixels if r + g + b < 3 * 100)
    red_rows = [i // image.width for i, (r, g, b) in enumerate(pixels) if _is_red(r, g, b)]
    assert dark / len(pixels) > 0.005, "page one is (nearly) blank"
    assert len(red_rows) > 200, "no red organ mark or rule"
    # All the red is in the top third: the organ mark and the rule under the number.
    assert max(red_rows) < image.height / 3


def _is_red(r: int, g: int, b: int) -> bool:
    return r > 150 and g < 80 and b < 80


def test_pdf_text_layer_is_real_chinese_text(pdf_file):
    pdf = pypdfium2.PdfDocument(str(pdf_file))
    first = pdf[0].get_textpage().get_text_range()
    assert "青督办〔2026〕3号" in first
    assert "关于2026年3月重点任务推进情况的通报" in first
    last = pdf[len(pdf) - 1].get_textpage().get_text_range()
    assert "2026年3月6日印发" in last
    assert f"— {len(pdf)} —" in last.replace("\r\n", "\n")


# -- charts ---------------------------------------------------------------------------


def test_chart_of_a_long_ranking_still_fits_one_page():
    labels = [f"第{i}单位" for i in range(50)]
    png = od.BarChart(labels, [100 - i for i in range(50)]).png()
    picture = od.Image(png, 150.0)
    width, height = od.image_size_mm(picture)
    assert height <= od.MAX_IMAGE_HEIGHT_MM
    assert width == 150.0


def test_too_tall_pictures_are_scaled_to_the_page():
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (100, 400), "white").save(buffer, format="PNG")
    width, height = od.image_size_mm(od.Image(buffer.getvalue(), 150.0))
    assert height == od.MAX_IMAGE_HEIGHT_MM
    assert width == pytest.approx(50.0)


def test_chart_draws_bars_in_the_given_colours():
    from PIL import Image as PILImage

    png = od.BarChart(["甲", "乙"], [80, 40], highlight=[False, True]).png()
    picture = PILImage.open(io.BytesIO(png)).convert("RGB")
    colours = {colour for _count, colour in picture.getcolors(maxcolors=1 << 16)}
    assert (192, 0, 0) in colours  # the highlighted (red-light) unit
    assert (31, 78, 121) in colours


def test_docx_properties_are_in_schema_order(word):
    """Word refuses a file whose property elements are out of order; LibreOffice does not."""
    orders = {"pPr": od._PPR_ORDER, "tblPr": od._TBLPR_ORDER, "rPr": od._RPR_ORDER}
    parts = [word.element, *(f._element for f in (word.sections[0].footer,))]
    parts.append(word.sections[0].even_page_footer._element)
    checked = 0
    for root in parts:
        for name, order in orders.items():
            for props in root.iter(qn("w:" + name)):
                tags = [child.tag.rsplit("}", 1)[-1] for child in props]
                known = [t for t in tags if t in order]
                assert known == sorted(known, key=order.index), (name, tags)
                checked += 1
    assert checked > 50
