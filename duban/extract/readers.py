"""Read a report from disk into plain text, whatever form the office received it in.

The engine itself works on ``str``; this module is the only place that touches files. It
turns ``.txt``/``.md`` (UTF-8, GB18030/GBK, UTF-16/32), ``.docx``, ``.pdf`` with a text
layer, ``.ofd`` (GB/T 33190, read here from its zip and XML structure), ``.html`` pages
saved from a government website, old ``.doc``/``.wps`` files (converted to ``.docx``
by LibreOffice in headless mode), and scans and photos (images, and PDFs without a text
layer, recognised by :mod:`duban.extract.ocr`) into a :class:`SourceText`, and reports every
failure as an :class:`~duban.extract.errors.ExtractError` with a one-line message a clerk
can act on.

Everything that could be hostile is bounded *before* it is parsed: the file size against
``max_bytes``, a ``.docx``'s or ``.ofd``'s zip directory against a zip bomb, an OFD's XML
against DTDs and its references against paths outside the archive, NUL-heavy "text"
against binary files renamed to ``.txt``, LibreOffice against hanging (a timeout).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.ocr import HEIC_EXTENSIONS, IMAGE_EXTENSIONS, Progress
from duban.extract.ofd import (  # noqa: F401 - the OFD reader and names tests use
    OFD_MAX_DOCUMENTS,
    OFD_MAX_PAGES,
    OFD_NO_TEXT,
    _em_width,
    _OfdPackage,
    _read_ofd,
)
from duban.extract.source import (  # noqa: F401 - SourceText, SourcePage, DOCX_MAX_MEMBERS: readers.<name>
    _BINARY_MAGICS,
    _CONTROL,
    _MAGIC_OLE,
    _MAGIC_PDF,
    _MAGIC_ZIP,
    DEFAULT_MAX_BYTES,
    DOCX_MAX_MEMBERS,
    HTML_EXTENSIONS,
    OFFICE_EXTENSIONS,
    OFFICE_INSTALL_HINT,
    OFFICE_TIMEOUT,
    PDF_MAX_PAGES,
    PDF_MAX_RATIO,
    PDF_MAX_TOTAL_FACTOR,
    PDF_RATIO_MIN_SIZE,
    TEXT_EXTENSIONS,
    SourcePage,
    SourceText,
    _check_zip,
    _err,
    _mb,
)

# --------------------------------------------------------------------------- entry point


def read_document(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None
) -> SourceText:
    """Read ``path`` and return its text; raise :class:`ExtractError` on anything unusable.

    ``progress(done, total)`` is called after each page recognised from a scan or photo.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise _err(ErrorCode.E010_NOT_FOUND, f"找不到文件：{name}", "file not found")
    if not p.is_file():
        raise _err(ErrorCode.E010_NOT_FOUND, f"不是文件：{name}", "not a regular file")
    size = p.stat().st_size
    if size > max_bytes:
        raise _err(
            ErrorCode.E003_TOO_LARGE,
            f"文件过大：{_mb(size)}，上限 {_mb(max_bytes)}",
            "file too large",
        )
    if size == 0:
        raise _err(ErrorCode.E001_EMPTY, f"文件是空的：{name}", "file is empty")
    try:
        with p.open("rb") as fh:
            # read one byte more than allowed so a file that grew since stat() is still caught
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise _err(
            ErrorCode.E010_NOT_FOUND, f"无法读取文件：{name}：{exc.strerror}", "cannot read file"
        ) from exc
    if len(data) > max_bytes:
        raise _err(ErrorCode.E003_TOO_LARGE, f"文件过大，上限 {_mb(max_bytes)}", "file too large")
    return read_bytes(
        data, suffix=p.suffix.lower(), path=name, max_bytes=max_bytes, progress=progress
    )


