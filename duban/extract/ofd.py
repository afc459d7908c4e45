"""OFD documents (GB/T 33190), read from the standard's zip and XML structure.

A page without text that draws an image (a scan exported to OFD) is recognised by
:mod:`duban.extract.ocr`, from the image file the page's ``ImageObject`` names; its lines
and geometry are kept like a scanned PDF's, so a review page cuts a proposal's region out
of the image again (:func:`upright_scan`). A page whose image is missing or broken, or that
cannot be recognised, is skipped with a warning the clerk sees, naming the page.

Why our own reader, and its guards: docs/architecture.md, "Reading OFD and old Word files".
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.ocr import page_text, shift_lines
from duban.extract.source import (
    _CONTROL,
    DEFAULT_MAX_BYTES,
    PDF_MAX_PAGES,
    OcrGeometry,
    OcrLine,
    SourcePage,
    SourceText,
    _check_zip,
    _err,
)

if TYPE_CHECKING:
    from duban.extract.ocr import OcrPage

# OFD: the same page limit as PDF, and a bound on DocBody entries (a real file has one,
# rarely a few; each costs a Document.xml parse).
OFD_MAX_PAGES = PDF_MAX_PAGES
OFD_MAX_DOCUMENTS = 100


# --------------------------------------------------------------------------- .ofd

OFD_NO_TEXT = (
    "此 OFD 文件没有文字（可能是扫描件），请先进行 OCR 识别或索取 Word 版"
    "（this OFD has no text; run OCR first)"
)


def _ofd_error(zh: str, en: str) -> ExtractError:
    return _err(ErrorCode.E016_BAD_OFD, zh, en)


def _ofd_corrupt() -> ExtractError:
    return _ofd_error("OFD 文件已损坏或不完整，请重新导出后再导入", "truncated or corrupt OFD")


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ofd_member_is_unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"[A-Za-z]:", name))


class _OfdPackage:
    """An opened OFD zip: safe name lookup and safe XML parsing of its members."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names: dict[str, str] = {}
        for name in zf.namelist():
            if _ofd_member_is_unsafe(name):
                raise _ofd_error(
                    f"OFD 文件包含指向压缩包外的路径（{name[:80]}），已拒绝",
                    "path outside the archive",
                )
            self.names.setdefault(name.lower(), name)

    def resolve(self, base_dir: str, loc: str) -> str | None:
        """The member that ``loc`` names, relative to ``base_dir`` or, failing that, the root.

        The standard makes paths relative to the referring file's directory and "/…" paths
        absolute in the package; some writers put root-relative paths everywhere, so both
        are tried. A path that leaves the package is refused, found or not.
        """
        loc = loc.strip().replace("\\", "/")
        if not loc:
            return None
        tries = [loc.lstrip("/")] if loc.startswith("/") else [posixpath.join(base_dir, loc), loc]
        for candidate in tries:
            norm = posixpath.normpath(candidate)
            if norm == ".." or norm.startswith(("../", "/")):
                raise _ofd_error(
                    f"OFD 文件引用了压缩包外的路径（{loc[:80]}），已拒绝",
                    "reference outside the archive",
                )
            if norm.lower() in self.names:
                return self.names[norm.lower()]
        return None

    def xml(self, name: str):  # type: ignore[no-untyped-def]
        from xml.etree.ElementTree import ParseError

        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import fromstring

        try:
            raw = self.zf.read(name)  # size already bounded by _check_zip
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
            raise _ofd_corrupt() from exc
        try:
            return fromstring(raw, forbid_dtd=True)
        except DefusedXmlException as exc:
            # OFD writers never emit a DTD; one can only be an entity-expansion attack.
            raise _ofd_error(
                "OFD 文件包含不允许的内容（DTD），已拒绝", "DTD in OFD rejected"
            ) from exc
        except (ParseError, ValueError) as exc:
            raise _ofd_corrupt() from exc


def _numbers(value: str | None, n: int) -> list[float]:
    out: list[float] = []
    for part in (value or "").split()[:n]:
        try:
            out.append(float(part))
        except ValueError:
            out.append(0.0)
    return out + [0.0] * (n - len(out))


