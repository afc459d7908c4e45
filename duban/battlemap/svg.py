"""Small inline-SVG charts drawn on the server: no script, no CDN, printable.

Each helper returns safe markup with ``role="img"`` and an ``aria-label`` that says the
numbers in words, so a screen reader (and a test) reads what the picture shows. Colours
come from CSS classes (``.seg-red`` …) defined in duban.css, so the wall screen can
restyle them. Every number that enters the markup is formatted here; every text is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# (segment name, CSS class) in drawing order
SEGMENT_CLASSES = {
    "closed": "seg-closed",
    "green": "seg-green",
    "yellow": "seg-yellow",
    "red": "seg-red",
    "none": "seg-none",
}


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def bar(value: float, maximum: float = 100.0, *, label: str, css: str = "seg-closed") -> SafeString:
    """One horizontal bar filled to ``value`` of ``maximum`` (a share, a count)."""
    share = 0.0 if maximum <= 0 else max(0.0, min(1.0, value / maximum))
    return format_html(
        '<svg class="chart bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" '
        'aria-label="{}"><rect class="track" x="0" y="0" width="100" height="6"/>'
        '<rect class="{}" x="0" y="0" width="{}" height="6"/></svg>',
        label,
        css,
        _n(share * 100),
    )


def stacked_bar(segments: Sequence[tuple[str, int]], *, label: str) -> SafeString:
    """A 100 % bar split into ``(segment name, count)`` parts, e.g. closed/green/yellow/red.

    Drawn with plain string joins (the numbers are ints and formatted floats; the label is
    escaped): the battle map draws one per unit, 300 on a province's page.
    """
    total = sum(n for _name, n in segments)
    parts = []
    x = 0.0
    for name, n in segments:
        if n <= 0 or total <= 0:
            continue
        width = n * 100 / total
        css = SEGMENT_CLASSES.get(name, "seg-none")
        parts.append(
            f'<rect class="{css}" x="{_n(x)}" y="0" width="{_n(width)}" height="6">'
            f"<title>{int(n)}</title></rect>"
        )
        x += width
    if not parts:
        parts.append('<rect class="track" x="0" y="0" width="100" height="6"/>')
    return mark_safe(  # safe: label escaped, the rest is numbers
        '<svg class="chart stacked" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}">{"".join(parts)}</svg>'
    )


def donut(segments: Sequence[tuple[str, int]], *, label: str, center: str = "") -> SafeString:
    """A ring of ``(segment name, count)`` arcs with a text in the middle."""
    total = sum(n for _name, n in segments)
    radius = 40.0
    circumference = 2 * 3.141592653589793 * radius
    arcs = []
    offset = 0.0
    for name, n in segments:
        if n <= 0 or total <= 0:
            continue
        length = n * circumference / total
        # stroke-dasharray draws one arc; the offset turns it to where the last one ended.
        arcs.append(
            format_html(
                '<circle class="{}" cx="50" cy="50" r="40" fill="none" stroke-width="16" '
                'stroke-dasharray="{} {}" stroke-dashoffset="{}" '
                'transform="rotate(-90 50 50)"><title>{}</title></circle>',
                SEGMENT_CLASSES.get(name, "seg-none"),
                _n(length),
                _n(circumference - length),
                _n(-offset),
                n,
            )
        )
        offset += length
    return format_html(
        '<svg class="chart donut" viewBox="0 0 100 100" role="img" aria-label="{}">'
        '<circle class="track-ring" cx="50" cy="50" r="40" fill="none" stroke-width="16"/>'
        '{}<text x="50" y="50" text-anchor="middle" dominant-baseline="central" '
        'class="donut-center">{}</text></svg>',
        label,
        mark_safe("".join(arcs)),
        center,
    )


def trend(
    dates: Sequence[dt.date],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    label: str,
    width: int = 600,
    height: int = 160,
) -> SafeString:
    """Lines over time: ``series`` is ``(segment name, values per date)``; x by real date."""
    pad_left, pad_bottom, pad_top = 34, 20, 8
    inner_w, inner_h = width - pad_left - 6, height - pad_bottom - pad_top
    top = max([1, *(v for _n, values in series for v in values)])
    first, last = (dates[0], dates[-1]) if dates else (None, None)
    days = max(1, (last - first).days) if first and last else 1

    def x(d: dt.date) -> float:
        if len(dates) == 1 or first is None:
            return pad_left + inner_w / 2
        return pad_left + (d - first).days * inner_w / days

    def y(v: float) -> float:
        return pad_top + inner_h - v * inner_h / top

    parts = [
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="tick" x="{}" y="{}" text-anchor="end">0</text>',
            pad_left,
            _n(y(0)),
            width - 6,
            _n(y(0)),
            pad_left - 4,
            _n(y(top) + 4),
            top,
            pad_left - 4,
            _n(y(0)),
        )
    ]
    for name, values in series:
        points = " ".join(f"{_n(x(d))},{_n(y(v))}" for d, v in zip(dates, values, strict=True))
        css = SEGMENT_CLASSES.get(name, "seg-none")
        if len(dates) == 1:
            parts.append(
                format_html(
                    '<circle class="dot {}" cx="{}" cy="{}" r="4"/>',
                    css,
                    _n(x(dates[0])),
                    _n(y(values[0])),
                )
            )
        else:
            parts.append(format_html('<polyline class="line {}" points="{}"/>', css, points))
    if first and last:
        parts.append(
            format_html(
                '<text class="tick" x="{}" y="{}">{}</text>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                pad_left,
                height - 4,
                first.isoformat(),
                width - 6,
                height - 4,
                last.isoformat() if last != first else "",
            )
        )
    return format_html(
        '<svg class="chart trend" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        width,
        height,
        label,
        mark_safe("".join(str(p) for p in parts)),
    )


__all__ = ["bar", "donut", "stacked_bar", "trend"]
