"""Scans and photos: recognition, orientation, page limits and hostile images.

Every image is drawn at test time from our own text (``pagegen``) and read back through
the same entry points as an upload (``read_bytes``) or the CLI, so the character error
rate measured here is the recogniser's on a known source. Pages are kept small (a few
lines) to keep the suite fast; ``benchmarks/ocr_bench.py`` measures full A4 pages.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from duban.extract import ocr
from duban.extract.cli import extract
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.readers import read_bytes, read_document
from duban.extract.tests.pagegen import PARAGRAPHS, render_page

SOURCE = "\n".join(PARAGRAPHS)


def cer(expected: str, got: str) -> float:
    """Character error rate: edit distance over the source's length, whitespace ignored."""
    a, b = "".join(expected.split()), "".join(got.split())
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / len(a)


def encode(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return render_page(PARAGRAPHS, dpi=200)


def test_clean_page_is_read_with_its_paragraphs_and_line_boxes(page: Image.Image) -> None:
    src = read_bytes(encode(page), suffix=".png", path="scan.png")
    assert (src.format, src.encoding) == ("image", "ocr")
    assert cer(SOURCE, src.text) <= 0.01
    # Lines wrapped on the page come back as one paragraph each, as the engine expects.
    assert src.text.strip().split("\n") == PARAGRAPHS
    assert [p.number for p in src.pages] == [1]
    assert len(src.ocr_lines) == 5  # the heading and four printed lines
    for line in src.ocr_lines:
        assert src.text[line.start : line.end] == line.text
        left, top, right, bottom = line.box
        assert 0 <= left < right <= page.width and 0 <= top < bottom <= page.height
    # An offset in the text leads back to the region of the page it was read from.
    at = src.text.index("滨河新区")
    (line,) = src.lines_between(at, at + 4)
    assert "滨河新区" in line.text and line.page == 1
    assert line.box[1] > src.ocr_lines[1].box[1]  # on the paragraph's second printed line


@pytest.mark.parametrize(("turn", "undo"), [(90, 270), (180, 180), (270, 90)])
def test_a_page_scanned_on_its_side_or_upside_down_is_turned_upright(
    page: Image.Image, turn: int, undo: int
) -> None:
    result = ocr.recognize_page(page.convert("RGB").rotate(turn, expand=True))
    assert result.rotation == undo
    text = "".join(line.text for line in result.lines)
    assert cer(SOURCE, text) <= 0.02
    assert text.startswith("一、二〇二七年重点任务")  # reading order restored too


def test_a_skewed_scan_is_straightened(page: Image.Image) -> None:
    tilted = page.convert("RGB").rotate(2.5, expand=True, fillcolor="white")
    result = ocr.recognize_page(tilted)
    assert -3.0 <= result.skew <= -2.0  # turned back clockwise
    assert cer(SOURCE, "".join(line.text for line in result.lines)) <= 0.02


def test_a_phone_jpeg_with_exif_rotation_is_read(page: Image.Image) -> None:
    # Phones store the sensor's orientation and a tag saying how to turn it (6: 90° CW).
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = page.convert("RGB").rotate(90, expand=True)
    src = read_bytes(encode(stored, "JPEG", quality=60, exif=exif), suffix=".jpg")
    assert cer(SOURCE, src.text) <= 0.04


def test_a_scanned_pdf_is_recognised_page_by_page(page: Image.Image) -> None:
    second = render_page(["（三）推进生态治理。十月底前消除城区黑臭水体。"], dpi=200)
    pdf = encode(page.convert("RGB"), "PDF", resolution=200, save_all=True, append_images=[second])
    src = read_bytes(pdf, suffix=".pdf", path="scan.pdf")
    assert (src.format, src.encoding) == ("pdf", "ocr")
    assert [p.number for p in src.pages] == [1, 2]
    at = src.text.index("黑臭水体")
    assert src.page_at(at).number == 2
    assert {line.page for line in src.lines_between(at, at + 4)} == {2}
    assert cer(SOURCE, src.text[: src.pages[1].start]) <= 0.01


def test_the_upright_page_is_drawn_again_from_the_original_for_its_line_boxes(
    page: Image.Image,
) -> None:
    from PIL import ImageChops

    # A page scanned on its side and a little askew, as a JPEG and inside a scanned PDF.
    turned = page.convert("RGB").rotate(90, expand=True).rotate(-2, expand=True, fillcolor="white")
    # The photo: the image recognition worked on is drawn again, pixel for pixel.
    jpeg = encode(turned, "JPEG", quality=90)
    result = ocr.recognize_page(next(ocr.open_images(jpeg, suffix=".jpg")), keep_image=True)
    geometry = result.geometry()
    assert geometry.rotation == 270 and 1.5 <= geometry.skew <= 2.5
    again = ocr.upright_page(jpeg, suffix=".jpg", page=geometry)
    assert ImageChops.difference(again, result.image).getbbox() is None
    # The scanned PDF, through the reader: its geometry draws a page whose line boxes hold
    # the lines' ink (the box of 「滨河新区…」 is dark inside).
    pdf = encode(turned, "PDF")
    src = read_bytes(pdf, suffix=".pdf")
    (geometry,) = src.ocr_pages
    again = ocr.upright_page(pdf, suffix=".pdf", page=geometry)
    assert again.size == (geometry.width, geometry.height) and geometry.rotation == 270
    at = src.text.index("滨河新区")
    (line,) = src.lines_between(at, at + 4)
    assert again.convert("L").crop(line.box).getextrema()[0] < 100


def test_cli_extracts_tasks_from_a_photo(page: Image.Image, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(page.convert("RGB"), "JPEG", quality=85))
    result = CliRunner().invoke(
        extract, [str(photo), "--date", "2027-01-15", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.stderr
    assert "格式 image，编码 ocr" in result.stderr
    tasks = [task["text"] for task in json.loads(result.stdout)["tasks"]]
    # The tasks proposed from the pixels are those of the same report as text.
    assert len(tasks) == 2
    assert "六月底前开工建设滨河新区综合管廊二期工程" in tasks[0]
    assert "年底前建成社区养老服务站四十五个" in tasks[1]


def test_the_models_load_without_network(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the OCR engine tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_engine", None)  # load afresh, as a new worker does
    text = "".join(line.text for line in ocr.recognize_page(page.convert("RGB")).lines)
    assert cer(SOURCE, text) <= 0.01


# --------------------------------------------------------------------------- limits, bad input


def one_line_error(excinfo: pytest.ExceptionInfo[ExtractError], code: ErrorCode) -> str:
    assert excinfo.value.code == code
    assert "\n" not in excinfo.value.message
    return excinfo.value.message


def test_a_scan_over_the_page_limit_is_refused_with_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr, "OCR_MAX_PAGES", 2)
    blank = Image.new("L", (200, 100), 255)
    tiff = encode(blank, "TIFF", save_all=True, append_images=[blank, blank])
    with pytest.raises(ExtractError) as e:
        read_bytes(tiff, suffix=".tif")
    message = one_line_error(e, ErrorCode.E020_TOO_MANY_PAGES)
    assert "共 3 页" in message and "上限 2 页" in message
    pdf = encode(blank.convert("RGB"), "PDF", save_all=True, append_images=[blank, blank])
    with pytest.raises(ExtractError) as e:
        read_bytes(pdf, suffix=".pdf")
    assert "上限 2 页" in one_line_error(e, ErrorCode.E020_TOO_MANY_PAGES)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(idat) - 4)
        + idat
        + struct.pack(">I", zlib.crc32(idat))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


def test_a_decompression_bomb_image_is_refused_before_decoding() -> None:
    with pytest.raises(ExtractError) as e:
        read_bytes(png_declaring(100_000, 100_000), suffix=".png")
    assert "像素" in one_line_error(e, ErrorCode.E008_ZIP_BOMB)


def test_an_image_just_over_the_pixel_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "OCR_MAX_PIXELS", 10_000)
    with pytest.raises(ExtractError) as e:
        read_bytes(encode(Image.new("L", (101, 100), 255)), suffix=".png")
    one_line_error(e, ErrorCode.E008_ZIP_BOMB)


def _refuses_half_a_photo(page: Image.Image, tmp_path: Path) -> Path:
    jpeg = encode(page.convert("RGB"), "JPEG", quality=80)
    path = tmp_path / "cut.jpg"
    path.write_bytes(jpeg[: len(jpeg) // 2])
    with pytest.raises(ExtractError) as e:
        read_document(path)
    assert "不完整" in one_line_error(e, ErrorCode.E019_BAD_IMAGE)
    return path


def test_a_truncated_photo_is_a_one_line_error(page: Image.Image, tmp_path: Path) -> None:
    path = _refuses_half_a_photo(page, tmp_path)
    result = CliRunner().invoke(extract, [str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "E019" in result.stderr


def test_garbage_named_jpg_is_a_one_line_error() -> None:
    with pytest.raises(ExtractError) as e:
        read_bytes(b"\xff\xd8\xff\xe0" + b"\x00garbage" * 100, suffix=".jpg")
    one_line_error(e, ErrorCode.E019_BAD_IMAGE)


def test_heic_is_refused_with_what_to_do() -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    with pytest.raises(ExtractError) as e:
        read_bytes(heic, suffix=".heic")
    assert "JPEG" in one_line_error(e, ErrorCode.E019_BAD_IMAGE)


def test_a_blank_scan_says_nothing_was_recognised() -> None:
    with pytest.raises(ExtractError) as e:
        read_bytes(encode(Image.new("L", (800, 600), 255)), suffix=".png")
    assert "没有识别出文字" in one_line_error(e, ErrorCode.E001_EMPTY)


# --------------------------------------------------------------------------- repairs


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("(一）扩大有效投资", "（一）扩大有效投资"),
        ("（二)提升民生保障", "（二）提升民生保障"),
        ("到二○二八年底", "到二〇二八年底"),
        ("二O二六年工作回顾", "二〇二六年工作回顾"),
        ("COVID-19 与 OO 型", "COVID-19 与 OO 型"),  # no numeral next to the O: left alone
        ("增长(3.5%)", "增长(3.5%)"),  # a half-width pair stays for the engine to judge
    ],
)
def test_misreads_print_never_makes_are_mended(read: str, printed: str) -> None:
    assert ocr._mend(read) == printed


@pytest.mark.parametrize(
    ("last", "top", "expected"),
    [
        ("-2", 1900, "— 2 —"),
        ("3", 1900, "— 3 —"),
        ("—12", 1900, "— 12 —"),
        ("-2", 900, "-2"),  # mid-page: a table's negative rate, not a page number
        ("年底前", 1900, "年底前"),
    ],
)
def test_the_page_number_at_the_foot_is_written_as_printed(
    last: str, top: int, expected: str
) -> None:
    from duban.extract.source import OcrLine

    page = ocr.OcrPage(number=1, width=1414, height=2000)
    page.lines = [
        OcrLine(text="正文", page=1, box=(100, 200, 900, 240)),
        OcrLine(text=last, page=1, box=(650, top, 720, top + 30)),
    ]
    ocr._mend_page_number(page)
    assert page.lines[-1].text == expected


# --------------------------------------------------------------------------- mixed PDFs, no OCR


def text_and_scanned_pdf(scan: Image.Image) -> bytes:
    """Page 1 with a text layer (our PDF writer), page 2 a scan: an annex signed on paper."""
    import pypdfium2 as pdfium

    from duban.extract.tests.pdfgen import text_pdf

    doc = pdfium.PdfDocument(text_pdf(["Work report of Qinghe City (2027)"]))
    doc.import_pages(pdfium.PdfDocument(encode(scan.convert("RGB"), "PDF", resolution=200)))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_a_text_pdf_with_a_scanned_page_reads_both(page: Image.Image) -> None:
    src = read_bytes(text_and_scanned_pdf(page), suffix=".pdf")
    assert (src.format, src.encoding) == ("pdf", "pdf")
    assert [p.number for p in src.pages] == [1, 2]
    assert "Work report of Qinghe City (2027)" in src.text[: src.pages[1].start]
    assert cer(SOURCE, src.text[src.pages[1].start :]) <= 0.01
    assert {line.page for line in src.ocr_lines} == {2}
    assert src.warnings[0].startswith("第 2 页是扫描页")


def test_without_the_ocr_package_scans_get_a_message_naming_it(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "rapidocr", None)  # as if it were not installed
    with pytest.raises(ExtractError) as e:
        read_bytes(encode(page), suffix=".png")
    assert ocr.OCR_INSTALL_HINT in one_line_error(e, ErrorCode.E021_NO_OCR)
    with pytest.raises(ExtractError) as e:
        read_bytes(encode(page.convert("RGB"), "PDF"), suffix=".pdf")
    one_line_error(e, ErrorCode.E007_PDF_NO_TEXT)
    src = read_bytes(text_and_scanned_pdf(page), suffix=".pdf")  # the text page still reads
    assert "Qinghe" in src.text and "滨河" not in src.text
    assert src.warnings[-1].startswith("第 2 页没有文字层，服务器未安装文字识别组件")


def test_without_onnx_runtime_the_message_names_it_too(
    page: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    # rapidocr installs without ONNX Runtime (it supports several runtimes): say so.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    real_find_spec = ocr.importlib.util.find_spec
    monkeypatch.setattr(
        ocr.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real_find_spec(name, *a),
    )
    with pytest.raises(ExtractError) as e:
        read_bytes(encode(page), suffix=".png")
    assert "onnxruntime" in one_line_error(e, ErrorCode.E021_NO_OCR)


# --------------------------------------------------------------------------- OFD scans


def scanned_ofd(page: Image.Image) -> bytes:
    """An OFD whose first page is text and second a scan, built from the standard's
    structure (a MultiMedia resource, an ImageObject drawing it), not by the reader."""
    from duban.extract.tests.ofdgen import NS, Text, build_ofd

    res = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
        '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts>'
        '<ofd:MultiMedias><ofd:MultiMedia ID="7" Type="Image" Format="PNG">'
        "<ofd:MediaFile>scan_1.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>"
    )
    scan_page = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        '<ofd:Layer ID="2"><ofd:ImageObject ID="200" ResourceID="7" Boundary="0 0 210 98" '
        'CTM="210 0 0 98 0 0"/></ofd:Layer></ofd:Content></ofd:Page>'
    )
    return build_ofd(
        [[[Text(25, 40, "青禾市人民政府办公室文件")], []]],
        extra={
            "Doc_0/PublicRes.xml": res,
            "Doc_0/Pages/Page_1/Content.xml": scan_page,
            "Doc_0/Res/scan_1.png": encode(page),
        },
    )


def test_an_ofd_page_that_is_a_scan_is_recognised(page: Image.Image) -> None:
    src = read_bytes(scanned_ofd(page), suffix=".ofd")
    assert (src.format, src.encoding) == ("ofd", "ofd")  # page 1 has its own text
    assert src.text.startswith("青禾市人民政府办公室文件\n")
    second = src.pages[1]
    assert (second.number, second.document) == (2, 1)
    assert cer(SOURCE, src.text[second.start :]) <= 0.01
    assert {line.page for line in src.ocr_lines} == {2}
    at = src.text.index("滨河新区")
    assert src.text[src.lines_between(at, at + 4)[0].start :].startswith(
        src.lines_between(at, at + 4)[0].text
    )
    assert src.warnings[-1].startswith("第 2 页是扫描页")


def test_an_ofd_scan_keeps_its_geometry_so_its_page_can_be_cut_again(page: Image.Image) -> None:
    """Two documents, the scan the second page of the second: its lines and geometry name
    the page's place in the whole file (3), and ``upright_scan`` draws that image again
    from the OFD, so a proposal's region can be cut out of it as from a scanned PDF."""
    from duban.extract.source import OcrGeometry
    from duban.extract.tests.ofdgen import Text, build_scanned_ofd

    data = build_scanned_ofd(
        [[[Text(25, 40, "青禾市人民政府办公室文件")]], [[Text(25, 40, "附件")], encode(page)]]
    )
    src = read_bytes(data, suffix=".ofd")
    assert [(p.document, p.number) for p in src.pages] == [(1, 1), (2, 1), (2, 2)]
    assert cer(SOURCE, src.text[src.pages[2].start :]) <= 0.01
    assert {line.page for line in src.ocr_lines} == {3}
    assert [g.number for g in src.ocr_pages] == [3]
    assert src.warnings[-1].startswith("第 2 个文档第 2 页是扫描页")
    geometry = src.ocr_pages[0]
    from duban.extract.ofd import upright_scan

    drawn = upright_scan(data, geometry)
    assert drawn.size == (geometry.width, geometry.height)
    line = next(ln for ln in src.ocr_lines if "滨河新区" in ln.text)
    assert drawn.crop(line.box).convert("L").getextrema()[0] < 100  # the line's ink
    with pytest.raises(ExtractError):  # page 1 is text: there is no scan to draw
        upright_scan(data, OcrGeometry(1, 10, 10))


def test_a_truncated_photo_is_refused_even_after_weasyprint_loosened_pillow(
    page: Image.Image, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # WeasyPrint sets this for the whole process when the bulletins import it.
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    _refuses_half_a_photo(page, tmp_path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the process's setting is left as it was