def read_bytes(
    data: bytes,
    *,
    suffix: str,
    path: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> SourceText:
    """Read an uploaded document held in memory; ``suffix`` is its extension, e.g. ``".docx"``.

    Scans and photos are recognised page by page (seconds each); ``progress(done, total)``
    is called after each page, so a background job can show how far it got.
    """
    if len(data) > max_bytes:
        raise _err(ErrorCode.E003_TOO_LARGE, f"文件过大，上限 {_mb(max_bytes)}", "file too large")
    if not data:
        raise _err(ErrorCode.E001_EMPTY, "文件是空的", "file is empty")
    suffix = suffix.lower()
    sniffed = _sniff(data)
    warnings: list[str] = []

    # The content decides when it contradicts the extension: a PDF saved as ".txt" is read as
    # a PDF (with a warning) rather than rejected, since the clerk's intent is clear.
    fmt = {".docx": "docx", ".pdf": "pdf", ".ofd": "ofd"}.get(suffix)
    if suffix in IMAGE_EXTENSIONS or suffix in HEIC_EXTENSIONS:
        fmt = "image"
    elif suffix in TEXT_EXTENSIONS:
        fmt = "text"
    elif suffix in HTML_EXTENSIONS:
        fmt = "html"
    elif suffix in OFFICE_EXTENSIONS:
        # Old Word and WPS files are OLE containers, or RTF that Word saved as ".doc";
        # anything else under these names (often HTML from a web system) is read as what it is.
        fmt = "office" if sniffed == "ole" or data.startswith(b"{\\rtf") else None
    if sniffed == "image" and fmt in ("text", "html"):
        pass  # a photo renamed to .txt is refused as not text (E002), naming what it is
    elif sniffed in ("pdf", "docx", "ofd", "image") and fmt != sniffed:
        if fmt is not None or suffix in OFFICE_EXTENSIONS:
            warnings.append(
                f"扩展名 {suffix} 与内容不符，按 {sniffed.upper()} 读取"
                f"（extension does not match content; read as {sniffed})"
            )
        fmt = sniffed
    elif sniffed == "ole" and fmt != "office":
        # Word saves a password-protected .docx as an OLE container, like the old .doc.
        fmt = "ole" if suffix == ".docx" else "office"

    if fmt == "ole":
        raise _err(
            ErrorCode.E005_BAD_DOCX,
            "这是加密的 Word 文件或旧版 Word 文件改了扩展名，请去掉密码并另存为 .docx 后再导入",
            "password-protected or renamed old Word file; remove the password, save as .docx",
        )
    if fmt == "office":
        src = _read_office(data, suffix if suffix in OFFICE_EXTENSIONS else ".doc", path, max_bytes)
    elif fmt == "docx":
        src = _read_docx(data, path, max_bytes)
    elif fmt == "ofd":
        src = _read_ofd(data, path, max_bytes, progress=progress)
    elif fmt == "pdf":
        src = _read_pdf(data, path, max_bytes, progress=progress)
    elif fmt == "image":
        from duban.extract.ocr import read_image

        src = read_image(data, path, suffix=suffix, progress=progress)
    elif fmt == "html":
        src = _read_html(data, path)
    elif fmt == "text":
        src = _read_text(data, path)
    else:
        # Unknown extension: accept it when it is really text (or obviously HTML).
        try:
            src = _read_text(data, path)
        except ExtractError as exc:
            raise _err(
                ErrorCode.E009_UNSUPPORTED,
                f"不支持的文件类型：{suffix or '无扩展名'}；"
                "请使用 .txt、.md、.docx、.doc、.wps、.pdf、.ofd、.html，或扫描件图片 .jpg、.png、.tif",
                "unsupported file type",
            ) from exc
        if _looks_like_html(src.text):
            src = _read_html(data, path)
    src.warnings[:0] = warnings
    return src


def _sniff(data: bytes) -> str | None:
    head = data[:1024]
    if head.startswith(_MAGIC_OLE):
        return "ole"
    if head.startswith(_MAGIC_ZIP):
        return "docx" if b"word/" in data[:65536] else _zip_kind(data)
    # A PDF may carry a little junk before its header; a text that merely mentions "%PDF-"
    # near its start has no end-of-file marker.
    if head.startswith(_MAGIC_PDF) or (_MAGIC_PDF in head and b"%%EOF" in data[-2048:]):
        return "pdf"
    if head.startswith(_IMAGE_MAGICS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image"  # HEIC: the image reader says it is not supported, and what to do
    for magic in _BINARY_MAGICS:
        if head.startswith(magic):
            return "binary"
    return None


# Images the OCR reader takes: PNG, JPEG, TIFF (both byte orders), BMP. GIF is left out:
# nobody scans to GIF, and a renamed animation is better refused as what it is.
_IMAGE_MAGICS = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")


def _zip_kind(data: bytes) -> str:
    """Which zip this is: "docx", "ofd" (its entry file OFD.xml is at the root) or "zip"."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if any(n.lower() == "ofd.xml" for n in names):
        return "ofd"
    return "zip"


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:512].lower()
    return head.startswith(("<!doctype html", "<html")) or "<html" in head[:200]


# --------------------------------------------------------------------------- plain text

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

# Control characters other than tab, newline, carriage return, form feed: a few may sneak into
# real files (a stray \x0b from Word), a share above this means the bytes are not text.
_MAX_CONTROL_SHARE = 0.01


def decode_bytes(data: bytes) -> tuple[str, str, list[str]]:
    """Decode text bytes; return ``(text, encoding, warnings)``.

    Order matters: a BOM is authoritative; NUL bytes mean UTF-16/32 or binary; strict UTF-8
    almost never succeeds by accident; GB18030 decodes most byte strings, so its result must
    also *look like* Chinese; UTF-16 without BOM or NULs (pure hanzi) comes next; and only
    then charset-normalizer's statistical guess.
    """
    if _BINARY_MAGICS and any(data.startswith(m) for m in _BINARY_MAGICS):
        kind = next(v for m, v in _BINARY_MAGICS.items() if data.startswith(m))
        raise _err(
            ErrorCode.E002_BINARY,
            f"文件内容不是文本（看起来是{kind}），请检查文件",
            "not a text document",
        )
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(enc.removesuffix("-sig"), errors="strict")
            except UnicodeDecodeError as exc:
                raise _err(
                    ErrorCode.E004_ENCODING,
                    f"文件以 {enc} 标记开头，但内容无法按该编码解码",
                    "BOM present but content does not decode",
                ) from exc
            return _check_text(text), enc, []

    if b"\x00" in data:
        # NULs mean UTF-16 without a BOM or binary. Byte parity alone misleads (「一」 is
        # U+4E00, a NUL on the "wrong" side), so decode both ways and keep the one that reads.
        best_text, best_enc, best_score = None, "", 0.0
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                t16 = data.decode(enc, errors="strict")
            except UnicodeDecodeError:
                continue
            score = _plausible_share(t16)
            if score > best_score:
                best_text, best_enc, best_score = t16, enc, score
        if best_text is not None and best_score >= 0.9:
            if _control_share(best_text) < _MAX_CONTROL_SHARE:
                return _check_text(best_text), best_enc, []
        raise _err(
            ErrorCode.E002_BINARY,
            "文件内容不是文本（含大量空字节），可能是图片、压缩包或其他二进制文件",
            "binary content, not a text document",
        )

    # Strict UTF-8 first: GBK bytes of real Chinese text are valid UTF-8 only by freak chance
    # (a handful of hanzi such as 「隆」 C2 A1 are, but not a whole paragraph of them).
    try:
        return _check_text(data.decode("utf-8", errors="strict")), "utf-8", []
    except UnicodeDecodeError:
        pass

    try:
        text = data.decode("gb18030", errors="strict")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_like_gb_text(text):
        return _check_text(text), "gb18030", []

    for enc in ("utf-16-le", "utf-16-be"):
        if len(data) % 2:
            break
        try:
            t16 = data.decode(enc, errors="strict")
        except UnicodeDecodeError:
            continue
        if _cjk_share(t16) > 0.6:
            return _check_text(t16), enc, []

    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        guessed = str(best)
        if not _CONTROL.search(guessed[:10000]) or _control_share(guessed) < _MAX_CONTROL_SHARE:
            return (
                _check_text(guessed),
                best.encoding,
                [f"编码不确定，按 {best.encoding} 读取，请核对文字（encoding guessed)"],
            )
    raise _err(
        ErrorCode.E004_ENCODING,
        "无法识别文件编码；请另存为 UTF-8 编码的文本后重试",
        "unknown text encoding; save as UTF-8",
    )


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _plausible_share(text: str) -> float:
    """Share of characters a Chinese report uses; random bytes decode to anything."""
    sample = [c for c in text[:20000] if not c.isspace()]
    if not sample:
        return 1.0
    good = sum(
        1
        for c in sample
        if (c.isascii() and c.isprintable())
        or _is_cjk(c)
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
        or "\u2000" <= c <= "\u206f"
        or "\u00a0" <= c <= "\u00ff"
    )
    return good / len(sample)


def _cjk_share(text: str) -> float:
    sample = [c for c in text[:20000] if not c.isspace()]
    if not sample:
        return 0.0
    good = sum(
        1 for c in sample if _is_cjk(c) or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    )
    return good / len(sample)


def _looks_like_gb_text(text: str) -> bool:
    """True when a GB18030 decoding reads as Chinese, not as mojibake from other bytes.

    Real Chinese text uses mostly the GB2312 repertoire (6,763 common hanzi and punctuation);
    a random byte string decoded as GB18030 lands mostly in the rare GBK extension.
    """
    sample = [c for c in text[:20000] if not c.isspace()]
    if not sample:
        return True
    common = 0
    for c in sample:
        if c.isascii():
            common += c.isprintable()
            continue
        try:
            c.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(sample) >= 0.9


def _control_share(text: str) -> float:
    sample = text[:100000]
    return len(_CONTROL.findall(sample)) / max(1, len(sample))


def _check_text(text: str) -> str:
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise _err(
            ErrorCode.E002_BINARY,
            "文件内容不是文本（控制字符过多），可能是二进制文件",
            "binary content, not a text document",
        )
    # One line-ending convention for every reader; the pipeline's offsets refer to this text.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_text(data: bytes, path: str) -> SourceText:
    text, enc, warnings = decode_bytes(data)
    if not text.strip():
        raise _err(ErrorCode.E001_EMPTY, "文件只有空白，没有文字", "file has no text")
    return SourceText(text=text, encoding=enc, format="text", path=path, warnings=warnings)


# --------------------------------------------------------------------------- .docx


def _read_docx(data: bytes, path: str, max_bytes: int) -> SourceText:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _err(
            ErrorCode.E005_BAD_DOCX,
            "Word 文件已损坏或不完整，请重新保存后再导入",
            "truncated or corrupt .docx",
        ) from exc
    with zf:
        _check_zip(zf, max_bytes)
        if "word/document.xml" not in zf.namelist():
            raise _err(
                ErrorCode.E005_BAD_DOCX,
                "这不是 Word 文档（缺少正文部分），请检查文件",
                "not a Word document",
            )
        try:
            with zf.open("word/document.xml") as fh:
                head = fh.read(4096)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise _err(
                ErrorCode.E005_BAD_DOCX,
                "Word 文件已损坏或不完整，请重新保存后再导入",
                "truncated or corrupt .docx",
            ) from exc
        # Word never writes a DTD; one here can only be an entity-expansion attack.
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise _err(
                ErrorCode.E005_BAD_DOCX,
                "Word 文件包含不允许的内容（DTD），已拒绝",
                "DTD in .docx rejected",
            )

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        # Walk the body in order so tables stay where they were among the paragraphs.
        for child in document.element.body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append(Paragraph(child, document).text)
            elif tag == "tbl":
                lines.extend(_docx_table_lines(Table(child, document)))
    except ExtractError:
        raise
    except Exception as exc:  # python-docx/lxml/zipfile raise many kinds on broken files
        raise _err(
            ErrorCode.E005_BAD_DOCX,
            "Word 文件已损坏或不完整，请重新保存后再导入",
            "truncated or corrupt .docx",
        ) from exc
    text = "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _err(ErrorCode.E001_EMPTY, "Word 文件中没有文字", "the .docx has no text")
    return SourceText(text=text, encoding="docx", format="docx", path=path, warnings=[])


def _docx_table_lines(table) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # merged cells come back once per grid column; keep each once
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.strip())
        line = "\t".join(c for c in cells if c)
        if line:
            lines.append(line)
    return lines


# --------------------------------------------------------------------------- .pdf

NO_TEXT_LAYER = "此 PDF 没有文字层，请先进行 OCR 识别 (this PDF has no text layer; run OCR first)"
NO_TEXT_RECOGNISED = (
    "此 PDF 没有文字层，扫描页中也没有识别出文字（页面可能是空白或过于模糊），请重新扫描后再导入"
    "（no text layer, and no text recognised in the scanned pages）"
)


_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n")


def _inflated_size(chunk: bytes, cap: int) -> int:
    """How many bytes ``chunk`` inflates to, counting at most a little past ``cap``."""
    inflater = zlib.decompressobj()
    size = 0
    try:
        while chunk and size <= cap:
            size += len(inflater.decompress(chunk, 1 << 20))  # output dropped at once
            chunk = inflater.unconsumed_tail
    except zlib.error:
        pass  # a damaged stream is pdfminer's to report
    return size


def _check_pdf_streams(data: bytes, max_bytes: int) -> None:
    total = 0
    total_cap = PDF_MAX_TOTAL_FACTOR * max_bytes
    for m in _PDF_STREAM.finditer(data):
        end = data.find(b"endstream", m.end())
        if end < 0:
            break
        head = data[max(0, m.start() - 2048) : m.start()]
        head = head[head.rfind(b"obj") + 1 :]  # the stream's own dictionary
        # Images are decoded only if drawn to a bitmap, which text extraction never does.
        if b"/Fl" not in head or b"/Image" in head:
            continue
        chunk = data[m.end() : end]
        cap = max(PDF_RATIO_MIN_SIZE, PDF_MAX_RATIO * len(chunk))
        size = _inflated_size(chunk, min(cap, total_cap - total))
        total += size
        if size > cap or total > total_cap:
            raise _err(
                ErrorCode.E008_ZIP_BOMB,
                "PDF 文件解压后异常膨胀，已拒绝",
                "a compressed PDF stream expands too much",
            )


def _read_pdf(
    data: bytes, path: str, max_bytes: int, *, progress: Progress | None = None
) -> SourceText:
    if _MAGIC_PDF not in data[:1024]:
        raise _err(ErrorCode.E006_BAD_PDF, "这不是有效的 PDF 文件", "not a PDF")
    _check_pdf_streams(data, max_bytes)
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        text = extract_text(io.BytesIO(data), laparams=LAParams(), maxpages=PDF_MAX_PAGES)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise _err(
            ErrorCode.E006_BAD_PDF, "PDF 文件已加密，请去掉密码后再导入", "encrypted PDF"
        ) from exc
    except Exception as exc:  # pdfminer raises a zoo of exception types on damaged files
        raise _err(
            ErrorCode.E006_BAD_PDF,
            "PDF 文件已损坏或无法读取，请重新导出后再导入",
            "unreadable PDF",
        ) from exc
    # pdfminer ends every page with a form feed: the chunks between them are the pages.
    chunks = text.replace("\r\n", "\n").replace("\r", "\n").split("\x0c")
    page_texts = chunks[:-1] if len(chunks) > 1 else chunks
    tail = chunks[-1] if len(chunks) > 1 else None
    # Fonts without a Unicode map come out as "(cid:1234)": the text layer exists but is
    # useless, and the pages are recognised from their image like a scan.
    cids = len(re.findall(r"\(cid:\d+\)", text))
    undecodable = bool(cids and cids * 8 > len(text.strip()) * 0.3)
    if not text.strip() or undecodable:
        scanned = None  # every page
    else:
        # A text PDF may hold scanned pages (an annex, a signed page): those are recognised.
        scanned = [n for n, chunk in enumerate(page_texts, start=1) if not chunk.strip()]
    recognised: dict = {}
    skipped: list[int] = []
    if scanned is None or scanned:
        from duban.extract.ocr import (
            low_confidence_warning,
            ocr_available,
            page_text,
            recognize_pdf,
            shift_lines,
        )

        if scanned is not None and not ocr_available():
            skipped, scanned = scanned, []  # the text pages still read; the clerk is warned
        elif scanned is None and not ocr_available():
            if undecodable:
                raise _err(
                    ErrorCode.E006_BAD_PDF,
                    "PDF 的文字无法解码（字体缺少编码表），请先进行 OCR 识别或索取 Word 版",
                    "PDF text cannot be decoded",
                )
            raise ExtractError(ErrorCode.E007_PDF_NO_TEXT, NO_TEXT_LAYER)
        else:
            recognised = recognize_pdf(data, scanned, progress=progress)
        if scanned is None:
            count = max(recognised, default=0)
            page_texts = [""] * count
            tail = None
    pieces, pages, lines, pos = [], [], [], 0
    for number, chunk in enumerate(page_texts, start=1):
        pages.append(SourcePage(start=pos, number=number))
        if number in recognised:
            chunk = page_text(recognised[number])
            lines.extend(shift_lines(recognised[number], pos))
        pieces.append(chunk)
        pos += len(chunk) + 1
    if tail is not None:
        pieces.append(tail)
    text = "\n".join(pieces)  # the text is the same as with form feeds made line breaks
    warnings: list[str] = []
    if recognised:
        warnings = low_confidence_warning(lines)
        if not text.strip():
            raise ExtractError(ErrorCode.E007_PDF_NO_TEXT, NO_TEXT_RECOGNISED)
        if scanned:
            numbers = "、".join(str(n) for n in sorted(recognised))
            warnings.insert(
                0, f"第 {numbers} 页是扫描页，文字由识别得来，请核对（pages recognised by OCR）"
            )
    elif not text.strip():
        raise ExtractError(ErrorCode.E007_PDF_NO_TEXT, NO_TEXT_LAYER)
    if skipped:
        numbers = "、".join(str(n) for n in skipped)
        warnings.append(
            f"第 {numbers} 页没有文字层，服务器未安装文字识别组件，这些页未读取"
            "（pages without text skipped: OCR is not installed）"
        )
    return SourceText(
        text=text,
        encoding="ocr" if recognised and scanned is None else "pdf",
        format="pdf",
        path=path,
        warnings=warnings,
        pages=pages,
        ocr_lines=lines,
        ocr_pages=[recognised[n].geometry() for n in sorted(recognised)],
    )


# --------------------------------------------------------------------------- .doc / .wps


def office_command() -> str | None:
    """The LibreOffice program on PATH (``soffice``, or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, *, suffix: str = ".doc", timeout: float = OFFICE_TIMEOUT) -> bytes:
    """Convert an old Word/WPS file to .docx with LibreOffice in headless mode.

    Each call gets a private user profile in a temporary directory: LibreOffice refuses a
    second instance on a shared profile, and a profile left by a crash must not break the
    next upload. The process runs in its own session so a timeout kills the whole tree
    (``soffice`` starts ``soffice.bin`` as a child).
    """
    office = office_command()
    if office is None:
        raise _err(
            ErrorCode.E017_NO_OFFICE,
            f"服务器未安装 LibreOffice，无法读取 {suffix} 文件；请管理员安装"
            f"（{OFFICE_INSTALL_HINT}），或将文件另存为 .docx 后再导入",
            f"LibreOffice is not installed: {OFFICE_INSTALL_HINT}",
        )
    with tempfile.TemporaryDirectory(prefix="duban-office-") as tmp:
        work = Path(tmp)
        src = work / f"input{suffix}"
        src.write_bytes(data)
        out = work / "out"
        cmd = [
            office,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out),
            str(src),
        ]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "HOME": tmp},
        )
        try:
            proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise _err(
                ErrorCode.E018_OFFICE_FAILED,
                f"{suffix} 文件转换超时（超过 {timeout:g} 秒），请另存为 .docx 后再导入",
                "LibreOffice conversion timed out",
            ) from exc
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        result = out / "input.docx"
        if proc.returncode != 0 or not result.is_file():
            raise _err(
                ErrorCode.E018_OFFICE_FAILED,
                f"{suffix} 文件无法转换（可能已加密或损坏），请去掉密码并另存为 .docx 后再导入",
                "LibreOffice could not convert the file",
            )
        return result.read_bytes()


