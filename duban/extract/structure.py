"""Step 2: find articles, titles, bylines, headings and the parts of a report.

Two layouts are recognised:

* **Newspaper pages** whose headings carry ``#`` marks (kept by :mod:`normalize` as
  ``Paragraph.heading``): a level-1 heading is an article title, a heading right before
  it is the kicker (引题), a heading right after it the subtitle (副题), headings inside the
  body are section headings; 「□郑旗」 is the author and the 「…记者」 block at the end
  lists the reporters.
* **Reports** (政府工作报告 and the like): title, delivery line, speaker, the top-level
  parts 「一、」「二、」… and the numbered areas 「（一）」 inside them. An area heading may be
  a line of its own or the first sentence of a paragraph.

Besides ``doc.articles`` it leaves in ``doc.extras``:

``blocks``
    ``(start, end, kind, area)`` per paragraph: ``kind`` is ``"work"``, ``"review"``,
    ``"mixed"``, ``"front"`` (title block, bylines), ``"appendix"`` or ``"article"``;
    ``area`` is the enclosing （一）-level heading or ``None``.
``delivery_date``
    ``(y, m, d)`` of the delivery line 「——2021年3月5日在…」 when there is one.
"""

from __future__ import annotations

import re

from duban.extract.model import Article, ParsedDocument, Section
from duban.extract.normalize import Paragraph

_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

_PART = re.compile(r"^([一二三四五六七八九十]{1,3})、\s*")
_AREA = re.compile(r"^（([一二三四五六七八九十]{1,3})）\s*")
_DELIVERY = re.compile(r"^(?:——|—)?\s*(\d{4})年(\d{1,2})月(\d{1,2})日[，,]?在(?:.*?会议上)?")
_DATELINE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_SPEAKER = re.compile(
    r"^(?:\S{0,20}?(?:总理|省长|市长|主席|区长|州长|县长|书记))\s*(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff\s]{0,5})?$"
)
_SPEAKER_NAME = re.compile(
    r"(?:总理|省长|市长|主席|区长|州长|县长|书记)\s*([\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,4})\s*$"
)
_BYLINE = re.compile(r"^[□■◎●]\s*(\S.{0,20})$")
_REPORTER = re.compile(r"^(\S{0,12}(?:记者|通讯员|实习生))[：:\s]*(.*)$")
_NAME_LINE = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*$")
_APPENDIX = re.compile(r"^(?:附件\s*\d*|附录|名词解释)[：:]?$")
_REVIEW = re.compile(r"回顾|成就|成绩|主要工作")
_FORWARD = re.compile(r"目标|任务|安排|重点工作|考虑|要求|取向|部署")


def cn_number(s: str) -> int | None:
    """「十三」→13, 「二十」→20, 「7」→7; ``None`` when ``s`` is not a number."""
    if s.isdigit():
        return int(s)
    if not s or any(c not in _CN_DIGITS and c not in "十百零〇" for c in s):
        return None
    if "百" in s:
        head, _, tail = s.partition("百")
        h = _CN_DIGITS.get(head, 1) if head else 1
        t = cn_number(tail.lstrip("零〇")) if tail else 0
        return h * 100 + (t or 0)
    if "十" in s:
        head, _, tail = s.partition("十")
        tens = _CN_DIGITS.get(head, 0) if head else 1
        if head and head not in _CN_DIGITS:
            return None
        units = _CN_DIGITS.get(tail, 0) if tail else 0
        if tail and tail not in _CN_DIGITS:
            return None
        return tens * 10 + units
    if len(s) == 1:
        return _CN_DIGITS.get(s)
    return None


def _first_sentence(s: str) -> str:
    """The heading part of 「（一）标题。正文……」: up to the first 。 (without it)."""
    i = s.find("。")
    head = s if i < 0 else s[:i]
    return head.strip().rstrip("。；;：:")


def part_kind(title: str) -> str:
    """Classify a top-level part by its heading: review of the past, this year's work, or both."""
    review = bool(_REVIEW.search(title))
    forward = bool(_FORWARD.search(title))
    if review and forward:
        return "mixed"
    return "review" if review else "work"


def structure(doc: ParsedDocument) -> ParsedDocument:
    """Fill ``doc.articles`` and the block map in ``doc.extras`` (see module docstring)."""
    paras: list[Paragraph] = doc.extras.get("paragraphs", [])
    if any(p.heading for p in paras):
        _newspaper(doc, paras)
    else:
        _report(doc, paras)
    return doc


def _newspaper(doc: ParsedDocument, paras: list[Paragraph]) -> None:
    text = doc.text
    blocks: list[tuple[int, int, str, str | None]] = []
    title_level = min(p.heading for p in paras if p.heading)
    # Indices of article titles; a heading right before a title is its kicker.
    starts: list[int] = []
    for i, p in enumerate(paras):
        if p.heading == title_level:
            first = i
            if i > 0 and paras[i - 1].heading > title_level and (not starts or i - 1 > starts[-1]):
                first = i - 1
            starts.append(first)
    if not starts or starts[0] > 0:
        starts.insert(0, 0)
    for n, first in enumerate(starts):
        last = (starts[n + 1] if n + 1 < len(starts) else len(paras)) - 1
        group = paras[first : last + 1]
        art = Article(title="", start=group[0].start, end=group[-1].end)
        i = 0
        if group[0].heading > title_level and len(group) > 1 and group[1].heading == title_level:
            art.kicker = text[group[0].start : group[0].end]
            blocks.append((group[0].start, group[0].end, "front", None))
            i = 1
        if i < len(group) and group[i].heading == title_level:
            art.title = text[group[i].start : group[i].end]
            blocks.append((group[i].start, group[i].end, "front", None))
            i += 1
        while i < len(group) and group[i].heading > title_level and not art.subtitle:
            art.subtitle = text[group[i].start : group[i].end]
            blocks.append((group[i].start, group[i].end, "front", None))
            i += 1
        area: str | None = None
        names_block = False
        for p in group[i:]:
            s = text[p.start : p.end]
            if p.heading:
                area = s
                art.sections.append(Section(title=s, start=p.start, end=p.end, level=2))
                blocks.append((p.start, p.end, "front", None))
                continue
            m = _BYLINE.match(s)
            if m:
                art.authors.extend(m.group(1).split())
                blocks.append((p.start, p.end, "front", None))
                continue
            m = _REPORTER.match(s)
            if m and len(s) <= 40:
                names_block = True
                art.authors.extend(x for x in m.group(2).split() if x)
                blocks.append((p.start, p.end, "front", None))
                continue
            if names_block and _NAME_LINE.match(s):
                art.authors.extend(s.split())
                blocks.append((p.start, p.end, "front", None))
                continue
            names_block = False
            blocks.append((p.start, p.end, "article", area))
        doc.articles.append(art)
    doc.extras["blocks"] = blocks


