"""Reading OFD (GB/T 33190): reading order, pages, several documents, and hostile packages.

Every OFD here is built by :mod:`duban.extract.tests.ofdgen` from the standard's structure
with zipfile and XML strings, never by the reader under test.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from duban.extract import ofd, readers
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.readers import SourcePage, read_bytes, read_document
from duban.extract.tests.ofdgen import Text, build_ofd, content_xml, document_xml, ofd_xml
from duban.extract.tests.pdfgen import _pdf, _stream
from duban.extract.tests.test_readers import corpus_dir


def read_ofd(data: bytes, **kw) -> readers.SourceText:  # type: ignore[no-untyped-def]
    return read_bytes(data, suffix=".ofd", path="r.ofd", **kw)


def refused(data: bytes, suffix: str = ".ofd", **kw) -> ExtractError:  # type: ignore[no-untyped-def]
    with pytest.raises(ExtractError) as e:
        read_bytes(data, suffix=suffix, **kw)
    assert "\n" not in e.value.message
    return e.value


# --------------------------------------------------------------------------- reading


def test_text_is_read_top_to_bottom_then_left_to_right_whatever_the_xml_order() -> None:
    page = [
        Text(20, 80, "三、加快建设现代化产业体系。"),
        Text(90, 60, "坚持稳中求进。"),  # same line as the next, whose baseline is 0.4 mm lower
        Text(20, 60.4, "二、总体要求"),
        Text(60, 30, "政府工作报告", size=8),
        Text(20, 40, "一、"),
        Text(20 + 2 * 5.6, 40, "过去一年"),  # continues 「一、」 right after its two characters
    ]
    src = read_ofd(build_ofd([[page]]))
    assert src.format == "ofd" and src.encoding == "ofd"
    assert src.text.split("\n") == [
        "政府工作报告",
        "一、过去一年",
        "二、总体要求 坚持稳中求进。",  # a wide gap between objects on one line is a space
        "三、加快建设现代化产业体系。",
    ]


def test_one_object_per_character_reads_as_one_line_without_spaces() -> None:
    # Writers that convert from PDF often draw every glyph as its own TextObject.
    line, x, page = "到2026年底前完成。", 25.0, []
    for ch in line:
        page.append(Text(x, 40, ch, size=5))
        x += 5 if ord(ch) > 0x2E80 else 2.5
    page.reverse()
    assert read_ofd(build_ofd([[page]])).text == line


def test_several_textcodes_in_one_object_keep_their_own_lines() -> None:
    ns = "http://www.ofdspec.org/2016"
    page = (
        f'<ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="1"><ofd:PageBlock ID="2">'
        '<ofd:TextObject ID="3" Boundary="20 20 170 40" Font="1" Size="5">'
        '<ofd:TextCode X="0" Y="25">第二行</ofd:TextCode>'
        '<ofd:TextCode X="0" Y="5">第一行</ofd:TextCode>'
        '<ofd:TextCode X="30">接着</ofd:TextCode>'  # no Y: stays on the first line's baseline
        "</ofd:TextObject></ofd:PageBlock></ofd:Layer></ofd:Content></ofd:Page>"
    )
    data = build_ofd([[[]]], extra={"Doc_0/Pages/Page_0/Content.xml": page})
    assert read_ofd(data).text == "第一行 接着\n第二行"


def test_multi_page_file_reports_where_each_page_starts() -> None:
    pages = [
        [Text(20, 40, f"第{n}页第一段。"), Text(20, 50, f"第{n}页第二段。")] for n in (1, 2, 3)
    ]
    src = read_ofd(build_ofd([pages]))
    assert src.text == "\n".join(f"第{n}页第一段。\n第{n}页第二段。" for n in (1, 2, 3))
    assert [(p.number, p.document) for p in src.pages] == [(1, 1), (2, 1), (3, 1)]
    for page in src.pages:
        assert src.text[page.start :].startswith(f"第{page.number}页第一段")
    at = src.text.index("第2页第二段")
    assert src.page_at(at) == src.pages[1]
    assert src.page_at(0) == src.pages[0]
    assert src.page_at(len(src.text) - 1) == src.pages[2]


def test_two_documents_are_read_in_order_and_numbered_each_from_page_one() -> None:
    first = [[Text(20, 40, "市政府工作报告")], [Text(20, 40, "报告第二页。")]]
    second = [[Text(20, 40, "附件：重点任务分解表")]]
    src = read_ofd(build_ofd([first, second]))
    assert src.text == "市政府工作报告\n报告第二页。\n\n附件：重点任务分解表"
    assert src.pages == [
        SourcePage(start=0, number=1, document=1),
        SourcePage(start=8, number=2, document=1),
        SourcePage(start=16, number=1, document=2),
    ]
    assert src.page_at(src.text.index("附件")) == SourcePage(16, 1, 2)


def test_a_blank_page_takes_no_line_and_points_at_the_next_page() -> None:
    src = read_ofd(build_ofd([[[Text(20, 40, "甲")], [], [Text(20, 40, "乙")]]]))
    assert src.text == "甲\n乙"
    assert [p.start for p in src.pages] == [0, 1, 2]
    assert src.page_at(2) == SourcePage(2, 3, 1)


def test_ofd_text_is_identical_to_the_same_document_as_text(tmp_path: Path) -> None:
    """The issue's target: one source, laid out as OFD, reads back as the same text."""
    source = (corpus_dir() / "prov2026-河南省.txt").read_text(encoding="utf-8")[:8000]
    lines = [ln.strip() for ln in source.split("\n") if ln.strip()]
    per_page = 30
    pages = []
    for p in range(0, len(lines), per_page):
        chunk = lines[p : p + per_page]
        # written bottom-up, and each line split into two objects, to exercise the ordering
        page = []
        for i, line in reversed(list(enumerate(chunk))):
            y = 30 + 8 * i
            cut = len(line) // 2
            page.append(Text(20 + readers._em_width(line[:cut]) * 4, y, line[cut:], size=4))
            page.append(Text(20, y, line[:cut], size=4))
        pages.append([t for t in page if t.text])
    assert len(pages) > 1
    (tmp_path / "r.txt").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "r.ofd").write_bytes(build_ofd([pages]))
    as_text = read_document(tmp_path / "r.txt")
    as_ofd = read_document(tmp_path / "r.ofd")
    assert as_ofd.text == as_text.text
    assert len(as_ofd.pages) == len(pages)


