"""Step 5: deadline expressions → date ranges, relative to the document's base date.

Each rule turns what is written (年底前, 下半年, 2020年9月底前, “十四五”期间, 三年内 …) into an
inclusive ``[start, end]`` range. Conventions:

* a period (今年, 明年, 下半年, 一季度, “十四五”) covers the whole period;
* 「…前」「到…」「…内」 run from the base date to the end of the named period, because the
  work starts now and must be done by then;
* a month or quarter without a year is in the base year.

:func:`resolve` handles one expression; :func:`find_deadline` picks the first one in a
task (or, failing that, in its sentence).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from duban.extract.model import Deadline, ParsedDocument
from duban.extract.structure import cn_number, cn_year

_CN = "一二两三四五六七八九十"
_EXPR = re.compile(
    rf"(?<![{_CN}第\d])“?(?P<plan>十[{_CN}]五|[{_CN}]五)”?(?:规划)?(?:时期|期间|期末|末)?"
    rf"|(?P<ymd>(?:(?P<y1>\d{{4}}|[〇○零一二三四五六七八九]{{4}})年)?"
    rf"(?P<m1>\d{{1,2}}|十[一二]?|[一二三四五六七八九])月"
    rf"(?:(?P<d1>\d{{1,2}}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])日|底|末|份|中旬|上旬|下旬)?前?)"
    rf"|(?P<yq>(?:(?P<y2>\d{{4}})年)?(?:第)?(?P<q>[一二三四1-4])季度(?:末|底)?前?)"
    rf"|(?P<yy>(?:到|至|在)?(?P<y3>\d{{4}}|[〇○零一二三四五六七八九]{{4}})年(?:底|末|年底)?(?:前|以前|之前)?)"
    rf"|(?P<rel>今明两年|明年[上下]半年|今年(?:年底|底|年内|内)?前?|明年(?:年底|底)?前?|年底前|年内|年底|"
    rf"本年度|上半年|下半年|近期|全年)"
    rf"|(?P<within>(?P<n>[{_CN}\d]{{1,3}})年(?:内|之内|时间)|(?P<n2>[{_CN}\d]{{1,3}})个月(?:内|之内))"
)
_HINT = re.compile("[五月季年期]")  # every expression holds one of these
_PLAN_START = 1966  # 「三五」 began in 1966; each later plan follows five years on


def _year(s: str) -> int:
    """「2026」 or 「二〇二六」 → 2026 (the pattern admits nothing else)."""
    year = cn_year(s)
    if year is None:
        raise ValueError(f"not a year: {s!r}")
    return year


def _num(s: str) -> int | None:
    """「6」 or 「六」「十一」「二十七」 → the number."""
    return int(s) if s.isdigit() else cn_number(s)


def _last_day(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return date(y, m + 1, day)


def resolve(expr: str, base: date) -> tuple[date, date] | None:
    """The date range an expression stands for, or None when it is not a deadline."""
    m = _EXPR.search(expr)
    if not m:
        return None
    try:
        return _resolve_match(m, base)
    except ValueError:
        return None  # 2月30日 and the like


def _resolve_match(m: re.Match[str], base: date) -> tuple[date, date] | None:
    g = m.groupdict()
    text = m.group(0)
    by = base.year
    before = text.endswith("前")
    if g["plan"]:
        n = cn_number(g["plan"][:-1])
        after = m.string[m.end() : m.end() + 2]
        # 「十五运会」「二十五」 are not plans; a two-character plan needs quotes or 规划/时期.
        if len(g["plan"]) == 2 and text == g["plan"]:
            return None
        if (
            n is None
            or n < 3
            or after.startswith("普法")
            or (after[:1] != "" and after[:1] in "届运个年")
        ):
            return None
        y = _PLAN_START + 5 * (n - 3)
        return date(y, 1, 1), date(y + 4, 12, 31)
    if g["ymd"]:
        if not re.search(r"[底末前旬]$", text):
            return None  # a bare date (3月5日) reports when, it sets no deadline
        y = _year(g["y1"]) if g["y1"] else by
        mo = _num(g["m1"])
        if mo is None or not 1 <= mo <= 12:
            return None
        if g["d1"]:
            d = date(y, mo, _num(g["d1"]) or 0)
            return (base, d) if before and base <= d else (d, d)
        end = _last_day(y, mo)
        if "中旬" in text:
            end = date(y, mo, 20)
        elif "上旬" in text:
            end = date(y, mo, 10)
        if before and base <= end:
            return base, end
        return date(y, mo, 1), end
    if g["yq"]:
        y = int(g["y2"]) if g["y2"] else by
        q = cn_number(g["q"])  # 一 … 四 or 1 … 4, as the pattern admits
        start, end = date(y, 3 * q - 2, 1), _last_day(y, 3 * q)
        if before and base <= end:
            return base, end
        return start, end
    if g["yy"]:
        if not (before or text.startswith(("到", "至")) or text.endswith(("底", "末"))):
            return None  # 「2026年重点工作」 names a year, it sets no deadline
        y = _year(g["y3"])
        end = date(y, 12, 31)
        if (before or text.startswith(("到", "至"))) and base <= end:
            return base, end
        return date(y, 1, 1), end
    if g["rel"]:
        r = g["rel"]
        if r.startswith("今明两年"):
            return date(by, 1, 1), date(by + 1, 12, 31)
        if r in ("明年上半年", "明年下半年"):
            first = r == "明年上半年"
            return date(by + 1, 1 if first else 7, 1), date(
                by + 1, 6 if first else 12, 30 if first else 31
            )
        if r.startswith("明年"):
            return date(by + 1, 1, 1), date(by + 1, 12, 31)
        if r == "上半年":
            return date(by, 1, 1), date(by, 6, 30)
        if r == "下半年":
            return date(by, 7, 1), date(by, 12, 31)
        if r in ("年底前", "年底", "今年底", "今年年底", "今年底前", "今年年底前"):
            return base, date(by, 12, 31)
        if r == "近期":
            return base, _add_months(base, 3)
        return date(by, 1, 1), date(by, 12, 31)  # 今年, 年内, 全年, 本年度
    if g["within"]:
        if g["n"]:
            n = cn_number(g["n"])
            return (base, _add_years(base, n)) if n else None
        n = cn_number(g["n2"])
        return (base, _add_months(base, n)) if n else None
    return None


def find_deadline(text: str, base: date) -> Deadline | None:
    """The first deadline expression in ``text`` (as written, with its date range)."""
    if not _HINT.search(text):
        return None  # cheap pre-check: every expression contains one of these characters
    for m in _EXPR.finditer(text):
        try:
            r = _resolve_match(m, base)
        except ValueError:
            r = None
        if r:
            return Deadline(text=m.group(0), start=r[0], end=r[1])
    return None


# A mid-year meeting plans the rest of the year: 「决战决胜下半年各项工作」「对下半年工作的
# 安排部署」. Its tasks without a deadline of their own are due by the end of that half.
_HORIZON = re.compile(r"下半年(?:各项|的|重点)?(?:工作|任务)")


def horizon(doc: ParsedDocument, base: date) -> Deadline | None:
    """The period the whole document plans for, when it names one (今年下半年)."""
    m = _HORIZON.search(doc.text)
    if not m:
        return None
    found = resolve("下半年", base)
    return Deadline(text="下半年", start=found[0], end=found[1]) if found else None


def assign_deadlines(doc: ParsedDocument) -> ParsedDocument:
    """Give each task a deadline from its own text, else its context, else the horizon."""
    base = doc.date or date.today()
    default = horizon(doc, base)
    by_span: dict[tuple[int, int], Deadline | None] = {}
    for task in doc.tasks:
        if task.deadline is not None:
            continue
        dl = find_deadline(task.text, base)
        if dl is None and task.context is not None:
            span = task.context
            if span not in by_span:  # indicators of one paragraph share its deadline
                by_span[span] = find_deadline(doc.text[span[0] : span[1]], base)
            dl = by_span[span]
        if dl is None and default is not None:
            dl = Deadline(text=default.text, start=default.start, end=default.end)
        task.deadline = dl
    return doc
