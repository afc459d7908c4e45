"""Draw page images of our own text, as a scanner or a phone would deliver them.

The OCR tests and the benchmark recognise these: text set in the GB/T 9704 manner
(3号 type, 28 characters a line, paragraphs indented by two characters) with the CJK font
the PDFs use, so that what is read back can be compared with what was drawn.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

# A fictional city's report, written for these tests; wrapped into lines by wrap().
PARAGRAPHS = [
    "一、二〇二七年重点任务",
    "（一）扩大有效投资。全年实施市级重点项目二百一十个，六月底前开工建设滨河新区综合管廊二期工程。",
    "（二）提升民生保障。新增城镇就业二万二千人，年底前建成社区养老服务站四十五个。",
]


def wrap(paragraphs: list[str], per_line: int = 28) -> list[tuple[str, bool]]:
    """Lines of at most ``per_line`` characters; the flag marks a paragraph's first line."""
    lines: list[tuple[str, bool]] = []
    for para in paragraphs:
        rest, first = para, True
        while rest:
            room = per_line - 2 if first else per_line
            lines.append((rest[:room], first))
            rest, first = rest[room:], False
    return lines


def render_page(
    paragraphs: list[str],
    *,
    dpi: int = 300,
    per_line: int = 28,
    margin_mm: float = 20.0,
    height_mm: float | None = None,
) -> Image.Image:
    """A white page with ``paragraphs`` set in 3号 type at ``dpi`` (greyscale, as scanned).

    The page is as wide as a GB/T 9704 text block plus ``margin_mm`` each side; as tall as
    ``height_mm``, or just tall enough for the lines (tests keep pages small to stay fast).
    """

    def px(mm: float) -> int:
        return round(mm / 25.4 * dpi)

    size = round(16 / 72 * dpi)  # 三号: 16 pt
    pitch = 28.95 / 72 * dpi  # 22 lines to the page
    lines = wrap(paragraphs, per_line)
    width = px(156 * per_line / 28 + 2 * margin_mm)
    height = px(height_mm) if height_mm else round(px(2 * margin_mm) + pitch * len(lines))
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), size)
    y = px(margin_mm)
    for text, first in lines:
        draw.text((px(margin_mm) + (2 * size if first else 0), y), text, font=font, fill=0)
        y += pitch
    return page
