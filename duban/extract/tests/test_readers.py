"""Reading reports from disk: encodings, Word, PDF, HTML, and every way a file can be bad.

Real report text comes from the shared corpus at run time (never copied into the repo);
Word and PDF files are made on the fly.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import docx
import pytest

from duban.extract import readers
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.readers import decode_bytes, read_bytes, read_document
from duban.extract.tests.pdfgen import image_only_pdf, text_pdf


def corpus_dir() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def henan() -> str:
    """The first part of a real provincial report (all of it encodable in GBK)."""
    return (corpus_dir() / "prov2026-河南省.txt").read_text(encoding="utf-8")[:6000]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def code_of(excinfo: pytest.ExceptionInfo[ExtractError]) -> ErrorCode:
    return excinfo.value.code


# --------------------------------------------------------------------------- text encodings


@pytest.mark.parametrize(
    ("codec", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gb18030", "gb18030"),
        ("gbk", "gb18030"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("utf-32", "utf-32-le"),
    ],
)
def test_text_encodings_are_detected_and_reported(
    tmp_path: Path, henan: str, codec: str, reported: str
) -> None:
    p = write(tmp_path, "report.txt", henan.encode(codec))
    src = read_document(p)
    assert src.text == henan
    assert src.encoding == reported
    assert src.format == "text"
    assert src.path == str(p)


def test_utf16_without_bom_or_ascii_is_still_read() -> None:
    pure = "坚持稳中求进工作总基调完整准确全面贯彻新发展理念"
    for codec in ("utf-16-le", "utf-16-be"):
        text, enc, _ = decode_bytes(pure.encode(codec))
        assert (text, enc) == (pure, codec)


def test_crlf_line_ends_become_newlines(tmp_path: Path) -> None:
    p = write(tmp_path, "r.md", "一、总体要求\r\n坚持稳中求进。\r最后一行".encode("gbk"))
    assert read_document(p).text == "一、总体要求\n坚持稳中求进。\n最后一行"


def test_whole_corpus_reads_as_utf8() -> None:
    files = sorted(corpus_dir().glob("*.txt"))
    assert len(files) >= 5
    for f in files:
        src = read_document(f)
        assert src.encoding == "utf-8", f.name
        assert src.text == f.read_text(encoding="utf-8").replace("\r\n", "\n")


# --------------------------------------------------------------------------- bad files


def test_missing_file_is_e010(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as e:
        read_document(tmp_path / "nope.txt")
    assert code_of(e) == ErrorCode.E010_NOT_FOUND
    assert "找不到文件" in e.value.message


def test_directory_is_e010(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as e:
        read_document(tmp_path)
    assert code_of(e) == ErrorCode.E010_NOT_FOUND


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", "\u3000\n".encode()])
def test_empty_or_blank_is_e001(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "empty.txt", content))
    assert code_of(e) == ErrorCode.E001_EMPTY


def test_too_large_is_e003_before_reading(tmp_path: Path, monkeypatch) -> None:
    p = write(tmp_path, "big.txt", "要".encode() * 2000)

    def no_open(*a, **k):
        raise AssertionError("the file must not be opened when it is too large")

    monkeypatch.setattr(Path, "open", no_open)
    with pytest.raises(ExtractError) as e:
        read_document(p, max_bytes=1000)
    assert code_of(e) == ErrorCode.E003_TOO_LARGE
    assert "上限" in e.value.message


def test_size_limit_is_inclusive(tmp_path: Path) -> None:
    p = write(tmp_path, "ok.txt", b"a" * 1000)
    assert read_document(p, max_bytes=1000).text == "a" * 1000


def test_renamed_image_is_e002(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "report.txt", png))
    assert code_of(e) == ErrorCode.E002_BINARY
    assert "PNG" in e.value.message


def test_nul_heavy_bytes_are_e002(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "report.md", data))
    assert code_of(e) == ErrorCode.E002_BINARY


def test_control_characters_are_e002() -> None:
    with pytest.raises(ExtractError) as e:
        decode_bytes(bytes([1, 2, 3, 4, 5, 6, 0x41, 0x42]) * 100)
    assert code_of(e) == ErrorCode.E002_BINARY


def test_unknown_extension_read_as_text_when_it_decodes(tmp_path: Path, henan: str) -> None:
    src = read_document(write(tmp_path, "report.log", henan.encode("gb18030")))
    assert src.text == henan
    assert src.format == "text"


def test_unknown_extension_binary_is_e009(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "report.xyz", bytes(range(256)) * 10))
    assert code_of(e) == ErrorCode.E009_UNSUPPORTED
    assert ".xyz" in e.value.message


def test_messages_are_one_line(tmp_path: Path) -> None:
    cases = [
        (tmp_path / "missing.txt", {}),
        (write(tmp_path, "e.txt", b""), {}),
        (write(tmp_path, "b.txt", b"\x00\x01" * 500), {}),
        (write(tmp_path, "l.txt", b"x" * 50), {"max_bytes": 10}),
    ]
    for path, kw in cases:
        with pytest.raises(ExtractError) as e:
            read_document(path, **kw)
        assert "\n" not in e.value.message
        assert str(e.value).startswith(f"[{e.value.code.value}] ")


# --------------------------------------------------------------------------- .docx


def make_docx(paragraphs_before: list[str], table: list[list[str]], after: list[str]) -> bytes:
    d = docx.Document()
    d.add_heading("政府工作报告", level=1)
    for t in paragraphs_before:
        d.add_paragraph(t)
    tbl = d.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, val in enumerate(row):
            tbl.cell(r, c).text = val
    for t in after:
        d.add_paragraph(t)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    data = make_docx(
        ["一、总体要求", "坚持稳中求进工作总基调。"],
        [["序号", "工作任务"], ["1", "稳就业"]],
        ["二、重点工作", "加快建设现代化产业体系。"],
    )
    src = read_document(write(tmp_path, "r.docx", data))
    assert src.format == "docx"
    assert src.text.split("\n") == [
        "政府工作报告",
        "一、总体要求",
        "坚持稳中求进工作总基调。",
        "序号\t工作任务",
        "1\t稳就业",
        "二、重点工作",
        "加快建设现代化产业体系。",
    ]


def test_docx_merged_cells_appear_once(tmp_path: Path) -> None:
    d = docx.Document()
    t = d.add_table(rows=2, cols=3)
    t.cell(0, 0).merge(t.cell(0, 2)).text = "合并标题"
    t.cell(1, 0).text = "甲"
    t.cell(1, 1).text = "乙"
    buf = io.BytesIO()
    d.save(buf)
    src = read_document(write(tmp_path, "m.docx", buf.getvalue()))
    assert src.text.split("\n") == ["合并标题", "甲\t乙"]


def _docx_with_extra_member(name: str, payload: bytes) -> bytes:
    base = make_docx(["加快发展。"], [["a"]], [])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def test_zip_bomb_docx_is_rejected_before_parsing(tmp_path: Path, monkeypatch) -> None:
    data = _docx_with_extra_member("word/media/image1.bin", bytes(64 * 1024 * 1024))
    assert len(data) < 1024 * 1024  # 64 MB of zeros compress to a few hundred KB
    p = write(tmp_path, "bomb.docx", data)

    def never(*a, **k):
        raise AssertionError("python-docx must not be reached for a zip bomb")

    monkeypatch.setattr(docx, "Document", never)
    started = time.perf_counter()
    with pytest.raises(ExtractError) as e:
        read_document(p)
    assert code_of(e) == ErrorCode.E008_ZIP_BOMB
    assert time.perf_counter() - started < 5.0  # generous: the machine may be busy


def test_docx_with_too_many_members_is_e008(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(readers.DOCX_MAX_MEMBERS + 1):
            z.writestr(f"word/x{i}.xml", "")
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "many.docx", buf.getvalue()))
    assert code_of(e) == ErrorCode.E008_ZIP_BOMB


def test_docx_total_size_limit_follows_max_bytes(tmp_path: Path) -> None:
    # Many members, each small enough to escape the ratio rule, together over 5 × max_bytes.
    base = make_docx(["加快发展。"], [["a"]], [])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for i in range(12):
            dst.writestr(f"word/media/part{i}.bin", bytes(1024 * 1024), zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    p = write(tmp_path, "parts.docx", data)
    assert read_document(p, max_bytes=4 * 1024 * 1024).format == "docx"  # 12 MB ≤ 20 MB
    with pytest.raises(ExtractError) as e:
        read_document(p, max_bytes=2 * 1024 * 1024)  # 12 MB > 10 MB
    assert code_of(e) == ErrorCode.E008_ZIP_BOMB
    assert len(data) < 2 * 1024 * 1024


def test_truncated_docx_is_e005(tmp_path: Path) -> None:
    data = make_docx(["坚持稳中求进。"] * 20, [["a"]], [])
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "cut.docx", data[: len(data) // 2]))
    assert code_of(e) == ErrorCode.E005_BAD_DOCX
    assert "损坏" in e.value.message


def test_password_protected_docx_is_e005_with_clear_message(tmp_path: Path) -> None:
    # Word saves a password-protected .docx as an OLE compound file, like the old .doc
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + os.urandom(4096)
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "secret.docx", ole))
    assert code_of(e) == ErrorCode.E005_BAD_DOCX
    assert "密码" in e.value.message


def test_zip_that_is_not_word_is_e005(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "x.docx", buf.getvalue()))
    assert code_of(e) == ErrorCode.E005_BAD_DOCX


def test_docx_with_dtd_is_rejected(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        )
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "dtd.docx", buf.getvalue()))
    assert code_of(e) == ErrorCode.E005_BAD_DOCX


# --------------------------------------------------------------------------- .pdf


def test_pdf_text_layer_is_read(tmp_path: Path) -> None:
    p = write(tmp_path, "r.pdf", text_pdf(["Government Work Report", "Keep jobs stable (2021)"]))
    src = read_document(p)
    assert src.format == "pdf"
    lines = [ln for ln in src.text.split("\n") if ln.strip()]
    assert lines == ["Government Work Report", "Keep jobs stable (2021)"]


def test_pdf_without_text_layer_nor_recognisable_text_is_e007(tmp_path: Path) -> None:
    # The scanned page is recognised (duban/extract/tests/test_ocr.py); a grey square holds
    # nothing to read, and the clerk is told so.
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "scan.pdf", image_only_pdf()))
    assert code_of(e) == ErrorCode.E007_PDF_NO_TEXT
    assert e.value.message == readers.NO_TEXT_RECOGNISED


def test_damaged_pdf_is_e006(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "bad.pdf", b"%PDF-1.4\n" + os.urandom(2000)))
    assert code_of(e) in (ErrorCode.E006_BAD_PDF, ErrorCode.E007_PDF_NO_TEXT)


def test_pdf_with_txt_extension_is_read_as_pdf_with_warning(tmp_path: Path) -> None:
    src = read_document(write(tmp_path, "r.txt", text_pdf(["Plain words"])))
    assert src.format == "pdf"
    assert "Plain words" in src.text
    assert any("扩展名" in w for w in src.warnings)


# --------------------------------------------------------------------------- .html

PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}">
<title>{title}_某某省人民政府门户网站</title>
<script>var trackingCode = "统计代码不应出现";</script>
<style>.x {{ color: red }} /* 样式不应出现 */</style>
</head>
<body>
<header><div class="logo">某某省人民政府门户网站</div></header>
<nav><ul><li><a href="/">首页</a></li><li><a href="/zw">政务公开</a></li>
<li><a href="/bs">办事服务</a></li></ul></nav>
<div class="main">
  <div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 政府工作报告</div>
  <div class="article">
    <h1>{title}</h1>
    <div class="info">来源：省政府办公厅 时间：2026-02-03</div>
    <div class="bdsharebuttonbox"><a class="bds_weixin">分享到微信</a><a>分享到微博</a></div>
    <div class="fontsize">【字号：大 中 小】</div>
    <div id="zoom">
      <p>各位代表：</p>
      <p>　　现在，我代表省人民政府，向大会报告工作，请予审议。</p>
      <p>一、过去一年工作回顾</p>
      <p>过去一年，全省经济运行<b>稳中向好</b>，发展质量稳步提升。</p>
      <p>二、今年重点工作</p>
      <p>着力扩大有效需求，加快建设现代化产业体系。<br>坚持就业优先，稳定和扩大就业。</p>
    </div>
    <div class="print"><a href="javascript:print()">打印本页</a> <a>关闭窗口</a></div>
  </div>
  <div class="related"><h3>相关新闻</h3><ul>
    <li><a href="/1">全省经济工作会议在省会召开会议强调高质量发展</a></li>
    <li><a href="/2">省政府常务会议研究部署稳就业促消费工作</a></li></ul></div>
</div>
<aside>热点专题：优化营商环境</aside>
<footer>主办单位：某某省人民政府办公厅 网站标识码 备案号</footer>
<form><input value="搜索"></form>
</body></html>
"""