def test_paths_absolute_in_the_package_and_root_relative_are_both_found() -> None:
    data = build_ofd(
        [],
        extra={
            "OFD.xml": ofd_xml(["/Doc_0/Document.xml"]),
            # one page relative to the document's folder, one written from the package root
            "Doc_0/Document.xml": document_xml(["Pages/P1.xml", "Doc_0/Pages/P2.xml"]),
            "Doc_0/Pages/P1.xml": content_xml([Text(20, 40, "第一页")]),
            "Doc_0/Pages/P2.xml": content_xml([Text(20, 40, "第二页")]),
        },
    )
    assert read_ofd(data).text == "第一页\n第二页"


def test_ofd_with_another_extension_is_read_as_ofd_with_a_warning() -> None:
    data = build_ofd([[[Text(20, 40, "加快发展。")]]])
    src = read_bytes(data, suffix=".pdf")
    assert src.format == "ofd" and src.text == "加快发展。"
    assert any("OFD" in w for w in src.warnings)
    assert read_bytes(data, suffix="").format == "ofd"  # no extension: the content decides


def test_a_page_whose_scan_cannot_be_read_is_skipped_with_a_warning_naming_it(
    monkeypatch,
) -> None:
    """Pages 2 and 4 draw images that cannot be read (a resource the document does not list,
    bytes that are not an image): the rest is read, and the clerk is told which pages."""
    from duban.extract.tests.ofdgen import build_scanned_ofd, scan_content_xml

    data = build_scanned_ofd(
        [[[Text(20, 40, "第一页。")], [], [Text(20, 40, "第三页。")], b"not an image"]]
    )
    # Page 2 draws resource 77, which no resource file lists.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["Doc_0/Pages/Page_1/Content.xml"] = scan_content_xml(77).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, payload in members.items():
            z.writestr(name, payload)
    src = read_ofd(buf.getvalue())
    assert src.text == "第一页。\n第三页。"
    unread = [w for w in src.warnings if "未能读取" in w]
    assert unread == [
        "第 2 页未能读取（扫描图像缺失），已跳过，请核对原件（page 2 not read）",
        "第 4 页未能读取（扫描图像已损坏），已跳过，请核对原件（page 4 not read）",
    ]
    # Without the OCR installed, a scanned page is skipped with that reason.
    monkeypatch.setattr("duban.extract.ocr.ocr_available", lambda: False)
    png = io.BytesIO()
    from PIL import Image

    Image.new("L", (60, 80), 255).save(png, format="PNG")
    two = build_scanned_ofd([[[Text(20, 40, "正文。")]], [png.getvalue()]])
    src = read_ofd(two)
    assert src.text == "正文。"
    assert src.warnings == [
        "第 2 个文档第 1 页未能读取（扫描页，服务器未安装文字识别组件），已跳过，请核对原件"
        "（page 2 not read）"
    ]


