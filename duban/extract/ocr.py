"""Read scans and photos: optical character recognition of page images.

A 批示件 arrives as a phone photo, a county's report as a scanned PDF without a text layer.
This module turns such page images into the same :class:`SourceText` the other readers
return, plus one :class:`OcrLine` per recognised line (its page, its box in the page image,
its place in the text) so that a review page can show the region a proposal came from.

The recogniser is RapidOCR (PaddleOCR's PP-OCRv6 detection and recognition models and the
PP-OCR direction classifier, run by ONNX Runtime). The three models ship inside the
``rapidocr`` wheel and are loaded by explicit path: nothing is downloaded at run time.
``docs/architecture.md`` says why this engine and not Tesseract.

Each page goes through the same steps:

1. *orient*: text detection on a small copy of the page; boxes taller than wide mean the
   page lies on its side (90°/270°); the direction classifier, asked about the widest lines,
   tells upright from upside down (0°/180°);
2. *deskew*: the median slope of the detected lines (a scan fed in at 1–3°) is rotated away;
3. *recognise* the upright page, line by line, top to bottom;
4. *join* the lines into paragraphs by their geometry: a line that reaches the right edge of
   the text block and is followed by one that is not indented continues its paragraph.

Everything hostile is bounded before it is decoded: the pixel count of each image against
:data:`OCR_MAX_PIXELS` (a decompression bomb declares billions), the number of pages against
:data:`OCR_MAX_PAGES`; a truncated or corrupt image is a one-line :class:`ExtractError`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import re
import statistics
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.source import OcrGeometry, OcrLine, SourcePage, SourceText, _err

if TYPE_CHECKING:
    from PIL import Image as PILImage

# About 2–3 s a page on two cores: 50 pages is two minutes of a worker's time. A longer
# scan is better asked for as a Word or text file than read for ten minutes.
OCR_MAX_PAGES = 50
# An A4 page at 300 dpi is 8.7 million pixels, a 48-megapixel phone photo 48 million.
# A decompression bomb declares far more; it is refused before its pixels are decoded.
OCR_MAX_PIXELS = 64_000_000
# Resolution at which a scanned PDF's pages are drawn for recognition.
OCR_DPI = 300
# Recognition works on the page scaled to at most this many pixels on its long side
# (an A4 page at about 170 dpi: 3号 characters are 37 pixels high, plenty for the model).
OCR_MAX_SIDE = 2000
# Orientation is judged on a copy this small: detection there takes a third of the time.
_ORIENT_SIDE = 1000
_DET_SIDE = 1280
# A text line is at most this share of the page's long side (the red header's 小初 type: 3%).
_MAX_LINE_HEIGHT = 0.12
# Skew below this many degrees is left alone (rotating costs time and blurs a little);
# above _MAX_SKEW the page is not a skewed scan but a photo of something else.
_MIN_SKEW = 0.3
_MAX_SKEW = 10.0

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
HEIC_EXTENSIONS = {".heic", ".heif"}
OCR_INSTALL_HINT = "pip install rapidocr onnxruntime"

# The models inside the rapidocr wheel, by role.
_MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}

Progress = Callable[[int, int], None]


@dataclass
class OcrPage:
    """One recognised page: its upright image's size, how it was turned, its lines.

    The upright image is the page scaled to at most :data:`OCR_MAX_SIDE` pixels on its
    long side (an A4 scan: about 1414 × 2000, 170 dpi), turned and straightened.
    """

    number: int
    width: int
    height: int
    # Degrees the page was turned counter-clockwise to stand upright (0, 90, 180, 270),
    # and the small skew then rotated away; line boxes refer to the upright image.
    rotation: int = 0
    skew: float = 0.0
    lines: list[OcrLine] = field(default_factory=list)
    # The upright page image, kept only when asked for (a page is 9 MB in memory).
    image: PILImage.Image | None = None

    def geometry(self) -> OcrGeometry:
        """What it takes to draw the upright image again (:func:`upright_page`)."""
        return OcrGeometry(self.number, self.width, self.height, self.rotation, self.skew)


# --------------------------------------------------------------------------- the engine

_engine: Any = None
_engine_lock = threading.Lock()


def ocr_available() -> bool:
    """True when the recogniser and its models are installed."""
    try:
        _model_paths()
    except ExtractError:
        return False
    return True


def _model_paths() -> dict[str, Path]:
    try:
        import rapidocr

        if importlib.util.find_spec("onnxruntime") is None:  # rapidocr does not require it
            raise ImportError("onnxruntime")
    except ImportError as exc:
        raise _err(
            ErrorCode.E021_NO_OCR,
            f"服务器未安装文字识别组件，无法读取扫描件和照片；请管理员安装（{OCR_INSTALL_HINT}）",
            f"OCR is not installed: {OCR_INSTALL_HINT}",
        ) from exc
    folder = Path(rapidocr.__file__).parent / "models"
    paths = {role: folder / name for role, name in _MODELS.items()}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        # Never fall back to RapidOCR's own download: the server may have no network, and
        # a model fetched at run time is a model nobody reviewed.
        raise _err(
            ErrorCode.E021_NO_OCR,
            f"文字识别模型缺失（{', '.join(missing)}），请管理员重新安装 rapidocr",
            "OCR model files are missing; reinstall rapidocr",
        )
    return paths


def _get_engine() -> Any:
    """The process's one recogniser, loaded on first use (about half a second)."""
    global _engine
    if _engine is None:
        paths = _model_paths()
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.max_side_len": OCR_MAX_SIDE,
            # Detection on the page scaled to 1280 pixels finds 3号 lines as well as on the
            # 2000-pixel page, in half the time; recognition still cuts lines from the latter.
            "Det.limit_type": "max",
            "Det.limit_side_len": _DET_SIDE,
            # 0.5 by default drops a lone page number 「— 1 —」 in a serif face; 0.35 keeps
            # it and adds no false lines on noisy scans (benchmarks/ocr_bench.py).
            "Det.box_thresh": 0.35,
        }
        for role, path in paths.items():
            params[f"{role}.model_path"] = str(path)
        _engine = RapidOCR(params=params)
    return _engine