def html_page(charset: str = "utf-8") -> str:
    return PAGE.format(charset=charset, title="2026年某某省政府工作报告")


def test_html_keeps_only_the_article(tmp_path: Path) -> None:
    src = read_document(write(tmp_path, "page.html", html_page().encode("utf-8")))
    assert src.format == "html"
    assert src.text.split("\n") == [
        "2026年某某省政府工作报告",
        "各位代表：",
        "现在，我代表省人民政府，向大会报告工作，请予审议。",
        "一、过去一年工作回顾",
        "过去一年，全省经济运行稳中向好，发展质量稳步提升。",
        "二、今年重点工作",
        "着力扩大有效需求，加快建设现代化产业体系。",
        "坚持就业优先，稳定和扩大就业。",
    ]
    for furniture in [
        "首页",
        "分享",
        "字号",
        "打印",
        "相关新闻",
        "主办单位",
        "统计代码",
        "样式",
        "搜索",
    ]:
        assert furniture not in src.text


def test_html_charset_from_meta(tmp_path: Path) -> None:
    # Many government sites still declare gb2312 and serve GBK bytes.
    data = html_page("gb2312").encode("gbk")
    src = read_document(write(tmp_path, "page.htm", data))
    assert src.encoding == "gb18030"
    assert "加快建设现代化产业体系" in src.text


