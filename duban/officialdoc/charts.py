"""Charts drawn as images for documents (the bar charts of bulletins), in the layout fonts."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from duban.officialdoc.pdf import (
    find_pdf_fonts,
)

# -- charts --------------------------------------------------------------------------


@dataclass
class BarChart:
    """A horizontal bar chart in the given order, drawn with Pillow (no plotting library).

    Bars get thinner as units are added so that the picture never grows taller than
    ``max_height_px`` (at 150 mm wide, 1500 × 2000 px is 150 × 200 mm: one page). Up to 50
    bars stay legible; callers split longer rankings into several charts.
    """

    labels: Sequence[str]
    values: Sequence[float]
    maximum: float = 100.0
    width_px: int = 1500
    row_px: int = 80
    max_height_px: int = 2000
    highlight: Sequence[bool] = field(default_factory=list)

    def png(self, font_path: Path | None = None) -> bytes:
        font_file = str(font_path or find_pdf_fonts()["body"])
        n = max(len(self.labels), 1)
        top, bottom = 20, 60
        row = min(self.row_px, (self.max_height_px - top - bottom) // n)
        size = max(12, min(40, int(row * 0.55)))
        font = ImageFont.truetype(font_file, size=size)
        small = ImageFont.truetype(font_file, size=32)
        plot_bottom = top + n * row
        img = PILImage.new("RGB", (self.width_px, plot_bottom + bottom), "white")
        draw = ImageDraw.Draw(img)
        label_w = max([draw.textlength(t, font=font) for t in self.labels] + [0.0])
        left = int(min(label_w + 30, self.width_px * 0.35))
        right = self.width_px - 140  # room for the value after the longest bar
        span = right - left
        scale = span / self.maximum if self.maximum else 0
        # Grid lines every fifth of the scale, labelled under the axis.
        for i in range(6):
            x = left + span * i / 5
            draw.line([(x, top), (x, plot_bottom)], fill=(210, 210, 210), width=2)
            label = f"{self.maximum * i / 5:g}"
            draw.text(
                (x - draw.textlength(label, font=small) / 2, plot_bottom + 12),
                label,
                fill="black",
                font=small,
            )
        highlight = list(self.highlight) + [False] * (n - len(self.highlight))
        gap = max(2, row // 6)
        for i, (label, value) in enumerate(zip(self.labels, self.values, strict=True)):
            y = top + i * row
            colour = (192, 0, 0) if highlight[i] else (31, 78, 121)
            end = left + max(value, 0) * scale
            draw.rectangle([(left, y + gap), (end, y + row - gap)], fill=colour)
            middle = y + row / 2
            draw.text((left - 15, middle), label, fill="black", font=font, anchor="rm")
            draw.text((end + 10, middle), f"{value:g}", fill="black", font=font, anchor="lm")
        draw.line([(left, top), (left, plot_bottom)], fill="black", width=3)
        out = io.BytesIO()
        # Few colours: a palette PNG encodes several times faster than an RGB one.
        palette = img.quantize(colors=64, method=PILImage.Quantize.FASTOCTREE)
        palette.save(out, format="PNG", dpi=(300, 300))
        return out.getvalue()