def _em_width(text: str) -> float:
    """Width of ``text`` in ems, guessed without font metrics: hanzi 1, Latin ½."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.5 for c in text)


def _ofd_page_lines(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's text lines in reading order: top to bottom, then left to right.

    Each TextCode is placed at its TextObject's Boundary origin plus its own X/Y (an absent
    X or Y carries over from the previous TextCode, as the standard says). Codes whose
    baselines lie within half a font size of each other form one line; DeltaX (glyph
    spacing) and CTM scaling change where glyphs are drawn, not the text.
    """
    runs: list[tuple[float, float, float, str]] = []
    for obj in page.iter():
        if _local(obj.tag) != "TextObject":
            continue
        bx, by = _numbers(obj.get("Boundary"), 2)
        size = _numbers(obj.get("Size"), 1)[0] or 3.5
        x = y = 0.0
        for code in obj:
            if _local(code.tag) != "TextCode":
                continue
            if code.get("X") is not None:
                x = _numbers(code.get("X"), 1)[0]
            if code.get("Y") is not None:
                y = _numbers(code.get("Y"), 1)[0]
            text = _CONTROL.sub("", (code.text or "").replace("\r", "").replace("\n", ""))
            if text:
                runs.append((by + y, bx + x, size, text))
    runs.sort(key=lambda r: (r[0], r[1]))
    lines: list[list[tuple[float, float, float, str]]] = []
    for run in runs:
        if lines and run[0] - lines[-1][0][0] <= 0.5 * max(run[2], lines[-1][0][2]):
            lines[-1].append(run)
        else:
            lines.append([run])
    out: list[str] = []
    for line in lines:
        line.sort(key=lambda r: r[1])
        parts: list[str] = []
        end = None
        for _y, x, size, text in line:
            # a gap wider than 1½ characters separates words or table cells
            if end is not None and x - end > 1.5 * size:
                parts.append(" ")
            parts.append(text)
            end = x + _em_width(text) * size
        joined = "".join(parts).strip(" ")
        if joined:
            out.append(joined)
    return out