def _read_office(data: bytes, suffix: str, path: str, max_bytes: int) -> SourceText:
    converted = convert_to_docx(data, suffix=suffix)
    try:
        src = _read_docx(converted, path, max_bytes)
    except ExtractError as exc:
        if exc.code == ErrorCode.E001_EMPTY:
            raise _err(ErrorCode.E001_EMPTY, f"{suffix} 文件中没有文字", "no text") from exc
        raise
    fmt = suffix.lstrip(".")
    return SourceText(text=src.text, encoding=fmt, format=fmt, path=path, warnings=src.warnings)


# --------------------------------------------------------------------------- .html

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)

_DROP_TAGS = [
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
    "button", "select", "input", "textarea", "svg", "canvas", "template", "object", "embed",
    "menu", "link", "meta",
]  # fmt: skip

# Class/id words that mark page furniture on Chinese government and news sites.
_FURNITURE_SUBSTR = re.compile(
    r"share|bdshare|jiathis|breadcrumb|crumb|navbar|menu|copyright|sidebar|toolbar|"
    r"fontsize|font-size|qrcode|erweima|ewm|related|comment|login|search|advert|banner|"
    r"footer|header|topbar|position|location|pagebar",
    re.I,
)
_FURNITURE_WORDS = {"nav", "ad", "ads", "foot", "head", "top", "side", "tools", "print", "dy"}