# --------------------------------------------------------------------------- opening images


def _bad_image(zh: str, en: str) -> ExtractError:
    return _err(ErrorCode.E019_BAD_IMAGE, zh, en)


def open_images(data: bytes, *, suffix: str = "") -> Iterator[PILImage.Image]:
    """The pages of an image file (a TIFF may hold several), upright by their EXIF tag.

    Raises :class:`ExtractError` for HEIC, for anything Pillow cannot read, for an image
    whose declared size is a decompression bomb, and past :data:`OCR_MAX_PAGES` frames.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if suffix in HEIC_EXTENSIONS or data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise _bad_image(
            "暂不支持 HEIC 格式的照片；请在手机上将照片导出为 JPEG（“兼容性最佳”）后再上传",
            "HEIC is not supported; export the photo as JPEG",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb() from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise _bad_image(
            "图片无法识别，文件可能已损坏或不是图片；请重新扫描或导出为 JPEG/PNG",
            "not a readable image",
        ) from exc
    frames = getattr(img, "n_frames", 1)
    if frames > OCR_MAX_PAGES:
        raise _too_many_pages(frames)
    for index in range(frames):
        try:
            img.seek(index)
            width, height = img.size
            if width * height > OCR_MAX_PIXELS:
                raise _bomb()
            with _strict_decoding():
                page = ImageOps.exif_transpose(img.convert("RGB") if img.mode != "RGB" else img)
                page.load()
        except ExtractError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
            raise _bad_image(
                "图片不完整或已损坏（可能传输中断），请重新扫描或导出后再上传",
                "truncated or corrupt image",
            ) from exc
        yield page


_STRICT = threading.Lock()


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    """Decode with Pillow refusing truncated data, whatever the process set globally.

    Why: WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` when it is imported (the
    bulletins import it), after which Pillow pads a half-received photo with grey and
    the OCR would read half a page without a word. The flag is module-global, so it is
    set back under a lock for the few milliseconds a page takes to decode.
    """
    from PIL import ImageFile

    with _STRICT:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _bomb() -> ExtractError:
    return _err(
        ErrorCode.E008_ZIP_BOMB,
        f"图片尺寸异常（超过 {OCR_MAX_PIXELS // 1_000_000} 百万像素），已拒绝",
        "image too large: decompression bomb suspected",
    )


def _too_many_pages(pages: int) -> ExtractError:
    return _err(
        ErrorCode.E020_TOO_MANY_PAGES,
        f"扫描件共 {pages} 页，超过文字识别上限 {OCR_MAX_PAGES} 页；请分成几个文件上传，或索取 Word 版",
        f"too many pages to OCR (limit {OCR_MAX_PAGES})",
    )


def render_pdf_pages(
    data: bytes, numbers: list[int] | None = None, *, dpi: int = OCR_DPI
) -> Iterator[tuple[int, PILImage.Image]]:
    """Draw a PDF's pages (1-based ``numbers``, default all) as images for recognition.

    Only pages that hold an image are drawn (an empty page has nothing to recognise). Each
    embedded image's declared size is checked against :data:`OCR_MAX_PIXELS` before
    drawing decodes it. A page is drawn at ``dpi`` or smaller, so that its long side is at
    most :data:`OCR_MAX_SIDE` pixels (the size recognition works at).
    """
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _err(
            ErrorCode.E006_BAD_PDF, "PDF 文件已损坏或无法读取，请重新导出后再导入", "unreadable PDF"
        ) from exc
    try:
        total = len(pdf)
        wanted = [n for n in (numbers or range(1, total + 1)) if 1 <= n <= total]
        if len(wanted) > OCR_MAX_PAGES:
            raise _too_many_pages(len(wanted))
        for number in wanted:
            page = pdf[number - 1]
            try:
                images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3))
                if not images:
                    continue
                for obj in images:
                    width, height = obj.get_px_size()
                    if width * height > OCR_MAX_PIXELS:
                        raise _bomb()
                # Drawn no larger than recognition uses: a huge declared page size costs
                # nothing, and an A4 page is drawn at about 170 dpi rather than scaled later.
                w_pt, h_pt = page.get_size()
                scale = min(dpi / 72, OCR_MAX_SIDE / max(w_pt, h_pt, 1.0))
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil().convert("RGB")
            finally:
                page.close()
            yield number, image
    finally:
        pdf.close()


def recognize_pdf(
    data: bytes, numbers: list[int] | None = None, *, progress: Progress | None = None
) -> dict[int, OcrPage]:
    """Recognise the PDF pages ``numbers`` (default all) that hold images, by page number."""
    _model_paths()
    total = len(numbers) if numbers is not None else 0
    pages = recognize_images(render_pdf_pages(data, numbers), progress=progress, total=total)
    return {page.number: page for page in pages}


# --------------------------------------------------------------------------- recognition


def recognize_page(image: PILImage.Image, number: int = 1, *, keep_image: bool = False) -> OcrPage:
    """Orient, deskew and recognise one page image; line boxes refer to the upright image.

    A page larger than :data:`OCR_MAX_SIDE` pixels on its long side is scaled down first;
    the upright image (``OcrPage.width`` × ``height``, kept with ``keep_image``) is that size.
    """
    import numpy as np

    image = _working_size(image)
    with _engine_lock:  # RapidOCR keeps per-call switches on the instance
        engine = _get_engine()
        rotation, boxes = _orientation(engine, image)
        skew = round(_skew(boxes), 2)
        image = _turn(image, rotation, skew)
        # The page is upright now: the direction classifier has nothing left to turn.
        result = engine(np.asarray(image), use_det=True, use_cls=False, use_rec=True)
    page = OcrPage(
        number=number,
        width=image.width,
        height=image.height,
        rotation=rotation,
        skew=skew,
        image=image if keep_image else None,
    )
    if result.boxes is None or result.txts is None:
        return page
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
        text = _mend(text.strip())
        if not text:
            continue
        xs, ys = quad[:, 0], quad[:, 1]
        box = (int(xs.min()), int(ys.min()), math.ceil(xs.max()), math.ceil(ys.max()))
        if box[3] - box[1] > _MAX_LINE_HEIGHT * max(image.size):
            continue  # a photo, a seal or a shaded block read as one giant "character"
        page.lines.append(OcrLine(text=text, page=number, box=box, score=round(float(score), 3)))
    page.lines = _reading_order(page.lines)
    _mend_page_number(page)
    return page


def _working_size(image: PILImage.Image) -> PILImage.Image:
    """The page in RGB, scaled to at most :data:`OCR_MAX_SIDE` pixels on its long side:
    the size recognition uses, and turning a 300 dpi page costs four times as much."""
    from PIL import Image

    if image.mode != "RGB":
        image = image.convert("RGB")
    factor = OCR_MAX_SIDE / max(image.size)
    if factor < 1:
        size = (round(image.width * factor), round(image.height * factor))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return image


def _turn(image: PILImage.Image, rotation: int, skew: float) -> PILImage.Image:
    """Turn the page by quarter turns, then straighten its lines by ``skew`` degrees."""
    from PIL import Image

    if rotation:
        image = image.rotate(rotation, expand=True)
    if skew:
        image = image.rotate(
            skew, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255)
        )
    return image


def upright_page(data: bytes, *, suffix: str, page: OcrGeometry) -> PILImage.Image:
    """The page image the recognition of ``data`` worked on, made again from the original.

    Line boxes (:class:`OcrLine`) are in this image's pixels: a review page crops the
    region a proposal came from without anyone storing page images. Deterministic: the
    same scaling and turns as :func:`recognize_page`, from the stored ``page`` geometry.
    """
    if suffix == ".pdf" or data[:5] == b"%PDF-":
        images = [image for _number, image in render_pdf_pages(data, [page.number])]
    else:
        images = [
            image for i, image in enumerate(open_images(data, suffix=suffix), 1) if i == page.number
        ]
    if not images:
        raise _bad_image(f"原件中没有第 {page.number} 页", f"no page {page.number} in the file")
    return _turn(_working_size(images[0]), page.rotation, page.skew)


def _mend_page_number(page: OcrPage) -> None:
    """The last line, at the foot of the page and only a number between dashes (or with
    its dashes lost), is the page number GB/T 9704 prints as 「— 3 —」: it is written so.

    Only there: elsewhere 「-2」 may be a table's negative growth rate."""
    if not page.lines:
        return
    last = page.lines[-1]
    number = _PAGE_NUMBER.match(last.text)
    digits = number.group(1) or number.group(2) if number else None
    if digits is None and last.text.isdigit() and len(last.text) <= 4:
        digits = last.text
    if digits is not None and last.box[1] > 0.85 * page.height:
        page.lines[-1] = OcrLine(
            text=f"— {digits} —", page=last.page, box=last.box, score=last.score
        )


# A bracket pair of mixed widths, 「(一）」, is a misread: print never mixes them.
_MIXED_OPEN = re.compile(r"\(([^()（）\n]{0,40})）")
_MIXED_CLOSE = re.compile(r"（([^()（）\n]{0,40})\)")


# A page number as GB/T 9704 prints it, 「— 1 —」, read with hyphens, tildes, or one dash lost.
_DASH = "-－—–~～一"
_PAGE_NUMBER = re.compile(
    f"^(?:[{_DASH}]\\s*(\\d{{1,4}})\\s*[{_DASH}]?|[{_DASH}]?\\s*(\\d{{1,4}})\\s*[{_DASH}])$"
)
# Chinese numerals with the zero read as a circle or a letter O: 「二○二八年」.
_NUMERAL_RUN = re.compile("[一二三四五六七八九十〇○◯OＯ]{2,}")
_CIRCLES = str.maketrans("○◯OＯ", "〇〇〇〇")


def _numeral_zero(match: re.Match[str]) -> str:
    run = match.group(0)
    if any(c in "一二三四五六七八九十〇" for c in run):
        return run.translate(_CIRCLES)
    return run


def _mend(text: str) -> str:
    """Repair what the recogniser gets wrong in a way print never is: mixed-width brackets,
    and the zero of 「二〇二八」 read as a circle or a letter O."""
    text = _NUMERAL_RUN.sub(_numeral_zero, text)
    return _MIXED_CLOSE.sub(r"（\1）", _MIXED_OPEN.sub(r"（\1）", text))


def _small(image: PILImage.Image) -> tuple[Any, float]:
    import numpy as np

    scale = min(1.0, _ORIENT_SIDE / max(image.size))
    small = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    return np.asarray(small), scale


def _detect(engine: Any, image: PILImage.Image) -> tuple[Any, float]:
    """Text boxes (n × 4 × 2, in the small copy's pixels) on a small copy of ``image``."""
    arr, scale = _small(image)
    det = engine(arr, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(det, "boxes", None)
    return (boxes if boxes is not None else []), scale


def _orientation(engine: Any, image: PILImage.Image) -> tuple[int, Any]:
    """Degrees to turn ``image`` counter-clockwise so that its lines read left to right.

    Also returns the text boxes found (on a small copy, turned by 0° or 90°: a half turn
    changes no line's slope, so they serve to measure the skew).
    """
    import numpy as np

    boxes, scale = _detect(engine, image)
    if len(boxes) == 0:
        return 0, boxes
    widths = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    heights = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
    rotation = 0
    # Weigh by length, not by count: a page on its side has long tall boxes, while a page
    # number or a seal makes short boxes of either shape.
    long_tall = (heights - widths)[heights > widths].sum()
    long_wide = (widths - heights)[widths >= heights].sum()
    if long_tall > long_wide:
        rotation = 90
        image = image.rotate(90, expand=True)
        boxes, scale = _detect(engine, image)
        if len(boxes) == 0:
            return rotation, boxes
        widths = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    # Ask the direction classifier about the widest lines, cut from the full-size page.
    votes = 0
    for i in np.argsort(-widths)[:7]:
        quad = boxes[i] / scale
        x0, y0 = quad.min(axis=0)
        x1, y1 = quad.max(axis=0)
        if x1 - x0 < 2 * (y1 - y0):
            continue
        crop = np.asarray(image.crop((int(x0), int(y0), int(x1) + 1, int(y1) + 1)))
        res = engine(crop, use_det=False, use_cls=True, use_rec=False)
        for label, confidence in getattr(res, "cls_res", None) or []:
            if confidence >= 0.6:
                votes += 1 if "180" in label else -1
    if votes > 0:
        rotation = (rotation + 180) % 360
    return rotation, boxes


def _skew(boxes: Any) -> float:
    """Degrees (counter-clockwise) that straighten the lines of ``boxes``; 0 when nearly level."""
    import numpy as np

    if len(boxes) == 0:
        return 0.0
    dx = boxes[:, 1, 0] - boxes[:, 0, 0]
    dy = boxes[:, 1, 1] - boxes[:, 0, 1]
    long = dx > 4 * np.abs(boxes[:, 3, 1] - boxes[:, 0, 1])  # lines, not stamps or digits
    if long.sum() == 0:
        return 0.0
    angles = np.degrees(np.arctan2(dy[long], dx[long]))
    skew = float(np.median(angles))
    return skew if _MIN_SKEW <= abs(skew) <= _MAX_SKEW else 0.0


def _reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom, and left to right within a row (a table's cells, a signature line)."""
    if not lines:
        return lines
    height = statistics.median(ln.box[3] - ln.box[1] for ln in lines)
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        centre = (line.box[1] + line.box[3]) / 2
        if rows:
            last = rows[-1][0]
            if abs(centre - (last.box[1] + last.box[3]) / 2) < 0.5 * height:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda ln: ln.box[0])]


# --------------------------------------------------------------------------- pages to text


def paragraphs(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Group a page's lines (in reading order) into paragraphs by their geometry.

    A line continues the paragraph above when that line reaches the text block's right
    edge, this one starts at its left edge (no first-line indent), and they are one line
    pitch apart; a heading, a centred title or an indented line starts anew.
    """
    if not lines:
        return []
    height = statistics.median(ln.box[3] - ln.box[1] for ln in lines)
    left = statistics.median_low(sorted(ln.box[0] for ln in lines)[: max(1, len(lines) // 2)])
    right = max(ln.box[2] for ln in lines)
    groups: list[list[OcrLine]] = []
    for line in lines:
        if groups:
            prev = groups[-1][-1]
            reaches_right = prev.box[2] >= right - 1.5 * height
            flush_left = line.box[0] <= left + 0.7 * height
            close = 0 < line.box[1] - prev.box[1] < 2.2 * height
            if reaches_right and flush_left and close:
                groups[-1].append(line)
                continue
        groups.append([line])
    return groups


def page_text(page: OcrPage) -> str:
    """The page's text, one paragraph a line; sets each line's offsets within it."""
    pieces: list[str] = []
    pos = 0
    for group in paragraphs(page.lines):
        for i, line in enumerate(group):
            line.start, line.end = pos, pos + len(line.text)
            pieces.append(line.text)
            pos = line.end
            if i < len(group) - 1:
                # Two Latin words broken across lines keep a space between them.
                nxt = group[i + 1].text
                if line.text[-1:].isascii() and line.text[-1:].isalnum() and nxt[:1].isascii():
                    pieces.append(" ")
                    pos += 1
        pieces.append("\n")
        pos += 1
    return "".join(pieces)


def shift_lines(page: OcrPage, offset: int) -> list[OcrLine]:
    """The page's lines with offsets moved from the page's text into the whole text."""
    for line in page.lines:
        line.start += offset
        line.end += offset
    return page.lines


def low_confidence_warning(lines: list[OcrLine]) -> list[str]:
    """A warning for the clerk when many lines were read with little confidence."""
    low = [ln for ln in lines if ln.score < 0.8]
    if lines and len(low) > 0.2 * len(lines):
        return [f"扫描件有 {len(low)} 行识别把握较低，请核对数字和单位名称（low OCR confidence）"]
    return []


def no_text_error() -> ExtractError:
    return _err(
        ErrorCode.E001_EMPTY,
        "扫描件中没有识别出文字（页面可能是空白或过于模糊），请重新扫描后再上传",
        "no text recognised in the scan",
    )


def pages_to_source(pages: list[OcrPage], *, path: str, fmt: str) -> SourceText:
    """Join recognised pages into a :class:`SourceText` with page starts and line offsets.

    One paragraph a line; each :class:`OcrLine` gets ``start``/``end`` in the text, so an
    offset found by the engine leads back to a page and a box.
    """
    pieces: list[str] = []
    starts: list[SourcePage] = []
    lines: list[OcrLine] = []
    pos = 0
    for page in pages:
        starts.append(SourcePage(start=pos, number=page.number))
        text = page_text(page)
        lines.extend(shift_lines(page, pos))
        pieces.append(text)
        pos += len(text)
    text = "".join(pieces)
    if not text.strip():
        raise no_text_error()
    return SourceText(
        text=text,
        encoding="ocr",
        format=fmt,
        path=path,
        warnings=low_confidence_warning(lines),
        pages=starts,
        ocr_lines=lines,
        ocr_pages=[page.geometry() for page in pages],
    )


def recognize_images(
    images: Iterator[tuple[int, PILImage.Image]],
    *,
    progress: Progress | None = None,
    total: int = 0,
    keep_images: bool = False,
) -> list[OcrPage]:
    """Recognise each ``(page number, image)``; ``progress(done, total)`` after each page."""
    pages = []
    for done, (number, image) in enumerate(images, start=1):
        pages.append(recognize_page(image, number, keep_image=keep_images))
        if progress is not None:
            progress(done, max(total, done))
    return pages


def read_image(
    data: bytes, path: str, *, suffix: str = "", progress: Progress | None = None
) -> SourceText:
    """Recognise an image file (png, jpg, tiff, bmp, webp) into a :class:`SourceText`."""
    _model_paths()  # a missing engine is told before the image is decoded
    pages = recognize_images(
        enumerate(open_images(data, suffix=suffix), start=1),
        progress=progress,
        total=_frame_count(data),
    )
    return pages_to_source(pages, path=path, fmt="image")


def _frame_count(data: bytes) -> int:
    """How many pages an image file holds (1 unless a multi-page TIFF); 1 if unreadable."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as img:
                return int(getattr(img, "n_frames", 1))
    except Exception:
        return 1  # open_images reports what is wrong with it