def _media_files(pkg: _OfdPackage, document, doc_dir: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Resource ID → package member of every image the document's resources list.

    ``CommonData`` names the resource files (``PublicRes``, ``DocumentRes``); each holds
    ``MultiMedia`` entries whose ``MediaFile`` is relative to the file's ``BaseLoc``.
    """
    found: dict[str, str] = {}
    for el in document.iter():
        if _local(el.tag) not in ("PublicRes", "DocumentRes"):
            continue
        res_name = pkg.resolve(doc_dir, el.text or "")
        if res_name is None:
            continue
        res = pkg.xml(res_name)
        res_dir = posixpath.join(posixpath.dirname(res_name), res.get("BaseLoc", ""))
        for media in res.iter():
            if _local(media.tag) != "MultiMedia" or media.get("ID") is None:
                continue
            loc = next((c.text or "" for c in media if _local(c.tag) == "MediaFile"), "")
            member = pkg.resolve(res_dir, loc) or pkg.resolve(posixpath.dirname(res_name), loc)
            if member is not None:
                found[media.get("ID", "")] = member
    return found


def _page_image(page, media: dict[str, str]) -> str | None:  # type: ignore[no-untyped-def]
    """The member of the largest image the page draws, or None."""
    best, area = None, 0.0
    for obj in page.iter():
        if _local(obj.tag) != "ImageObject":
            continue
        member = media.get(obj.get("ResourceID", ""))
        _x, _y, w, h = _numbers(obj.get("Boundary"), 4)
        if member is not None and w * h >= area:
            best, area = member, w * h
    return best


def _open_package(data: bytes, max_bytes: int) -> tuple[zipfile.ZipFile, _OfdPackage]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _ofd_error(
            "这不是有效的 OFD 文件（文件已损坏或不是 OFD 格式），请重新导出后再导入",
            "not an OFD package",
        ) from exc
    try:
        _check_zip(zf, max_bytes, kind="OFD 文件", kind_en="OFD", bad=ErrorCode.E016_BAD_OFD)
        return zf, _OfdPackage(zf)
    except BaseException:
        zf.close()
        raise


@dataclass
class _OfdPage:
    """One page met while walking the package: which document and page it is, its
    content, and (read only when asked for) the images its document's resources list."""

    doc_no: int
    page_no: int
    content: Any
    media: Callable[[], dict[str, str]]


def _walk_pages(pkg: _OfdPackage, warnings: list[str]) -> Iterator[_OfdPage]:
    """Every page of every document, in order, up to :data:`OFD_MAX_PAGES`."""
    entry = pkg.resolve("", "OFD.xml")
    if entry is None:
        raise _ofd_error("这不是 OFD 文件（缺少 OFD.xml），请检查文件", "no OFD.xml")
    roots = [
        (el.text or "").strip()
        for body in pkg.xml(entry).iter()
        if _local(body.tag) == "DocBody"
        for el in body
        if _local(el.tag) == "DocRoot"
    ]
    if not any(roots):
        raise _ofd_error("OFD 文件缺少文档入口（DocRoot），请重新导出后再导入", "no DocRoot")
    if len(roots) > OFD_MAX_DOCUMENTS:
        roots = roots[:OFD_MAX_DOCUMENTS]
        warnings.append(f"OFD 文件包含的文档过多，只读取前 {OFD_MAX_DOCUMENTS} 个")
    seen = 0
    for doc_no, root in enumerate(roots, start=1):
        doc_name = pkg.resolve("", root) if root else None
        if doc_name is None:
            raise _ofd_error(
                f"OFD 文件不完整：缺少第 {doc_no} 个文档的 {root or 'Document.xml'}",
                "missing Document.xml",
            )
        doc_dir = posixpath.dirname(doc_name)
        document = pkg.xml(doc_name)
        cache: dict[str, dict[str, str]] = {}

        def media(document=document, doc_dir=doc_dir, cache=cache) -> dict[str, str]:  # type: ignore[no-untyped-def]
            if "m" not in cache:
                cache["m"] = _media_files(pkg, document, doc_dir)
            return cache["m"]

        page_no = 0
        for el in document.iter():
            if _local(el.tag) != "Page" or el.get("BaseLoc") is None:
                continue
            if seen >= OFD_MAX_PAGES:
                warnings.append(f"OFD 文件超过 {OFD_MAX_PAGES} 页，只读取前 {OFD_MAX_PAGES} 页")
                return
            page_no += 1
            seen += 1
            page_name = pkg.resolve(doc_dir, el.get("BaseLoc", ""))
            if page_name is None:
                raise _ofd_error(
                    f"OFD 文件不完整：缺少第 {doc_no} 个文档第 {page_no} 页的内容",
                    "missing page content",
                )
            yield _OfdPage(doc_no, page_no, pkg.xml(page_name), media)


def _draws_images(content) -> bool:  # type: ignore[no-untyped-def]
    return any(_local(obj.tag) == "ImageObject" for obj in content.iter())


def page_scan(data: bytes, number: int, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The image file of page ``number`` (counted through the whole file, documents one
    after the other) of an OFD whose pages are scans: what the recognition read, so that a
    review page can cut a proposal's region out of it again."""
    zf, pkg = _open_package(data, max_bytes)
    with zf:
        for sequence, page in enumerate(_walk_pages(pkg, []), start=1):
            if sequence == number:
                image = _page_image(page.content, page.media())
                if image is None:
                    break
                return _member_bytes(pkg, image)
    raise _ofd_error(f"OFD 文件中第 {number} 页没有扫描图像", f"no scanned image on page {number}")


def upright_scan(data: bytes, page: OcrGeometry) -> Any:
    """The upright image the recognition of an OFD's scanned page worked on, drawn again
    (``page.number`` counts the pages through the whole file): what
    :func:`duban.extract.ocr.upright_page` is for the other formats."""
    from duban.extract.ocr import upright_page

    single = OcrGeometry(1, page.width, page.height, page.rotation, page.skew)
    return upright_page(page_scan(data, page.number), suffix="", page=single)


def _read_ofd(
    data: bytes, path: str, max_bytes: int, *, progress: Callable[[int, int], None] | None = None
) -> SourceText:
    zf, pkg = _open_package(data, max_bytes)
    warnings: list[str] = []
    # (document number, page number, page lines)
    pages: list[tuple[int, int, list[str]]] = []
    scans: dict[int, bytes] = {}  # index in pages → the image of a page without text
    unread: dict[int, str] = {}  # index in pages → why a page with images gave no text
    with zf:
        for page in _walk_pages(pkg, warnings):
            lines = _ofd_page_lines(page.content)
            if not lines and _draws_images(page.content):
                image = _page_image(page.content, page.media())
                if image is not None:
                    scans[len(pages)] = _member_bytes(pkg, image)
                else:
                    unread[len(pages)] = "扫描图像缺失"
            pages.append((page.doc_no, page.page_no, lines))

    recognised = _recognise_scans(scans, progress, unread) if scans else {}
    # Pages follow each other on a new line, documents after a blank line; an empty page
    # adds no separator, so it starts where the next page does.
    pieces: list[str] = []
    starts: list[SourcePage] = []
    ocr_lines: list[OcrLine] = []
    pos = 0
    prev_doc = 0
    for index, (doc_no, page_no, lines) in enumerate(pages):
        body = "\n".join(lines)
        if index in recognised:
            body = page_text(recognised[index]).rstrip("\n")
        sep = ""
        if pos and body:
            sep = "\n\n" if doc_no != prev_doc else "\n"
        starts.append(SourcePage(start=pos + len(sep), number=page_no, document=doc_no))
        if index in recognised:
            # The line's page is the page's place in the whole file (index + 1), as the
            # page geometry's number: a review page draws the region from it again.
            ocr_lines.extend(shift_lines(recognised[index], pos + len(sep)))
        if body:
            pieces.append(sep + body)
            pos += len(sep) + len(body)
            prev_doc = doc_no
    text = "".join(pieces)
    if not text.strip():
        raise ExtractError(ErrorCode.E007_PDF_NO_TEXT, OFD_NO_TEXT)
    several = len({doc for doc, _page, _lines in pages}) > 1

    def label(index: int) -> str:
        doc_no, page_no, _lines = pages[index]
        return f"第 {doc_no} 个文档第 {page_no} 页" if several else f"第 {page_no} 页"

    if recognised:
        numbers = "、".join(
            label(i).removeprefix("第 ").removesuffix(" 页") for i in sorted(recognised)
        )
        warnings.append(
            f"第 {numbers} 页是扫描页，文字由识别得来，请核对（pages recognised by OCR）"
        )
    for index, why in sorted(unread.items()):
        warnings.append(
            f"{label(index)}未能读取（{why}），已跳过，请核对原件（page {index + 1} not read）"
        )
    return SourceText(
        text=text,
        encoding="ocr" if recognised and len(recognised) == len(pages) else "ofd",
        format="ofd",
        path=path,
        warnings=warnings,
        pages=starts,
        ocr_lines=ocr_lines,
        ocr_pages=[recognised[i].geometry() for i in sorted(recognised)],
    )


def _member_bytes(pkg: _OfdPackage, name: str) -> bytes:
    try:
        return pkg.zf.read(name)  # size already bounded by _check_zip
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise _ofd_corrupt() from exc


def _recognise_scans(
    scans: dict[int, bytes],
    progress: Callable[[int, int], None] | None,
    unread: dict[int, str],
) -> dict[int, OcrPage]:
    """Recognise the images of the pages without text, by their index in the file. A page
    that cannot be recognised is noted in ``unread`` (with why) instead of stopping the
    rest: its image will not decode, no text was found on it, or OCR is not installed."""
    from duban.extract.ocr import (
        OCR_MAX_PAGES,
        _too_many_pages,
        ocr_available,
        open_images,
        recognize_page,
    )

    if not ocr_available():
        for index in scans:
            unread[index] = "扫描页，服务器未安装文字识别组件"
        return {}
    if len(scans) > OCR_MAX_PAGES:
        raise _too_many_pages(len(scans))
    out: dict[int, OcrPage] = {}
    for done, (index, data) in enumerate(sorted(scans.items()), start=1):
        try:
            image = next(open_images(data))
        except ExtractError:
            unread[index] = "扫描图像已损坏"
        else:
            page = recognize_page(image, index + 1)
            if page.lines:
                out[index] = page
            else:
                unread[index] = "扫描页中没有识别出文字"
        if progress is not None:
            progress(done, len(scans))
    return out