# Lines that are controls rather than text: share/print/close/font-size widgets.
_FURNITURE_LINE = re.compile(
    r"^[【\[]?\s*(字号|字体)\s*[:：].{0,20}$|^分享到?\s*[:：]?.{0,30}$|^[【\[]?(打印本页|打印|关闭窗口|关闭|"
    r"收藏|返回顶部|返回|我要纠错|扫一扫)[】\]]?$"
)

_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "center", "main", "td", "th",
    "tbody", "hr",
}  # fmt: skip


def _html_decode(data: bytes) -> tuple[str, str, list[str]]:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(enc.removesuffix("-sig"), errors="replace"), enc, []
    m = _META_CHARSET.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii").lower()
        # Sites that declare gb2312 often use characters outside it; gb18030 is the superset.
        enc = "gb18030" if declared in ("gb2312", "gbk", "gb18030", "x-gbk") else declared
        try:
            return data.decode(enc, errors="strict"), enc, []
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return decode_bytes(data)
    except ExtractError:
        text = data.decode("utf-8", errors="replace")
        return text, "utf-8", ["网页编码无法确定，部分文字可能显示为乱码（encoding uncertain）"]


_CJK = re.compile("[\u4e00-\u9fff]")


def _count_cjk(text: str) -> int:
    return len(_CJK.findall(text))


