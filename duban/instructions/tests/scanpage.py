"""A phone photo of a 批示件 drawn for the tests: printed Chinese lines (the WQY font the
PDFs use) and a pen scribble in the top margin standing for the leader's handwriting."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TITLE = "关于外贸企业订单情况的调研报告"
LINES = [TITLE, "今年以来全市外贸企业新增订单下降，", "部分企业反映融资成本偏高。"]
# Where the scribble is, as fractions of the page: the region the office marks.
SCRIBBLE = (0.55, 0.02, 0.42, 0.22)


def scan_png() -> bytes:
    width, height = 900, 560
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 34)
    y = 190
    for line in LINES:
        draw.text((60, y), line, font=font, fill="black")
        y += 70
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
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()
