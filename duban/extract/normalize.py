"""Step 1: turn raw text into the normalized text every later offset refers to.

What it repairs, in order:

* zero-width characters (U+200B …) and stray whitespace at line ends are dropped;
* web-page furniture (menus, ``来源：``/``时间：`` lines, photo captions, ``相关报道：`` and
  what follows it, the licence notice of the wiki copies) is dropped; the publication
  date of a ``时间：`` line is kept in ``doc.extras["published"]`` first;
* lines broken by print columns and page breaks are joined back into paragraphs;
* half-width punctuation next to Chinese becomes the full-width marks of GB/T 15834,
  while numbers and Latin text (3.5%, 5G, GDP, 2020.7, 10:30) stay as they are;
* Markdown-style ``#`` heading marks are removed from the text and remembered as
  structure hints (``Paragraph.heading``).

The result is one paragraph per line, separated by ``\\n``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from duban.extract.model import ParsedDocument

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HEADING_MARK = re.compile(r"^(#{1,6})\s*")
# Lines that are page furniture on their own.
_MENU = frozenset(
    "下载 打印 全屏 收藏 【字号： 【字号: 【字体： 【字体: 加大 还原 减小 】 大 中 小 分享： 分享: "
    "打印本页 关闭窗口 Public domain false true 扫一扫在手机打开当前页 相关附件>> 相关链接>> "
    "【打印】 【关闭】 返回顶部".split(" ")
) | {"Public domain"}
_FURNITURE_PREFIX = re.compile(
    r"^(?:来源[：:]|时间[：:]|发布时间[：:]|作者[：:]|编辑[：:]|责任编辑[：:]|浏览次数|"
    r"\d{4}年\d{1,2}月\d{1,2}日\s+\d{1,2}[时:：]\d{1,2}|\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}|"
    r"[0-9a-f]{16,}[：:]?$)"
)
# Where the page's own text ends: everything after is links, repeats or licence text.
_TAIL_MARKERS = re.compile(
    r"^(?:相关报道[：:]?|相关链接|相关附件|打印本页|关闭窗口|责任编辑[：:]|扫一扫在手机打开|"
    r"本作品是中华人民共和国的|Public domain$)"
)
_PUBLISHED = re.compile(r"^(?:发布)?时间[：:]\s*(\d{4})[-年./](\d{1,2})[-月./](\d{1,2})")
_PHOTO_CAPTION = re.compile(r"(?:记者|通讯员|新华社|摄影)\s*\S{0,12}\s*摄[）)]?$|^图为")
_BARE_SOURCE = re.compile(r"^来源[：:]$")

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_OR_MARK = _CJK + "，。、；：？！“”‘’（）《》〈〉【】…—"
# Half-width marks become full-width when a Chinese character or mark is next to them
# and they do not sit between two Latin letters/digits (10:30, 1,000, a;b keep theirs).
_HALF_PUNCT = re.compile(r"\s*([,;:?!])\s*")
_IS_CJK_OR_MARK = re.compile(f"[{_CJK_OR_MARK}]")
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PARENS = re.compile(r"\(([^()\n]{0,80})\)")
_HAS_CJK = re.compile(f"[{_CJK}]")
_STRAIGHT_QUOTE = re.compile('"')

# A line that ends a paragraph: sentence-final mark, optionally followed by closers.
_FINAL = re.compile(r"[。！？!?：:；;…]['\"”’」』）)】]*$")
_NUMBERED = re.compile(
    r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[.．、](?!\d)|（\d{1,2}）)"
)
_DELIVERY = re.compile(r"^(?:——|—)?\s*\d{4}年\d{1,2}月\d{1,2}日(?:在|，在)")
_SPEAKER = re.compile(r"(?:总理|省长|市长|主席|区长|州长|县长|书记)\s*$")
_ADDRESS = re.compile(r"^各位代表[：:！!，,]")
_OPENERS = "“‘（《【「『"
_TITLE_END = re.compile(r"(?:报告|公报|决议|决定|通知|方案|意见|讲话|纲要|规划|计划|办法)$")
_DATE_NOTE = re.compile(r"^[（(][^（）()]{0,40}\d{4}年[^（）()]{0,40}[）)]$")
_BYLINE_LINE = re.compile(
    r"^(?:本报|本刊|新华社|人民日报|光明日报)?(?:特约)?(?:评论员|社论|短评)(?:文章)?$"
)
# Particles and prepositions a Chinese sentence never ends with.
_NO_END = "的和与及之在对把将从向为以被"


@dataclass(slots=True)
class Paragraph:
    """One paragraph of the normalized text; ``heading`` is the ``#`` level, 0 if none."""

    start: int
    end: int
    heading: int = 0