def _read_html(data: bytes, path: str) -> SourceText:
    from bs4 import BeautifulSoup, Comment, Tag

    html, enc, warnings = _html_decode(data)
    try:
        soup = BeautifulSoup(html, "lxml")
    except Exception as exc:
        raise _err(ErrorCode.E013_BAD_HTML, "网页无法解析", "unparseable HTML") from exc

    title = _html_title(soup)

    # One walk with plain checks: bs4's find_all() filters cost ~10x more on big pages.
    drop_tags = set(_DROP_TAGS)
    doomed = [
        node
        for node in soup.descendants
        if isinstance(node, Comment) or (isinstance(node, Tag) and node.name in drop_tags)
    ]
    for node in doomed:
        node.extract()
    root = soup.body or soup
    total = _count_cjk(root.get_text())
    # Decide on the intact tree, then remove. descendants come in document order, so a
    # parent is seen before its children and everything inside removed furniture is skipped.
    # (bs4's Tag.decomposed searches the whole subtree on each call: too slow to use here.)
    gone: set[int] = set()
    furniture_tags = []
    for tag in [t for t in root.descendants if isinstance(t, Tag)]:
        if id(tag.parent) in gone:
            gone.add(id(tag))
            continue
        if _is_furniture(tag) and _count_cjk(tag.get_text()) < 0.5 * total:
            # (a wrapper named "header-and-content" must not take the article with it)
            gone.add(id(tag))
            furniture_tags.append(tag)
    for tag in furniture_tags:
        tag.decompose()

    body = _article_element(root)
    lines = _block_lines(body, _BLOCK_TAGS)
    lines = [ln for ln in lines if not _FURNITURE_LINE.match(ln)]
    if title and not any(title in ln for ln in lines[:5]):
        lines.insert(0, title)
    text = "\n".join(lines)
    if _count_cjk(text) < 10:
        raise _err(
            ErrorCode.E013_BAD_HTML,
            "网页中没有找到正文，请另存为“网页，仅HTML”或复制正文为 .txt",
            "no article text found in the HTML page",
        )
    return SourceText(text=text, encoding=enc, format="html", path=path, warnings=warnings)


