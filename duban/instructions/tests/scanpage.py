"""A phone photo of a 批示件 drawn for the tests: printed Chinese lines (the WQY font the
PDFs use) and a pen scribble in the top margin standing for the leader's handwriting; and
a two-page scan (a multi-frame TIFF or a PDF of images) whose second page holds the
scribble, as when the leader writes on the report's last page."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TITLE = "关于外贸企业订单情况的调研报告"
LINES = [TITLE, "今年以来全市外贸企业新增订单下降，", "部分企业反映融资成本偏高。"]
# Where the scribble is, as fractions of the page: the region the office marks.
SCRIBBLE = (0.55, 0.02, 0.42, 0.22)


# The second page of the two-page scan: printed words, then the scribble.
SECOND = ["二、下一步工作建议", "建议设立稳外贸专项资金。"]


def scan_page(lines: list[str], *, scribble: bool = True) -> Image.Image:
    width, height = 900, 560
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    y = 190
    for line in lines:
        draw.text((60, y), line, font=font, fill="black")
        y += 70
    if scribble:
        _scribble(draw, width, height)
    return page


def two_page_scan(fmt: str = "TIFF") -> bytes:
    """Page 1 printed only, page 2 printed with the scribble; ``TIFF`` or ``PDF``."""
    first, second = scan_page(LINES, scribble=False), scan_page(SECOND)
    out = io.BytesIO()
    first.save(out, format=fmt, save_all=True, append_images=[second], resolution=100)
    return out.getvalue()


def scan_png() -> bytes:
    out = io.BytesIO()
    scan_page(LINES).save(out, format="PNG")
    return out.getvalue()


def _scribble(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    x0, y0, w, h = SCRIBBLE
    left, top = int(x0 * width), int(y0 * height)
    points = [(left + 10 + i * 18, top + 30 + (i % 3) * 28 + (i % 2) * 15) for i in range(20)]
    draw.line(points, fill=(30, 30, 160), width=5, joint="curve")
    draw.arc(
        (left, top, left + int(w * width), top + int(h * height)),
        200,
        340,
        fill=(30, 30, 160),
        width=4,
    )
