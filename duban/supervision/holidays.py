"""Reading the State Council's holiday notice (国务院办公厅关于××××年部分节假日安排的通知).

Every autumn the State Council publishes next year's public holidays and make-up working
days (调休上班) in one short notice, always in the same shape::

    一、元旦：1月1日（周五）放假，与周末连休。
    二、春节：2月5日（农历除夕、周五）至13日（周六）放假调休，共9天。2月14日（周日）、
    2月20日（周六）上班。

The ``chinese_calendar`` package learns the new year only when it is released again, so the
office pastes the notice into the calendar page and :func:`parse_holiday_notice` turns it
into days. The parser is strict where a typo would silently shift a holiday: each weekday
written in brackets is checked against the date, a stated 「共N天」 must match the dates,
and a make-up working day must fall on a weekend. Problems come back as messages a clerk
can act on; nothing is saved by this module (see ``services.save_holiday_notice``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ONE_DAY = dt.timedelta(days=1)
CN_WEEKDAYS = "一二三四五六日"
_WEEKDAY_INDEX = {c: i for i, c in enumerate(CN_WEEKDAYS)} | {"天": 6}
WEEKDAY_LABELS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)

# An item head: 「一、元旦：」 (the text is NFKC-normalised first, so 「：」 is ":").
_ITEM = re.compile(r"(?:^|\n|\s|。)([一二三四五六七八九十]{1,3})、\s*([^:\n。，,]{1,20}?)\s*:")
# A date with optional year and month, and an optional bracket after it (weekday, lunar day).
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*\(([^()]*)\))?")
_RANGE_JOIN = re.compile(r"^\s*(?:至|到|—|–|-|~)\s*$")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_TOTAL = re.compile(r"共\s*(\d{1,2})\s*天")
_YEAR_IN_TITLE = re.compile(r"(?:关于|现将)\s*(\d{4})\s*年")
_ANY_YEAR = re.compile(r"(\d{4})\s*年")
_CLAUSE_SPLIT = re.compile(r"[,，。;；\n]")
# Where the items end: the closing paragraph (「节假日期间，各地区……」) or the signature.
_CLOSING = re.compile(
    r"\n\s*(?:节假日期间|国务院办公厅|\(此件公开发布\)|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:\n|$))"
)


@dataclass(frozen=True)
class NoticeDay:
    """One day the notice fixes: a rest day (放假) or a make-up working day (调休上班)."""

    date: dt.date
    is_workday: bool
    festival: str

    @property
    def weekday_label(self) -> str:
        return str(WEEKDAY_LABELS[self.date.weekday()])

    @property
    def note(self) -> str:
        """What the calendar row says: 「春节」 or 「春节调休上班」."""
        return (
            _("{festival}调休上班").format(festival=self.festival)
            if self.is_workday
            else (self.festival)
        )


@dataclass
class Festival:
    name: str
    rest: list[dt.date] = field(default_factory=list)
    work: list[dt.date] = field(default_factory=list)


@dataclass
class ParsedNotice:
    """The notice as read: its year, each festival's days, and what is wrong with it."""

    year: int | None
    festivals: list[Festival]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.festivals)

    @property
    def days(self) -> list[NoticeDay]:
        found = [NoticeDay(d, False, f.name) for f in self.festivals for d in f.rest]
        found += [NoticeDay(d, True, f.name) for f in self.festivals for d in f.work]
        return sorted(found, key=lambda d: d.date)

    @property
    def rest_count(self) -> int:
        return sum(len(f.rest) for f in self.festivals)

    @property
    def work_count(self) -> int:
        return sum(len(f.work) for f in self.festivals)


@dataclass
class _Date:
    date: dt.date | None
    start: int
    end: int
    weekday: int | None
    text: str


def _notice_year(preamble: str, fallback: int | None) -> int | None:
    found = _YEAR_IN_TITLE.search(preamble) or _ANY_YEAR.search(preamble)
    return int(found.group(1)) if found else fallback


def _dates(clause: str, year: int, errors: list[str], festival: str) -> list[_Date]:
    """The dates of one clause; a missing month or year is taken from the date before it."""
    result: list[_Date] = []
    prev: dt.date | None = None
    for m in _DATE.finditer(clause):
        y = int(m.group(1)) if m.group(1) else (prev.year if prev else year)
        month = int(m.group(2)) if m.group(2) else (prev.month if prev else None)
        day = int(m.group(3))
        text = m.group(0).split("(")[0].strip()
        if month is None:
            errors.append(
                _("“{festival}”中的“{text}”没有写月份。").format(festival=festival, text=text)
            )
            continue
        try:
            value = dt.date(y, month, day)
        except ValueError:
            errors.append(
                _("“{festival}”中的“{text}”不是有效日期。").format(festival=festival, text=text)
            )
            continue
        if prev is not None and not m.group(1) and value < prev:
            # 「12月31日至1月2日」: the range runs into the next year.
            value = value.replace(year=value.year + 1)
        weekday = _WEEKDAY.search(m.group(4) or "")
        result.append(
            _Date(
                value,
                m.start(),
                m.end(),
                _WEEKDAY_INDEX[weekday.group(1)] if weekday else None,
                text,
            )
        )
        prev = value
    return result