def _is_furniture(tag) -> bool:  # type: ignore[no-untyped-def]
    style = (tag.get("style") or "").replace(" ", "").lower()
    if "display:none" in style:
        return True
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = [classes]
    words = " ".join([*classes, tag.get("id") or ""]).strip()
    if not words:
        return False
    return bool(_FURNITURE_SUBSTR.search(words)) or any(
        w.lower() in _FURNITURE_WORDS for w in re.split(r"[\s_\-]+", words)
    )


def _html_title(soup) -> str:  # type: ignore[no-untyped-def]
    # Chinese government sites (the national template) carry the headline in this meta tag.
    for name in ("ArticleTitle", "articletitle", "title"):
        meta = soup.find("meta", attrs={"name": name})
        if meta and meta.get("content", "").strip():
            return meta["content"].strip()
    h1 = soup.find("h1")
    if h1 and h1.get_text(strip=True):
        return h1.get_text(" ", strip=True)
    if soup.title and soup.title.string:
        # "报告标题_某某省人民政府网站" → keep the part before the site name
        return re.split(r"\s*[_|｜]\s*|\s+-\s+", soup.title.string.strip())[0]
    return ""


def _article_element(root):  # type: ignore[no-untyped-def]
    """The deepest element that holds most of the page's non-link Chinese text.

    Link text is not counted, so lists of related articles and menus that survived the
    furniture filter do not pull the choice towards them.
    """
    from bs4 import NavigableString, Tag

    # Post-order without recursion: saved pages can nest thousands of elements deep.
    scores: dict[int, int] = {}
    stack: list = [(root, False)]
    while stack:
        el, children_done = stack.pop()
        if not children_done:
            stack.append((el, True))
            stack.extend((c, False) for c in el.children if isinstance(c, Tag))
            continue
        n = 0
        for child in el.children:
            if isinstance(child, Tag):
                if child.name != "a":
                    n += scores[id(child)]
            elif isinstance(child, NavigableString):
                n += _count_cjk(child)
        scores[id(el)] = n

    total = scores[id(root)]
    if total == 0:
        return root
    best = root
    while True:
        nxt = None
        for child in best.children:
            if isinstance(child, Tag) and scores.get(id(child), 0) >= 0.7 * total:
                nxt = child
                break
        if nxt is None:
            return best
        best = nxt


def _block_lines(el, block_tags: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Text of ``el`` with a line break at every block element, whitespace collapsed."""
    from bs4 import NavigableString, Tag

    parts: list[str] = []
    # Depth-first without recursion (deeply nested pages); a block adds a break on each side.
    stack: list = [(iter(el.children), False)]
    while stack:
        children, is_block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if is_block:
                parts.append("\n")
            continue
        if isinstance(child, Tag):
            block = child.name in block_tags
            if block:
                parts.append("\n")
            stack.append((iter(child.children), block))
        elif isinstance(child, NavigableString):
            parts.append(str(child))
    raw = "".join(parts)
    lines = []
    for line in raw.split("\n"):
        # collapse runs of ASCII whitespace, keep the ideographic space used for indentation inside
        line = re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip(" \u3000")
        if line:
            lines.append(line)
    return lines