def test_html_charset_from_bytes_when_not_declared(tmp_path: Path) -> None:
    page = html_page("utf-8").replace('<meta charset="utf-8">', "")
    src = read_document(write(tmp_path, "page.html", page.encode("gb18030")))
    assert "坚持就业优先" in src.text


def test_html_without_article_is_e013(tmp_path: Path) -> None:
    page = "<html><body><nav>首页 政务公开</nav><script>x()</script><p>OK</p></body></html>"
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "empty.html", page.encode()))
    assert code_of(e) == ErrorCode.E013_BAD_HTML


def test_html_saved_with_unknown_extension_is_recognised(tmp_path: Path) -> None:
    src = read_bytes(html_page().encode("utf-8"), suffix=".shtm")
    assert src.format == "html"
    assert "首页" not in src.text
    assert "坚持就业优先" in src.text


def test_deeply_nested_html_does_not_overflow_the_stack() -> None:
    depth = 5000  # deeper than Python's recursion limit
    page = "<html><body>" + "<div>" * depth + "<p>坚持稳中求进工作总基调。</p>" + "</div>" * depth
    src = read_bytes(page.encode("utf-8"), suffix=".html")
    assert src.text == "坚持稳中求进工作总基调。"


def test_furniture_wrapper_holding_the_article_is_kept() -> None:
    # A class name that sounds like furniture must not take the whole article with it.
    page = (
        '<html><body><div class="header-and-content"><h1>标题</h1>'
        "<p>加快建设现代化产业体系，着力扩大有效需求。</p></div>"
        '<div class="menu">首页 政务公开 办事服务 互动交流</div></body></html>'
    )
    src = read_bytes(page.encode("utf-8"), suffix=".html")
    assert "加快建设现代化产业体系" in src.text
    assert "政务公开" not in src.text


