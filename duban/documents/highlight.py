"""The source text of the review page, paragraph by paragraph, with task spans marked.

Spans may overlap (a split task's parts share one span; a merged task covers its
neighbours), so the text is cut at every span boundary and each piece that some task
covers becomes one ``<mark>`` listing all of them in ``data-tasks``. The first piece of
each task carries ``id="span-T<pk>"`` so a proposal can link to it; when two tasks start
on the same piece, the second gets an empty anchor mark of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Span:
    task_id: int
    start: int
    end: int


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def render_source(text: str, spans: Iterable[Span]) -> SafeString:
    """``text`` as ``<p>`` paragraphs with ``<mark>`` over every task's span."""
    spans = [
        Span(s.task_id, max(0, s.start), min(len(text), s.end)) for s in spans if s.end > s.start
    ]
    cuts = {0, len(text)}
    for s in spans:
        cuts.update((s.start, s.end))
    started: set[int] = set()
    html: list[str] = []
    for p_start, p_end in _paragraphs(text):
        inner = sorted({p_start, p_end} | {c for c in cuts if p_start < c < p_end})
        pieces: list[str] = []
        for a, b in itertools.pairwise(inner):
            chunk = escape(text[a:b])
            covering = [s.task_id for s in spans if s.start < b and s.end > a]
            if not covering:
                pieces.append(chunk)
                continue
            firsts = [t for t in covering if t not in started]
            started.update(firsts)
            anchors = "".join(
                f'<mark class="anchor" id="span-T{t}" data-tasks="{t}"></mark>' for t in firsts[1:]
            )
            ident = f' id="span-T{firsts[0]}"' if firsts else ""
            pieces.append(
                f'{anchors}<mark{ident} class="span" data-tasks="{" ".join(map(str, covering))}">'
                f"{chunk}</mark>"
            )
        html.append(f'<p data-start="{p_start}">{"".join(pieces)}</p>')
    # Safe: every piece of the text was escaped above.
    return mark_safe("\n".join(html))
