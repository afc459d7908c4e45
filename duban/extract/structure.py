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
# Dates are written with Arabic digits or, in formal documents, Chinese numerals
# (「二〇二六年一月二十七日」).
_Y = r"(\d{4}|[〇○零一二三四五六七八九]{4})"
_MD = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_DATE = _Y + "年" + _MD + "月" + _MD + "日"
_DELIVERY = re.compile(r"^(?:——|—)?\s*[（(]?" + _DATE + r"[）)]?[，,]?\s*在(?:.*?会议上)?")
_DATELINE = re.compile(_DATE)
_SPEAKER = re.compile(
    r"^(?:\S{0,20}?(?:总理|省长|市长|主席|区长|州长|县长|书记))\s*(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff\s]{0,5})?$"
)
_SPEAKER_NAME = re.compile(
    r"(?:总理|省长|市长|主席|区长|州长|县长|书记)\s*([\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,4})\s*$"
)
_BYLINE = re.compile(r"^[□■◎●]\s*(\S.{0,20})$")
_REPORTER = re.compile(r"^(\S{0,12}(?:记者|通讯员|实习生))[：:\s]*(.*)$")
_NAME_LINE = re.compile(r"^[\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4})*$")
_APPENDIX = re.compile(
    r"^(?:附件\s*[\d一二三四五六七八九十]*|附录\s*[\d一二三四五六七八九十]*)[：:]?$"
)
_GLOSSARY = re.compile(r"^(?:名词解释|名词注释|注释|词语解释)[：:]?$")
_REVIEW = re.compile(r"回顾|成就|成绩|主要工作|过去|一年来|五年来|基本总结|工作总结")
_FORWARD = re.compile(r"目标|任务|安排|重点工作|考虑|要求|取向|部署|建议|思路")
# A part about a multi-year period (「“十五五”时期主要目标任务」, a five-year plan's
# explanation): forward-looking, but not this year's work when the report has that too.
_MULTI_YEAR = re.compile(r"十[一二三四五六七八九]五|五年规划|今后五年|未来五年|中长期|远景")
_THIS_YEAR = re.compile(r"今年|本年|\d{4}年(?!.{0,2}(?:以来|回顾))")
# A heading without a number: a short line that names a part of a report.
_SOFT_HEADING = re.compile(r"^[\u4e00-\u9fff“”《》、\d ]{4,30}$")
_SOFT_HEADING_WORD = re.compile(r"回顾|工作|任务|安排|目标|要求|部署|考虑|成就|说明|总结|实事|思路")
# Content markers: what was done (past tense, achieved figures) against what is asked.
_PAST_MARK = re.compile(
    r"(?<![为除罢])了(?![解却结不得])|已经|已[成有达]|累计|同比|比上年|比去年|年均增长|"
    r"翻一番|胜利完成|基本完成|以[^，。]{2,8}同志为(?:核心|主要代表)的|认识到|"
    r"(?:增长|下降|提高|达到|突破|超过|减少|增加|新增)\s*[\d.一二三四五六七八九十百千万]+"
    r"[^，。；]{0,4}(?:%|％|倍|万|亿|个|项|家|人|元|公里|吨|斤|千瓦)(?![^，。；]{0,6}(?:左右|以上|以内|以下))"
)
_FUTURE_MARK = re.compile(
    r"(?<![重主需只纲提概])要(?![求素点害是])|(?<![即必])将(?!近|军|士|领|来)|必须|务必|确保|"
    r"力争|争取|着力|今年|明年|预期目标|到20\d\d年|左右"
)
# How a paragraph or sentence about the past opens (also read by directives).
_REVIEW_OPENER = re.compile(
    r"^(?:过去一年|过去的一年|过去五年|过去的五年|一年来|五年来|半年多来|去年以来|这一年|这五年|"
    r"回首|[^，。]{0,8}多年来|近代以来|新中国成立以来|改革开放以来|"
    r"这是[^，。]{0,20}的(?:五|一)年|回顾|刚刚过去|成绩来之不易|"
    r"[^。]{0,20}(?:极不平凡|很不平凡|极不寻常|很不寻常)的(?:五|一|十)年)"
)
_SENTENCE = re.compile(r"[^。！？；]+")
_YEAR_DIGITS = {"〇": 0, "○": 0, "零": 0, **{c: i for i, c in enumerate("一二三四五六七八九", 1)}}
# The title of a document pasted after another one, and what follows such a title.
_DOC_TITLE = re.compile(r"(?:报告|决议|公报|决定|讲话|意见|方案|通知|规划|纲要|计划)$")
_COMMENTATOR = re.compile(
    r"^(?:本报|本刊|新华社|人民日报|光明日报)?(?:特约)?(?:评论员|社论|短评)(?:文章)?$"
)
# What a demand says and a heading does not: a modal, or a date it is due by.
_AREA_ITEM = re.compile(
    r"(?<![重主需纲提概只])要(?![素求点害是])|必须|应当|务必|\d{1,2}月(?:\d{1,2}日)?底?前|年底前"
)
_SALUTATION = re.compile(r"^(?:各位代表|同志们|各位委员)[：:，,！!]")


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九: heading numbers, the inverse of
    :func:`cn_number`. The one writer of Chinese numerals (the task book's headings and the
    official documents' both use it)."""
    if not 0 < n < 100:
        raise ValueError(f"heading numbers run from 1 to 99, not {n}")
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    if tens == 0:
        return digits[ones]
    head = "" if tens == 1 else digits[tens]
    return head + "十" + (digits[ones] if ones else "")


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


def cn_year(s: str) -> int | None:
    """「2026」 or 「二〇二六」 (digit by digit, the zero as 〇, ○ or 零) → 2026; ``None``
    when ``s`` is neither. The one reader of years written in Chinese numerals (dates
    here, deadlines in :mod:`duban.extract.times`)."""
    if s.isdigit():
        return int(s)
    if not s or any(c not in _YEAR_DIGITS for c in s):
        return None
    return int("".join(str(_YEAR_DIGITS[c]) for c in s))


def _first_sentence(s: str) -> str:
    """The heading part of 「（一）标题。正文……」: up to the first 。 (without it)."""
    i = s.find("。")
    head = s if i < 0 else s[:i]
    return head.strip().rstrip("。；;：:")


def part_kind(title: str) -> str:
    """What a top-level part's heading says it is: ``review``, ``mixed``, ``goals`` or ``work``.

    Only a first guess: :func:`structure` also reads what the part says (a review headed by
    a slogan reads as a review), and a ``goals`` part counts as work in a document that
    has no part about this year (a party congress report is all multi-year).
    """
    review = bool(_REVIEW.search(title))
    forward = bool(_FORWARD.search(title))
    if review and forward:
        return "mixed"
    if review:
        return "review"
    if _MULTI_YEAR.search(title) and not _THIS_YEAR.search(title.replace("年度", "")):
        return "goals"
    return "work"


def tense_counts(text: str) -> tuple[int, int]:
    """(sentences telling what was done, sentences asking for something) in ``text``."""
    past = future = 0
    for m in _SENTENCE.finditer(text):
        sent = m.group(0)
        if len(sent) < 6:
            continue
        # A figure with 要/今年 is a plan (「今年……要下降3%」), not an achievement.
        if _FUTURE_MARK.search(sent):
            future += 1
        elif _PAST_MARK.search(sent):
            past += 1
    return past, future


def reads_as_review(text: str, *, min_past: int = 2, share: float = 0.6) -> bool:
    """Whether a stretch of text tells the past: mostly achievements, few demands."""
    if _REVIEW_OPENER.match(text):
        return True
    past, future = tense_counts(text)
    return past >= min_past and past >= share * (past + future)


def ymd(groups: tuple[str, str, str]) -> tuple[int, int, int] | None:
    """(y, m, d) from the three groups of a date match, digits or Chinese numerals."""
    y, m, d = groups
    yy = cn_year(y)
    mm = int(m) if m.isdigit() else cn_number(m)
    dd = int(d) if d.isdigit() else cn_number(d)
    if yy is None or mm is None or dd is None:
        return None
    return yy, mm, dd


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


def _documents(text: str, paras: list[Paragraph]) -> list[list[Paragraph]]:
    """Split paragraphs into documents pasted one after another into one file.

    A new document starts at a title line (「……报告」「……决议」) followed within three
    paragraphs by its own delivery line or salutation, once the body of the one before
    has started.
    """
    groups: list[list[Paragraph]] = [[]]
    body = False
    for i, p in enumerate(paras):
        s = text[p.start : p.end]
        if body and len(s) <= 40 and "。" not in s and _DOC_TITLE.search(s):
            ahead = [text[q.start : q.end] for q in paras[i + 1 : i + 4]]
            if any(_DELIVERY.match(a) or _SALUTATION.match(a) for a in ahead):
                groups.append([])
                body = False
        groups[-1].append(p)
        if "。" in s or _SALUTATION.match(s):
            body = True
    return [g for g in groups if g]


def _report(doc: ParsedDocument, paras: list[Paragraph]) -> None:
    blocks: list[tuple[int, int, str, str | None]] = []
    for group in _documents(doc.text, paras):
        _one_report(doc, group, blocks)
    doc.extras["blocks"] = blocks
    if "delivery_date" not in doc.extras:
        # A dateline in the first lines (「2020年7月22日」) is the next best date.
        m = _DATELINE.search(doc.text[:300])
        if m:
            found = ymd(m.groups())
            if found:
                doc.extras["dateline"] = found


class _Part:
    """A top-level part while the report is read: its heading and its paragraphs."""

    def __init__(self, title: str, kind: str) -> None:
        self.title = title
        self.kind = kind
        self.body: list[int] = []  # indices into the report's block list


def _one_report(
    doc: ParsedDocument, paras: list[Paragraph], blocks: list[tuple[int, int, str, str | None]]
) -> None:
    """Read one report: front matter, parts, areas and appendices, then classify parts."""
    text = doc.text
    art = Article(title="", start=paras[0].start, end=paras[-1].end)
    first_block = len(blocks)
    parts: list[_Part] = []
    part: _Part | None = None
    area: str | None = None
    expected = 1
    body_started = False
    mode = "body"  # body | appendix | glossary
    appendix_title: str | None = None
    for idx, p in enumerate(paras):
        s = text[p.start : p.end]
        if not body_started:
            # The front matter: title, delivery line, speaker, until 「各位代表」 or a part.
            if (
                _SALUTATION.match(s)
                or s.startswith("各位代表")
                or _PART.match(s)
                or idx >= 8
                or ("。" in s and not _DELIVERY.match(s))
                or len(s) > 60
            ):
                body_started = True
            elif s.startswith("——") and art.title and not art.subtitle and not _DELIVERY.match(s):
                art.subtitle = s  # 「——一论学习贯彻……精神」
                blocks.append((p.start, p.end, "front", None))
                continue
            elif _COMMENTATOR.match(s):
                art.authors.append(s)  # 「本报评论员」
                blocks.append((p.start, p.end, "front", None))
                continue
            else:
                m = _DELIVERY.match(s)
                if m:
                    found = ymd(m.groups())
                    if found:
                        doc.extras.setdefault("delivery_date", found)
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
        if _GLOSSARY.match(s):
            mode = "glossary"
            art.sections.append(Section(title=s.rstrip("：:"), start=p.start, end=p.end, level=1))
            blocks.append((p.start, p.end, "heading", None))
            continue
        if _APPENDIX.match(s):
            mode, appendix_title = "appendix", None
            blocks.append((p.start, p.end, "heading", None))
            continue
        if mode == "glossary":
            blocks.append((p.start, p.end, "glossary", None))
            continue
        if mode == "appendix":
            numbered = _PART.match(s) or _AREA.match(s) or re.match(r"^\d{1,2}[.．、]", s)
            if appendix_title is None and len(s) <= 40 and "。" not in s and not numbered:
                appendix_title = s
                art.sections.append(Section(title=s, start=p.start, end=p.end, level=1))
                blocks.append((p.start, p.end, "heading", None))
                continue
            # An appendix list (民生实事) is work: each numbered item is one commitment,
            # together with the paragraphs under it that say what it will deliver.
            appendix_title = appendix_title or ""
            last = blocks[-1] if blocks else None
            if not numbered and last is not None and last[0] in doc.extras.get("item_blocks", ()):
                blocks[-1] = (last[0], p.end, last[2], last[3])
                continue
            if numbered:
                doc.extras.setdefault("item_blocks", set()).add(p.start)
            blocks.append((p.start, p.end, "work", appendix_title or None))
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
                part = _Part(title, part_kind(title))
                parts.append(part)
                expected += 1
                area = None
                blocks.append((p.start, p.start + m.end() + len(title), "heading", None))
                rest_start = p.start + m.end() + len(title)
                while rest_start < p.end and text[rest_start] in "。；：":
                    rest_start += 1
                if p.end - rest_start > 2:
                    part.body.append(len(blocks))
                    blocks.append((rest_start, p.end, part.kind, area))
                continue
            if num == 1 and expected > 2:
                # Numbering restarts after the speech: a list appended without a heading.
                mode, appendix_title = "appendix", None
                blocks.append((p.start, p.end, "work", None))
                continue
        if (
            _SOFT_HEADING.match(s)
            and _SOFT_HEADING_WORD.search(s)
            and idx + 1 < len(paras)
            and "。" in text[paras[idx + 1].start : paras[idx + 1].end]
            and paras[idx + 1].end - paras[idx + 1].start > len(s)
        ):
            # A part heading without a number (「“十四五”时期工作回顾」).
            art.sections.append(Section(title=s, start=p.start, end=p.end, level=1))
            part = _Part(s, part_kind(s))
            parts.append(part)
            area = None
            blocks.append((p.start, p.end, "heading", None))
            continue
        m = _AREA.match(s)
        if m and part is not None and _AREA_ITEM.search(_first_sentence(s[m.end() :])):
            # 「（一）各部门要于3月15日前完成自查。」 asks for something: an item of the
            # part, not the heading of an area.
            part.body.append(len(blocks))
            blocks.append((p.start, p.end, part.kind, area))
            continue
        if m and part is not None:
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
                part.body.append(len(blocks))
                blocks.append((head_end, p.end, part.kind, area))
            continue
        if s.startswith("各位代表") or _SALUTATION.match(s):
            area = None  # the closing paragraphs sit outside any area
        if part is None:
            blocks.append((p.start, p.end, "preamble", area))
        else:
            part.body.append(len(blocks))
            blocks.append((p.start, p.end, part.kind, area))
    _classify_parts(text, parts, blocks)
    if not parts:
        # No parts: a plain text whose every paragraph may hold directives.
        for i in range(first_block, len(blocks)):
            a, b, k, ar = blocks[i]
            if k == "preamble":
                blocks[i] = (a, b, "article", ar)
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
    if m and not doc.articles:
        # The speaker is the report's author: 「国务院总理 李克强」 → 「李克强」.
        art.authors = [re.sub(r"\s+", "", m.group(1))]
    doc.articles.append(art)


def _classify_parts(
    text: str, parts: list[_Part], blocks: list[tuple[int, int, str, str | None]]
) -> None:
    """Settle each part's kind from what it says, then each paragraph's.

    A part headed as work whose paragraphs mostly tell achievements is a review (a
    slogan heading such as 「一年接着一年干……」 says nothing of tense). A multi-year part
    is work only when the report has no part about this year. Inside forward-looking
    parts a paragraph that reads as a review (「过去五年……」) is marked review alone.
    """
    this_year = any(
        p.kind == "work" and _THIS_YEAR.search(p.title) and not _MULTI_YEAR.search(p.title)
        for p in parts
    )
    for part in parts:
        body = "".join(text[blocks[i][0] : blocks[i][1]] for i in part.body)
        past, future = tense_counts(body)
        kind = part.kind
        if kind == "work" and past >= 4 and past >= 0.5 * (past + future):
            kind = "review"
        elif kind == "goals" and not this_year:
            kind = "work"
        elif kind == "mixed" and this_year and _MULTI_YEAR.search(part.title):
            kind = "goals"
        for i in part.body:
            a, b, _k, ar = blocks[i]
            k = kind
            # Inside a forward part a paragraph needs more to count as a review: plans
            # also carry figures (「累计培育100个标志性项目」).
            if k in ("work", "mixed", "goals") and reads_as_review(
                text[a:b], min_past=3, share=0.75
            ):
                k = "review"
            elif k == "mixed":
                k = "work"
            blocks[i] = (a, b, k, ar)
