"""What every reader shares: the text it returns, its limits, errors and the zip guard.

Split from ``readers`` so that the OFD reader (``ofd``) can use them without importing
the module that dispatches to it.
"""

from __future__ import annotations

import bisect
import re
import zipfile
from dataclasses import dataclass, field

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.zipguard import ZipLimits, zip_problem

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Zip-bomb limits for .docx. A real report's document.xml compresses about 5–20:1; bombs
# are 1000:1 and more. The sizes are read from the central directory, and zipfile never
# inflates a member past its declared size, so a lying directory cannot get around them.
DOCX_MAX_MEMBERS = 5000
DOCX_MAX_RATIO = 100
DOCX_RATIO_MIN_SIZE = 5 * 1024 * 1024  # small members may compress very well, harmlessly
# Total uncompressed ≤ 5 × max_bytes: python-docx holds the whole XML tree in memory, at
# several times the XML's size, and the engine should stay well under 1 GiB.
DOCX_MAX_TOTAL_FACTOR = 5

PDF_MAX_PAGES = 2000
# The same kind of bomb fits in a PDF: one Flate stream of a few KB that inflates to GBs.
# pdfminer inflates each stream whole, so streams are measured (not kept) beforehand.
PDF_MAX_RATIO = 100
PDF_RATIO_MIN_SIZE = 5 * 1024 * 1024
PDF_MAX_TOTAL_FACTOR = 5  # all non-image streams together ≤ 5 × max_bytes


# .doc/.wps: LibreOffice converts a 100-page .doc in a few seconds; a file that takes longer
# than this is hostile or broken, and the process tree is killed.
OFFICE_TIMEOUT = 120
OFFICE_INSTALL_HINT = "apt-get install libreoffice-writer-nogui"

TEXT_EXTENSIONS = {".txt", ".md", ".text", ".markdown"}
HTML_EXTENSIONS = {".html", ".htm", ".shtml", ".xhtml"}
OFFICE_EXTENSIONS = {".doc", ".wps"}  # Word 97–2003 and WPS Office's own (Word-compatible)

_MAGIC_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .doc/.xls, and encrypted .docx
_MAGIC_ZIP = b"PK\x03\x04"
_MAGIC_PDF = b"%PDF-"
# Common binary formats a clerk might rename by mistake; named so the message can say what it is.
_BINARY_MAGICS = {
    b"\x89PNG": "PNG 图片",
    b"\xff\xd8\xff": "JPEG 图片",
    b"GIF8": "GIF 图片",
    b"Rar!": "RAR 压缩包",
    b"7z\xbc\xaf": "7z 压缩包",
    b"\x1f\x8b": "gzip 压缩包",
    b"MZ": "可执行程序",
    b"\x7fELF": "可执行程序",
    b"{\\rtf": "RTF 文档",
}


# Control characters other than tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SourcePage:
    """Where a page of a fixed-layout file (PDF, OFD) starts in :attr:`SourceText.text`.

    A source link uses it to open the original on the right page. ``number`` counts from 1
    within its ``document`` (an OFD may hold several documents, each numbered from 1;
    a PDF has one).
    """

    start: int
    number: int
    document: int = 1


@dataclass
class OcrLine:
    """A line recognised on a page image (a scan or photo), and where it went in the text.

    ``box`` is ``(left, top, right, bottom)`` in pixels of the upright page image (see
    :class:`~duban.extract.ocr.OcrPage`); ``start``/``end`` are offsets in
    :attr:`SourceText.text`, so a passage found by the engine leads back to its region.
    ``score`` is the recogniser's confidence, 0–1.
    """

    text: str
    page: int
    box: tuple[int, int, int, int]
    score: float = 1.0
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class OcrGeometry:
    """How a recognised page was turned upright: enough to draw that image again.

    ``width`` × ``height`` is the upright image (the page scaled to at most 2000 pixels on
    its long side, :data:`duban.extract.ocr.OCR_MAX_SIDE`); ``rotation`` the quarter
    turns (counter-clockwise degrees) and ``skew`` the small rotation then applied.
    """

    number: int
    width: int
    height: int
    rotation: int = 0
    skew: float = 0.0


@dataclass
class SourceText:
    """A document's text as read, before the engine normalizes it."""

    text: str
    # "utf-8", "utf-8-sig", "gb18030", "utf-16-le" … or "docx"/"pdf"/"ofd"/"doc"/"wps",
    # or "ocr" for text recognised from page images (a scanned PDF, a photo)
    encoding: str
    format: str  # "text" | "docx" | "pdf" | "ofd" | "html" | "doc" | "wps" | "image"
    path: str
    warnings: list[str] = field(default_factory=list)
    # Page starts, in order, for formats that have pages (PDF, OFD); empty for the others.
    pages: list[SourcePage] = field(default_factory=list)
    # For text recognised from images (encoding "ocr"): every line with its page and box.
    ocr_lines: list[OcrLine] = field(default_factory=list)
    # ...and each recognised page's geometry, to draw its upright image again.
    ocr_pages: list[OcrGeometry] = field(default_factory=list)

    def page_at(self, offset: int) -> SourcePage | None:
        """The page that holds character ``offset`` of :attr:`text`, or None without pages."""
        if not self.pages:
            return None
        i = bisect.bisect_right([p.start for p in self.pages], offset)
        return self.pages[max(0, i - 1)]

    def lines_between(self, start: int, end: int) -> list[OcrLine]:
        """The recognised lines that hold any of characters ``start``…``end`` (OCR only)."""
        return [ln for ln in self.ocr_lines if ln.start < end and ln.end > start]


def _err(code: ErrorCode, zh: str, en: str) -> ExtractError:
    return ExtractError(code, f"{zh}（{en}）")


def _mb(n: int | float) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _check_zip(
    zf: zipfile.ZipFile,
    max_bytes: int,
    *,
    kind: str = "Word 文件",
    kind_en: str = ".docx",
    bad: ErrorCode = ErrorCode.E005_BAD_DOCX,
) -> None:
    """Refuse a zip container (.docx, .ofd) whose directory declares a bomb, before inflating.

    ``kind`` names the format in the message; ``bad`` is the format's own error code, used
    for an encrypted archive (E008 stays the code of every bomb).
    """
    limits = ZipLimits(
        max_members=DOCX_MAX_MEMBERS,
        max_ratio=DOCX_MAX_RATIO,
        ratio_min_size=DOCX_RATIO_MIN_SIZE,
        max_total=DOCX_MAX_TOTAL_FACTOR * max_bytes,
    )
    problem = zip_problem(zf, limits)
    if problem is None:
        return
    if problem.kind == "members":
        raise _err(
            ErrorCode.E008_ZIP_BOMB,
            f"{kind}结构异常：包含 {problem.count} 个部件，已拒绝",
            "too many zip members",
        )
    if problem.kind == "encrypted":
        raise _err(
            bad,
            f"{kind}已加密，请去掉密码后再导入",
            f"encrypted {kind_en}; remove the password",
        )
    if problem.kind == "ratio":
        raise _err(
            ErrorCode.E008_ZIP_BOMB,
            f"{kind}解压后异常膨胀（{problem.member} 压缩比超过 {DOCX_MAX_RATIO}:1），已拒绝",
            "zip bomb suspected",
        )
    raise _err(
        ErrorCode.E008_ZIP_BOMB,
        f"{kind}解压后过大（{_mb(problem.total)}），已拒绝",
        "uncompressed size too large",
    )
