"""Step 6: quantitative targets, and the indicator tasks of a 主要预期目标 paragraph.

* :func:`find_targets` lists the numbers with units in a piece of text (「1100万人」,
  「1.3万亿斤」, 「5.5%」); bare numbers, years and Latin names (PM2.5, 5G) are not targets.
* :func:`add_indicator_tasks` turns the paragraph 「（今年发展）主要预期目标是：……」 into one
  ``kind="indicator"`` task per numeric target, split at 「；，、」; a clause with two
  numbers that are two targets (「分别增长6%和7%」) gives two tasks, while a range
  (「6%－6.5%」) stays one.
"""

from __future__ import annotations

import re

from duban.extract.model import ParsedDocument, Target, Task

_UNIT = (
    r"(?:%|％|‰|个百分点|(?:万亿|千亿|百亿|亿|万|千)?(?:人次|人|斤|元|吨|亩|户|个|家|项|所|座|条|公里|千米|"
    r"微克/立方米|平方米|平方公里|米|千瓦时|千瓦|辆|套|张|台|公顷|标准箱|美元|度|床|间|部|场|批))"
)
_NUMBER = re.compile(rf"(?<![0-9A-Za-z.])(\d+(?:\.\d+)?)({_UNIT})(?![A-Za-z])")
_RANGE = re.compile(rf"(\d+(?:\.\d+)?{_UNIT}?)\s*[－—–\-~～至到]\s*(\d+(?:\.\d+)?{_UNIT})")
_DIGIT = re.compile(r"\d")
_TARGETS_INTRO = re.compile(r"预期目标\s*[是为]\s*[：:]")
_SEP = "；;，,、"
_PIECE_MARKS = re.compile("[“（(《”）)》；;，,、]")
_VERB = re.compile(r"增长|降低|下降|提高|达到|控制在|控制|保持在|保持|涨幅|失业率|新增")
_ARGUES = re.compile(r"考虑|为了|因为|是要|有利于|意味着|主要是")


def _value(num: str, unit: str) -> str:
    return num + ("%" if unit == "％" else unit)


def find_targets(text: str) -> list[Target]:
    """Numbers with units in ``text``, as :class:`Target` objects (text = ``text``)."""
    out: list[Target] = []
    if not _DIGIT.search(text):
        return out
    taken: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        hi = _NUMBER.search(m.group(2))
        if not hi:
            continue
        lo_num = re.match(r"\d+(?:\.\d+)?", m.group(1))
        value = m.group(0).replace("％", "%")
        out.append(
            Target(
                text=text,
                value=value,
                number=float(lo_num.group(0)) if lo_num else None,
                unit=hi.group(2).replace("％", "%"),
            )
        )
        taken.append(m.span())
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        num, unit = m.groups()
        out.append(
            Target(
                text=text, value=_value(num, unit), number=float(num), unit=unit.replace("％", "%")
            )
        )
    out.sort(key=lambda t: text.find(t.value.split("－")[0]))
    return out


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, s, depth = [], start, 0
    for m in _PIECE_MARKS.finditer(text, start, end):
        c, i = m.group(0), m.start()
        if c in "“（(《":
            depth += 1
        elif c in "”）)》":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append((s, i))
            s = i + 1
    out.append((s, end))
    return [(a, b) for a, b in out if b > a]


def add_indicator_tasks(doc: ParsedDocument) -> ParsedDocument:
    """Append indicator tasks for every 主要预期目标 paragraph in a task-bearing block."""
    text = doc.text
    for start, end, kind, area in doc.extras.get("blocks", []):
        if kind not in ("work", "mixed", "article"):
            continue
        m = _TARGETS_INTRO.search(text, start, end)
        if not m:
            continue
        stop = text.find("。", m.end(), end)
        stop = end if stop < 0 else stop
        # The list may go on in the next sentence of the same paragraph (「……基本同步。
        # 单位国内生产总值能耗下降3.4%以上，……」): take sentences that are themselves lists
        # of targets, up to the first that explains or argues.
        while stop < end:
            nxt = text.find("。", stop + 1, end)
            nxt = end if nxt < 0 else nxt
            sentence = text[stop + 1 : nxt]
            if not (find_targets(sentence) and _VERB.search(sentence)) or _ARGUES.search(sentence):
                break
            stop = nxt
        for a, b in _pieces(text, m.end(), stop):
            piece = text[a:b].strip()
            found = find_targets(piece)
            if not found:
                continue
            verb = _VERB.search(piece)
            for t in found:
                t.text = piece
                doc.tasks.append(
                    Task(
                        id="",
                        text=piece,
                        verb=verb.group(0) if verb else "",
                        start=a,
                        end=b,
                        article=next(
                            (i for i, art in enumerate(doc.articles) if art.start <= a < art.end), 0
                        ),
                        section=area,
                        targets=[t],
                        kind="indicator",
                        context=(m.start(), stop),
                    )
                )
        # The directive step may have read the same clauses ("……增长7%") as ordinary
        # tasks; in the targets paragraph they are indicators, listed once.
        doc.tasks = [
            t for t in doc.tasks if t.kind == "indicator" or t.end <= m.start() or t.start >= stop
        ]
    # Indicators in reading order among the other tasks.
    doc.tasks.sort(key=lambda t: t.start)
    return doc


def attach_targets(doc: ParsedDocument) -> ParsedDocument:
    """Give ordinary tasks the numbers with units they mention."""
    for task in doc.tasks:
        if task.kind == "task" and not task.targets:
            task.targets = find_targets(task.text)
    return doc