def test_a_blank_page_is_no_unread_page() -> None:
    src = read_ofd(build_ofd([[[Text(20, 40, "甲")], []]]))
    assert src.warnings == []


def test_image_only_ofd_asks_for_ocr() -> None:
    e = refused(build_ofd([[[], []]]))
    assert e.code == ErrorCode.E007_PDF_NO_TEXT
    assert "OCR" in e.message


# --------------------------------------------------------------------------- hostile or broken


def test_zip_bomb_ofd_is_refused_before_any_xml_is_parsed(monkeypatch) -> None:
    data = build_ofd(
        [[[Text(20, 40, "甲")]]],
        extra={"Doc_0/Res/image1.bin": bytes(64 * 1024 * 1024)},
    )
    assert len(data) < 1024 * 1024

    def never(*a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("no XML may be parsed in a zip bomb")

    monkeypatch.setattr(readers._OfdPackage, "xml", never)
    started = time.perf_counter()
    e = refused(data)
    assert e.code == ErrorCode.E008_ZIP_BOMB
    assert "OFD" in e.message
    assert time.perf_counter() - started < 5.0


def test_too_many_members_is_e008() -> None:
    extra = {f"Doc_0/Res/x{i}.xml": "" for i in range(readers.DOCX_MAX_MEMBERS + 1)}
    assert refused(build_ofd([[[Text(20, 40, "甲")]]], extra=extra)).code == ErrorCode.E008_ZIP_BOMB


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + ']><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer>'
    '<ofd:TextObject Boundary="0 0 10 10" Size="5"><ofd:TextCode X="0" Y="5">&lol9;'
    "</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"
)


@pytest.mark.parametrize(
    "member", ["OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml"]
)
def test_entity_expansion_is_refused_in_every_xml_part(member: str) -> None:
    data = build_ofd([[[Text(20, 40, "甲")]]], extra={member: LAUGHS})
    started = time.perf_counter()
    e = refused(data)
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "DTD" in e.message
    assert time.perf_counter() - started < 5.0


def test_a_member_named_outside_the_archive_is_refused() -> None:
    data = build_ofd([[[Text(20, 40, "甲")]]], extra={"../../etc/cron.d/x": "boom"})
    e = refused(data)
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "压缩包外" in e.message


@pytest.mark.parametrize("loc", ["../../etc/passwd", "/../secret.xml", "Doc_0/../../x.xml"])
def test_a_reference_outside_the_archive_is_refused(loc: str) -> None:
    data = build_ofd([[[Text(20, 40, "甲")]]], extra={"OFD.xml": ofd_xml([loc])})
    e = refused(data)
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "压缩包外" in e.message