def _convert_punct(line: str) -> str:
    """Half-width → full-width marks next to Chinese, keeping numbers and Latin intact."""
    if not _HAS_CJK.search(line):
        return line

    def half(m: re.Match[str]) -> str:
        before = line[m.start() - 1 : m.start()]
        after = line[m.end() : m.end() + 1]
        if before.isascii() and after.isascii():
            return m.group(0)  # 10:30, 1,000, a;b
        if _IS_CJK_OR_MARK.match(before or " ") or _IS_CJK_OR_MARK.match(after or " "):
            return _FULL[m.group(1)]
        return m.group(0)

    line = _HALF_PUNCT.sub(half, line)

    def paren(m: re.Match[str]) -> str:
        inner = m.group(1)
        before = line[m.start() - 1] if m.start() else ""
        if _HAS_CJK.search(inner) or _HAS_CJK.match(before or "a"):
            return f"（{inner}）"
        return m.group(0)

    line = _PARENS.sub(paren, line)
    if '"' in line:
        # Straight quotes alternate open/close within the line.
        count = 0

        def quote(_m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            return "“" if count % 2 else "”"

        line = _STRAIGHT_QUOTE.sub(quote, line)
    return line


def _clean_lines(raw: str, doc: ParsedDocument) -> list[tuple[str, int]]:
    """Lines after dropping furniture, with their ``#`` heading level."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[tuple[str, int]] = []
    n = len(lines)
    skip_next = False
    for i, line in enumerate(lines):
        line = _ZERO_WIDTH.sub("", line).strip(" \t\u3000\xa0\f\v")
        if not line:
            continue
        if skip_next:
            skip_next = False
            if len(line) <= 12:
                continue
        m = _PUBLISHED.match(line)
        if m and "published" not in doc.extras:
            doc.extras["published"] = tuple(int(x) for x in m.groups())
        if _BARE_SOURCE.match(line):
            skip_next = True  # 「来源:」 then the paper's name on the next line
            continue
        # The tail markers end the page text, but only late in the page: a report may
        # legitimately mention 「相关报道」 in its body.
        if _TAIL_MARKERS.match(line) and (i > n * 0.6 or line.startswith("本作品")):
            break
        if line in _MENU or _FURNITURE_PREFIX.match(line) or _PHOTO_CAPTION.search(line):
            continue
        level = 0
        hm = _HEADING_MARK.match(line)
        if hm:
            level = len(hm.group(1))
            line = line[hm.end() :].strip()
            if not line:
                continue
        out.append((_convert_punct(line), level))
    return out


def _continues(
    para: str, last: str, nxt: str, nxt_level: int, length: int, joined: bool = False
) -> bool:
    """Whether line ``nxt`` continues the paragraph begun by ``para`` (its first line plus
    its last line when longer) whose last line is ``last`` and total length ``length``.
    Only the ends of the paragraph matter, which keeps joining linear in the input size."""
    if nxt_level or _FINAL.search(para):
        return False
    if _NUMBERED.match(nxt) or _DELIVERY.match(nxt) or _ADDRESS.match(nxt):
        return False
    if nxt.startswith("——") and not para.endswith(("，", "、")):
        return False
    if para.count("“") > para.count("”") or para.count("《") > para.count("》"):
        return True  # a quotation or a title still open cannot end the paragraph
    if _NUMBERED.match(para) and len(para) < 60:
        return False  # an area heading on a line of its own
    if _TITLE_END.search(para) or _SPEAKER.search(last):
        return False  # a document's title (「……公报」「……决议」) stands on its own line
    if _DATE_NOTE.match(nxt) or _DATE_NOTE.match(para) or _BYLINE_LINE.match(nxt):
        return False  # 「（2026年1月10日……通过）」, 「本报评论员」
    if para.startswith("——") and len(para) <= 40:
        return False  # a subtitle (「——一论学习贯彻……精神」)
    if _DELIVERY.match(para) and para.endswith("会议上"):
        return False
    if " " in last.strip() and not _FINAL.search(last) and len(last) < 40:
        return False  # name lists such as a reporters' line
    if nxt[0] in "，。、；：？！）》”’" or para[-1] in _OPENERS + "、，" + _NO_END:
        return True
    # Print columns break long lines; a short unpunctuated line is a title or a label,
    # unless the next piece is a tiny remainder (「政府工作报」/「告」).
    # unless the paragraph is already a join of broken lines and still unfinished.
    return length >= 16 or len(nxt) <= 2 or joined


def normalize(doc: ParsedDocument) -> ParsedDocument:
    """Replace ``doc.text`` with the normalized text; paragraphs go to ``extras``."""
    lines = _clean_lines(doc.text, doc)
    paras: list[tuple[list[str], int]] = []
    length = 0
    for line, level in lines:
        if paras:
            parts, plevel = paras[-1]
            # The paragraph's first line (for its numbering) joined to its last line (for
            # its ending) stands in for the whole paragraph.
            ends = parts[0] if len(parts) == 1 else parts[0][:60] + parts[-1]
            if not plevel and _continues(ends, parts[-1], line, level, length, len(parts) > 1):
                parts.append(line)
                length += len(line)
                continue
        paras.append(([line], level))
        length = len(line)
    pieces: list[str] = []
    spans: list[Paragraph] = []
    pos = 0
    for parts, level in paras:
        text = _join(parts)
        spans.append(Paragraph(pos, pos + len(text), level))
        pieces.append(text)
        pos += len(text) + 1
    doc.text = "\n".join(pieces)
    doc.extras["paragraphs"] = spans
    return doc


def _join(parts: list[str]) -> str:
    """Join broken lines; a space only between two Latin words (``PM`` + ``2.5`` joins)."""
    out = parts[0]
    for p in parts[1:]:
        if out[-1:].isascii() and out[-1:].isalpha() and p[:1].isascii() and p[:1].isalpha():
            out += " " + p
        else:
            out += p
    return out
