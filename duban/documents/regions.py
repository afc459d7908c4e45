"""Where on a scanned page a proposal came from: the region the review page shows.

A scan's recognised lines are kept with the document (``metadata["ocr"]``: each line's
page, box and text; each page's geometry). A proposal's text is found among the lines by
its characters (whitespace and punctuation widths aside, as the engine normalises them),
and the boxes of the lines it spans on its first page make the region. The page image is
drawn again from the stored original (``duban.extract.ocr.upright_page``), never stored.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from duban.extract.normalize import _convert_punct
from duban.extract.source import OcrGeometry

_SPACE = re.compile(r"\s+")
# Enough characters to place a proposal, few enough to survive a misread further on.
_ANCHOR = 12
_PAD = 12  # pixels around the lines, so that no stroke is cut


@dataclass(frozen=True)
class Region:
    page: int
    box: tuple[int, int, int, int]


def _canon(text: str) -> str:
    return _SPACE.sub("", _convert_punct(text))


def find_region(ocr: dict[str, Any] | None, text: str) -> Region | None:
    """The region of the lines holding ``text``, or None (not a scan, or not found)."""
    if not ocr or not ocr.get("lines") or not text:
        return None
    needle = _canon(text)
    joined: list[str] = []
    owner: list[int] = []  # the line index of each character of the joined text
    for i, line in enumerate(ocr["lines"]):
        canon = _canon(line[-1])
        joined.append(canon)
        owner.extend([i] * len(canon))
    haystack = "".join(joined)
    start = haystack.find(needle[:_ANCHOR])
    if start < 0:
        return None
    end = haystack.find(needle[-_ANCHOR:], start)
    end = end + min(_ANCHOR, len(needle)) if end >= 0 else start + len(needle)
    indexes = sorted(set(owner[start : min(end, len(owner))]))
    lines = [ocr["lines"][i] for i in indexes]
    page = lines[0][0]
    boxes = [line[1:5] for line in lines if line[0] == page]
    geometry = next((p for p in ocr.get("pages", []) if p["number"] == page), None)
    if geometry is None:
        return None  # a page that cannot be drawn again (an OFD's image): no region to show
    width, height = geometry["width"], geometry["height"]
    return Region(
        page=page,
        box=(
            max(0, min(b[0] for b in boxes) - _PAD),
            max(0, min(b[1] for b in boxes) - _PAD),
            min(width, max(b[2] for b in boxes) + _PAD),
            min(height, max(b[3] for b in boxes) + _PAD),
        ),
    )


def region_png(original: bytes, *, suffix: str, ocr: dict[str, Any], region: Region) -> bytes:
    """The region cut from the upright page, drawn again from the original file, as PNG."""
    from duban.extract.ocr import upright_page
    from duban.extract.ofd import upright_scan

    geometry = OcrGeometry(**next(p for p in ocr["pages"] if p["number"] == region.page))
    if suffix == ".ofd" or original[:4] == b"PK\x03\x04":
        page = upright_scan(original, geometry)  # an OFD's scanned page
    else:
        page = upright_page(original, suffix=suffix, page=geometry)
    buffer = io.BytesIO()
    page.crop(region.box).convert("L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
