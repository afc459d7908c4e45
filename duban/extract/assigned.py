"""Responsibilities a document states itself: 「（牵头单位：县财政局；责任单位：县金融办）」.

Implementation plans, supervision notices and county task books name the lead and the
co-units next to each task. What the document says outranks any suggestion from a
catalog, and it holds even for units no catalog lists (a township, a county bureau).
"""

from __future__ import annotations

import re

from duban.extract.model import LeadSuggestion, ParsedDocument

_LEAD = re.compile(
    r"(?:牵头单位|牵头部门|责任单位|责任部门|配合单位|协同单位|参与单位)[：:]\s*([^；;）)\n。]+)"
)
_LEAD_WORD = {"牵头单位": "lead", "牵头部门": "lead", "责任单位": "co", "责任部门": "co"}
_SPLIT = re.compile(r"[、，,/]|和(?=[\u4e00-\u9fff]{2,}(?:局|委|办|厅|部|院|会|室|中心|政府))")
# How far after a task's end its bracketed responsibilities may stand.
_REACH = 120


def assigned_units(text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    """(lead units, co-units) the text names for the task at ``text[start:end]``.

    Looks inside the task and in a bracket right after it (past its full stop). When a
    line names only 责任单位, the first of them is the lead, as offices read such books.
    """
    tail_end = min(len(text), end + _REACH)
    after = text[end:tail_end]
    nl = after.find("\n")
    if nl >= 0:
        after = after[:nl]
    leads: list[str] = []
    co: list[str] = []
    for m in _LEAD.finditer(text[start:end] + after):
        kind = _LEAD_WORD.get(m.group(0).split("：")[0].split(":")[0], "co")
        names = [n.strip() for n in _SPLIT.split(m.group(1)) if n.strip()]
        (leads if kind == "lead" else co).extend(names)
    if not leads and co:
        leads, co = co[:1], co[1:]
    return list(dict.fromkeys(leads)), [c for c in dict.fromkeys(co) if c not in leads]


def apply_assigned(doc: ParsedDocument) -> ParsedDocument:
    """Put the units a document names for a task first among its lead suggestions."""
    for task in doc.tasks:
        leads, co = assigned_units(doc.text, task.start, task.end)
        if not leads:
            continue
        stated = [LeadSuggestion(unit=u, score=1.0, matched=["牵头单位"]) for u in leads]
        rest = [s for s in task.lead_suggestions if s.unit not in leads]
        task.lead_suggestions = stated + rest
        task.actors = list(dict.fromkeys([*task.actors, *co]))
    return doc