def _check_weekday(d: _Date, festival: str, errors: list[str]) -> None:
    if d.weekday is not None and d.date is not None and d.weekday != d.date.weekday():
        errors.append(
            _(
                "“{festival}”：{date}写的是{written}，但{year}年{month}月{day}日是{actual}，"
                "请核对日期或年份。"
            ).format(
                festival=festival,
                date=d.text,
                written=WEEKDAY_LABELS[d.weekday],
                year=d.date.year,
                month=d.date.month,
                day=d.date.day,
                actual=WEEKDAY_LABELS[d.date.weekday()],
            )
        )


def _expand(clause: str, dates: list[_Date]) -> list[dt.date]:
    """Dates joined by 「至」 become every day between them; others stand alone."""
    days: list[dt.date] = []
    i = 0
    while i < len(dates):
        first = dates[i]
        if i + 1 < len(dates) and _RANGE_JOIN.match(clause[first.end : dates[i + 1].start]):
            last = dates[i + 1]
            day = first.date
            while day is not None and last.date is not None and day <= last.date:
                days.append(day)
                day += ONE_DAY
            i += 2
        else:
            if first.date is not None:
                days.append(first.date)
            i += 1
    return days


def _read_item(name: str, body: str, year: int, errors: list[str]) -> Festival:
    festival = Festival(name=name)
    pending: list[dt.date] = []
    stated_total: int | None = None
    for clause in _CLAUSE_SPLIT.split(body):
        dates = _dates(clause, year, errors, name)
        for d in dates:
            _check_weekday(d, name, errors)
        days = _expand(clause, dates)
        total = _TOTAL.search(clause)
        if total:
            stated_total = (stated_total or 0) + int(total.group(1))
        if "上班" in clause:
            festival.work.extend(pending + days)
            pending = []
        elif "放假" in clause or "休息" in clause:
            festival.rest.extend(pending + days)
            pending = []
        else:
            # 「2月14日（周日）、」 then 「2月20日（周六）上班」 on the next line.
            pending.extend(days)
    if pending:
        errors.append(
            _("“{festival}”中的{dates}没有写明是放假还是上班。").format(
                festival=name, dates="、".join(_md(d) for d in pending)
            )
        )
    festival.rest = sorted(set(festival.rest))
    festival.work = sorted(set(festival.work))
    if not festival.rest:
        errors.append(_("“{festival}”没有找到放假日期。").format(festival=name))
    if stated_total is not None and festival.rest and stated_total != len(festival.rest):
        errors.append(
            _(
                "“{festival}”写明共{stated}天，但按日期计算是{counted}天（{first}至{last}）。"
            ).format(
                festival=name,
                stated=stated_total,
                counted=len(festival.rest),
                first=_md(festival.rest[0]),
                last=_md(festival.rest[-1]),
            )
        )
    for day in festival.work:
        if day.weekday() < 5:
            errors.append(
                _("“{festival}”的调休上班日{date}是{weekday}，本来就是工作日，请核对。").format(
                    festival=name, date=_md(day), weekday=WEEKDAY_LABELS[day.weekday()]
                )
            )
    return festival


def _md(d: dt.date) -> str:
    return _("{month}月{day}日").format(month=d.month, day=d.day)


def parse_holiday_notice(text: str, *, year: int | None = None) -> ParsedNotice:
    """Read a pasted holiday notice; ``year`` is used when the text does not name one.

    The year written in the notice (「关于2027年部分节假日安排的通知」) wins over ``year``,
    since the title is what the State Council signed.
    """
    normalized = unicodedata.normalize("NFKC", text or "").replace("\r", "")
    errors: list[str] = []
    heads = list(_ITEM.finditer(normalized))
    if not heads:
        return ParsedNotice(
            year,
            [],
            [_("没有识别出节日安排。请粘贴通知正文，其中应有“一、元旦：1月1日放假……”这样的条目。")],
        )
    notice_year = _notice_year(normalized[: heads[0].start() + 1], year)
    if notice_year is None:
        return ParsedNotice(
            None,
            [],
            [_("没有找到年份：请保留通知标题中的“××××年”，或在上方填写年份。")],
        )
    festivals: list[Festival] = []
    for i, head in enumerate(heads):
        if i + 1 < len(heads):
            end = heads[i + 1].start() + 1
        else:
            closing = _CLOSING.search(normalized, head.end())
            end = closing.start() if closing else len(normalized)
        body = normalized[head.end() : end]
        festivals.append(_read_item(head.group(2).strip(), body, notice_year, errors))
    seen: dict[dt.date, tuple[str, bool]] = {}
    for f in festivals:
        for day, work in [(d, False) for d in f.rest] + [(d, True) for d in f.work]:
            other = seen.get(day)
            if other is not None and (other[1] != work or other[0] != f.name):
                errors.append(
                    _("{date}在“{a}”和“{b}”中都出现了，请核对。").format(
                        date=_md(day), a=other[0], b=f.name
                    )
                )
            seen[day] = (f.name, work)
    return ParsedNotice(notice_year, festivals, errors)