def test_a_page_reference_outside_the_archive_is_refused() -> None:
    data = build_ofd(
        [[[Text(20, 40, "甲")]]],
        extra={"Doc_0/Document.xml": document_xml(["../../../../etc/passwd"])},
    )
    assert refused(data).code == ErrorCode.E016_BAD_OFD


def test_missing_document_xml_is_e016_and_says_so() -> None:
    e = refused(build_ofd([[[Text(20, 40, "甲")]]], skip={"Doc_0/Document.xml"}))
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "Document.xml" in e.message


def test_missing_page_content_is_e016() -> None:
    e = refused(build_ofd([[[Text(20, 40, "甲")]]], skip={"Doc_0/Pages/Page_0/Content.xml"}))
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "第 1 页" in e.message


def test_no_docbody_is_e016() -> None:
    data = build_ofd([[[Text(20, 40, "甲")]]], extra={"OFD.xml": ofd_xml([])})
    assert refused(data).code == ErrorCode.E016_BAD_OFD


@pytest.mark.parametrize(
    "data",
    [
        "这是一段文字，不是 OFD。".encode() * 10,
        b"PK\x03\x04" + bytes(200),  # a zip header and nothing behind it
        b"%PDF-1.4 garbage",
    ],
    ids=["text", "broken-zip", "pdf-header"],
)
def test_not_a_zip_is_e016(data: bytes) -> None:
    e = refused(data)
    assert e.code in (ErrorCode.E016_BAD_OFD, ErrorCode.E006_BAD_PDF)
    if not data.startswith(b"%PDF"):
        assert e.code == ErrorCode.E016_BAD_OFD
        assert "OFD" in e.message


def test_zip_without_ofd_xml_is_e016() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    e = refused(buf.getvalue())
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "OFD.xml" in e.message


def test_truncated_ofd_and_malformed_xml_are_e016() -> None:
    data = build_ofd([[[Text(20, 40, "坚持稳中求进。" * 50)]] * 5])
    assert refused(data[: len(data) // 2]).code == ErrorCode.E016_BAD_OFD
    broken = build_ofd([[[Text(20, 40, "甲")]]], extra={"Doc_0/Document.xml": "<ofd:Document"})
    e = refused(broken)
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "损坏" in e.message


def test_encrypted_member_is_e016() -> None:
    data = bytearray(build_ofd([[[Text(20, 40, "甲")]]]))
    # set the "encrypted" flag bit in every central-directory entry, as a password tool does
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        data[pos + 8] |= 0x1
        pos = data.find(b"PK\x01\x02", pos + 4)
    e = refused(bytes(data))
    assert e.code == ErrorCode.E016_BAD_OFD
    assert "密码" in e.message


def test_page_limit_stops_reading_with_a_warning(monkeypatch) -> None:
    monkeypatch.setattr(ofd, "OFD_MAX_PAGES", 2)
    src = read_ofd(build_ofd([[[Text(20, 40, f"第{n}页")] for n in (1, 2, 3)]]))
    assert src.text == "第1页\n第2页"
    assert any("2 页" in w for w in src.warnings)


# --------------------------------------------------------------------------- PDF pages


def test_pdf_page_starts_are_reported() -> None:
    def page(obj: int, content: int) -> bytes:
        return (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )

    data = _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R 5 0 R] /Count 2 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            page(4, 6),
            page(5, 7),
            _stream(b"BT /F1 12 Tf 72 720 Td (First page text) Tj ET"),
            _stream(b"BT /F1 12 Tf 72 720 Td (Second page text) Tj ET"),
        ]
    )
    src = read_bytes(data, suffix=".pdf")
    assert [p.number for p in src.pages] == [1, 2]
    assert src.text[src.pages[0].start :].startswith("First page text")
    assert src.text[src.pages[1].start :].startswith("Second page text")
    assert src.page_at(src.text.index("Second")).number == 2


def test_formats_without_pages_have_none(tmp_path: Path) -> None:
    src = read_bytes("加快发展。".encode(), suffix=".txt")
    assert src.pages == [] and src.page_at(0) is None
