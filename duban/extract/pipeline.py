"""The engine's public entry point: one call from raw text to a :class:`ParsedDocument`.

``extract_text`` runs the named steps in order over one document object:

normalize → structure → frameworks → directives/tasks → targets → times → lead units.

Every step is a plain function in its own module so it can be tested alone. The
required steps (normalize, structure, directives) raise :class:`ExtractError` ``E014``
when they fail: a warning followed by zero tasks would look like a report without
directives. The optional steps (frameworks, targets, times, lead units) degrade to a
warning: a clerk would rather get the tasks without deadlines than nothing.
"""

from __future__ import annotations

import datetime
import gc
from collections.abc import Callable
from typing import Any

from duban.extract.assigned import apply_assigned
from duban.extract.directives import find_tasks
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.frameworks import find_frameworks, tag_by_items
from duban.extract.model import ParsedDocument
from duban.extract.normalize import normalize
from duban.extract.structure import structure
from duban.extract.targets import add_indicator_tasks, attach_targets
from duban.extract.times import assign_deadlines

Step = Callable[[ParsedDocument], ParsedDocument]


def _date_from_document(doc: ParsedDocument) -> datetime.date | None:
    # The delivery line is the day the words were spoken; a dateline or the page's
    # publication time come later and are only fallbacks.
    for key in ("delivery_date", "dateline", "published"):
        ymd = doc.extras.get(key)
        if ymd:
            try:
                return datetime.date(*ymd)
            except (TypeError, ValueError):
                continue
    return None


def _run(doc: ParsedDocument, name: str, step: Step, *, required: bool = False) -> None:
    try:
        step(doc)
    except ExtractError:
        raise
    except Exception as exc:
        if required:
            raise ExtractError(
                ErrorCode.E014_ENGINE,
                f"解析引擎在“{name}”步骤出错，未能处理此文件（{type(exc).__name__}）。"
                "请将文件发给系统管理员。",
            ) from exc
        # An optional step must not sink the document.
        doc.warnings.append(f"步骤 {name} 出错，已跳过：{type(exc).__name__}: {exc}")


def _suggest(doc: ParsedDocument, catalog: Any) -> None:
    from duban.extract.units import suggest

    for task in doc.tasks:
        s = suggest(task.text, catalog, k=3)
        task.lead_suggestions = list(s.leads)
        task.co_units = list(s.co_units)
        if s.leader is not None:
            task.leader = {"name": s.leader.name, "units": list(s.leader.units)}


def extract_text(
    text: str,
    *,
    date: datetime.date | None = None,
    catalog: Any | None = None,
    path: str = "",
    encoding: str = "utf-8",
) -> ParsedDocument:
    """Extract articles, frameworks and tasks from ``text``.

    ``date`` is the base date for relative deadlines (今年, 年底前); when omitted the date
    printed in the document is used (delivery line, dateline, 时间：…), else today.
    ``catalog`` is a unit catalog for lead suggestions (see ``duban.extract.units``).
    Raises only :class:`ExtractError`; a text without directives yields no tasks and a
    warning.
    """
    if not isinstance(text, str):
        raise ExtractError(ErrorCode.E002_BINARY, "输入不是文本。")
    # The steps allocate many small objects that all live until the end; the cyclic
    # garbage collector would rescan them again and again (quadratic on a 10 MB input)
    # while there are no cycles to find, so it pauses for the duration of one call.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _extract(text, date=date, catalog=catalog, path=path, encoding=encoding)
    finally:
        if was_enabled:
            gc.enable()


def _extract(
    text: str,
    *,
    date: datetime.date | None,
    catalog: Any | None,
    path: str,
    encoding: str,
) -> ParsedDocument:
    doc = ParsedDocument(text=text, path=path, encoding=encoding)
    _run(doc, "normalize", normalize, required=True)
    if not doc.text.strip():
        doc.text = ""
        doc.extras["paragraphs"] = []
    _run(doc, "structure", structure, required=True)
    if date is not None:
        doc.date, doc.date_source = date, "argument"
        doc.warnings.append(f"基准日期：{date.isoformat()}（调用方指定）。")
    else:
        found = _date_from_document(doc)
        if found:
            doc.date, doc.date_source = found, "document"
            doc.warnings.append(f"基准日期：{found.isoformat()}（取自文中日期）。")
        else:
            doc.date, doc.date_source = datetime.date.today(), "today"
            doc.warnings.append(f"基准日期：{doc.date.isoformat()}（文中无日期，使用今天）。")
    _run(doc, "frameworks", find_frameworks)
    _run(doc, "directives", find_tasks, required=True)
    _run(doc, "pillars", tag_by_items)
    _run(doc, "targets", add_indicator_tasks)
    _run(doc, "targets", attach_targets)
    _run(doc, "times", assign_deadlines)
    for i, task in enumerate(doc.tasks, 1):
        task.id = f"T{i:04d}"
    if catalog is not None:
        _run(doc, "units", lambda d: _suggest(d, catalog) or d)
    _run(doc, "assigned", apply_assigned)
    if not doc.text:
        doc.warnings.append("文本为空。")
    if not doc.tasks:
        doc.warnings.append("没有找到任务。")
    return doc