def test_flate_compressed_pdf_text_is_read(tmp_path: Path) -> None:
    src = read_document(write(tmp_path, "z.pdf", text_pdf(["Compressed words"], flate=True)))
    assert src.text.strip() == "Compressed words"


def test_pdf_stream_bomb_is_e008_before_pdfminer(tmp_path: Path, monkeypatch) -> None:
    import pdfminer.high_level

    data = text_pdf(["x"], padding=200 * 1024 * 1024)  # 200 MB of spaces in a few hundred KB
    assert len(data) < 2 * 1024 * 1024

    def never(*a, **k):
        raise AssertionError("pdfminer must not be reached for a bomb")

    monkeypatch.setattr(pdfminer.high_level, "extract_text", never)
    started = time.perf_counter()
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "bomb.pdf", data))
    assert code_of(e) == ErrorCode.E008_ZIP_BOMB
    assert time.perf_counter() - started < 5.0  # generous: the machine may be busy


def test_text_mentioning_the_pdf_header_stays_text(tmp_path: Path) -> None:
    text = "文件格式说明：PDF 文件以 %PDF-1.7 开头。\n坚持稳中求进工作总基调。"
    src = read_document(write(tmp_path, "note.txt", text.encode("utf-8")))
    assert (src.format, src.text) == ("text", text)


def test_undecodable_text_is_e004(tmp_path: Path) -> None:
    data = bytes(range(0x81, 0xFF)) * 50  # no NULs, yet valid in no encoding we accept
    with pytest.raises(ExtractError) as e:
        read_document(write(tmp_path, "odd.txt", data))
    assert code_of(e) == ErrorCode.E004_ENCODING
    assert "UTF-8" in e.value.message


def test_old_table_layout_page_with_http_equiv_charset_and_br(tmp_path: Path) -> None:
    # Older government sites lay pages out with tables and break lines with <br>.
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>政府工作报告</title></head><body><table><tr>"
        '<td width="200"><a href="/1">机构概况</a><br><a href="/2">政策文件</a><br>'
        '<a href="/3">公开目录</a></td>'
        "<td>政府工作报告<br>&nbsp;&nbsp;各位代表：<br>&nbsp;&nbsp;着力扩大有效需求。<br>"
        "&nbsp;&nbsp;坚持就业优先。</td></tr></table></body></html>"
    )
    src = read_document(write(tmp_path, "old.htm", page.encode("gbk")))
    assert src.encoding == "gb18030"
    assert src.text.split("\n") == [
        "政府工作报告",
        "各位代表：",
        "着力扩大有效需求。",
        "坚持就业优先。",
    ]