def _report(doc: ParsedDocument, paras: list[Paragraph]) -> None:
    text = doc.text
    art = Article(title="", start=0, end=len(text))
    blocks: list[tuple[int, int, str, str | None]] = []
    kind = "front"
    area: str | None = None
    expected = 1
    body_started = False
    for idx, p in enumerate(paras):
        s = text[p.start : p.end]
        if kind == "appendix":
            blocks.append((p.start, p.end, kind, None))
            continue
        if not body_started:
            # The front matter: title, delivery line, speaker, until 「各位代表」 or a part.
            if (
                s.startswith("各位代表")
                or _PART.match(s)
                or idx >= 8
                or ("。" in s and not _DELIVERY.match(s))
                or len(s) > 60
            ):
                body_started = True
                kind = "preamble"
            else:
                m = _DELIVERY.match(s)
                if m:
                    doc.extras.setdefault("delivery_date", tuple(int(x) for x in m.groups()))
                    rest = s[m.end() :].strip()
                    sm = _SPEAKER.match(rest) if rest else None
                    if sm:
                        doc.extras["speaker"] = rest
                elif not art.title and len(s) <= 40 and not _SPEAKER.match(s):
                    art.title = s
                elif _SPEAKER.match(s) or (len(s) <= 5 and "speaker" in doc.extras):
                    doc.extras["speaker"] = (doc.extras.get("speaker", "") + " " + s).strip()
                elif art.title and len(s) <= 3:
                    doc.extras["speaker"] = (doc.extras.get("speaker", "") + " " + s).strip()
                blocks.append((p.start, p.end, "front", None))
                continue
        if _APPENDIX.match(s):
            kind = "appendix"
            blocks.append((p.start, p.end, kind, None))
            continue
        m = _PART.match(s)
        if m and len(s) < 120:
            num = cn_number(m.group(1))
            if num == expected:
                title = _first_sentence(s[m.end() :])
                art.sections.append(
                    Section(
                        title=title, start=p.start, end=p.end, level=1, number=m.group(0).strip()
                    )
                )
                kind = part_kind(title)
                expected += 1
                area = None
                blocks.append((p.start, p.start + m.end() + len(title), "heading", None))
                rest_start = p.start + m.end() + len(title)
                while rest_start < p.end and text[rest_start] in "。；：":
                    rest_start += 1
                if p.end - rest_start > 2:
                    blocks.append((rest_start, p.end, kind, area))
                continue
            if num == 1 and expected > 2:
                kind = "appendix"  # numbering restarts after the speech: a project list
                blocks.append((p.start, p.end, kind, None))
                continue
        m = _AREA.match(s)
        if m and kind in ("work", "mixed", "review"):
            title = _first_sentence(s[m.end() :])
            art.sections.append(
                Section(title=title, start=p.start, end=p.end, level=2, number=m.group(0).strip())
            )
            area = title
            head_end = p.start + m.end() + len(title)
            while head_end < p.end and text[head_end] in "。；：":
                head_end += 1  # the heading's own full stop belongs to the heading
            blocks.append((p.start, head_end, "area_heading", area))
            if p.end - head_end > 2:
                blocks.append((head_end, p.end, kind, area))
            continue
        if s.startswith("各位代表"):
            area = None  # the closing paragraphs sit outside any area
        blocks.append((p.start, p.end, kind if kind != "front" else "preamble", area))
    if not art.title:
        for p in paras[:3]:
            s = text[p.start : p.end]
            if (
                len(s) <= 40
                and "。" not in s
                and not _PART.match(s)
                and not _AREA.match(s)
                and not _DELIVERY.match(s)
                and not s.startswith("各位代表")
            ):
                art.title = s
                break
    speaker = doc.extras.get("speaker", "")
    m = _SPEAKER_NAME.search(speaker)
    if m:
        # The speaker is the report's author: 「国务院总理 李克强」 → 「李克强」.
        art.authors = [re.sub(r"\s+", "", m.group(1))]
    if expected == 1:
        # No numbered parts: a plain text whose every paragraph may hold directives.
        blocks = [(a, b, "article" if k == "preamble" else k, ar) for a, b, k, ar in blocks]
    doc.articles.append(art)
    doc.extras["blocks"] = blocks
    if "delivery_date" not in doc.extras:
        # A dateline in the first lines (「2020年7月22日」) is the next best date.
        head = text[:300]
        m = _DATELINE.search(head)
        if m:
            doc.extras["dateline"] = tuple(int(x) for x in m.groups())
