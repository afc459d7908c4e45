"""The marked source text: every span marked exactly once, overlaps allowed, text escaped."""

from __future__ import annotations

import re

from duban.documents.highlight import Span, render_source


def marked_text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_paragraphs_and_plain_spans():
    text = "第一段。要加快建设。\n\n第二段，要严控支出。"
    html = render_source(text, [Span(1, 4, 9), Span(2, 16, 21)])
    assert html.count("<p ") == 2
    assert '<mark id="span-T1" class="span" data-tasks="1">要加快建设</mark>' in html
    assert '<mark id="span-T2" class="span" data-tasks="2">要严控支出</mark>' in html
    assert marked_text(html).replace("\n", "") == text.replace("\n", "")


def test_overlapping_and_identical_spans_share_pieces():
    text = "要大力促进消费扩容提质，办好消费节。"
    # a merged task covering two sentences, one still-separate part, and a split pair
    html = render_source(text, [Span(1, 0, 17), Span(2, 12, 17), Span(3, 0, 11)])
    assert 'id="span-T1"' in html and 'id="span-T2"' in html and 'id="span-T3"' in html
    assert 'data-tasks="1 3"' in html and 'data-tasks="1 2"' in html
    assert html.count('id="span-T') == 3
    assert marked_text(html) == text


def test_text_is_escaped_and_spans_are_clipped():
    text = "<script>alert(1)</script>要加快。"
    html = render_source(text, [Span(1, 25, 999), Span(2, 5, 5)])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'id="span-T2"' not in html  # an empty span marks nothing
