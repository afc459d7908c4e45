"""Chinese working days: weekends, public holidays and make-up working days (调休).

Deadlines, milestones and report due dates are counted in *working days*, the way the
office counts them. A day is a working day by this order of precedence:

1. the office's own :class:`~duban.supervision.models.CalendarDay` rows (a local holiday,
   a year the package does not know yet, a correction) win over everything;
2. the State Council's holiday tables as shipped in the ``chinese_calendar`` package:
   public holidays are rest days even on a weekday, and make-up working days (调休上班,
   e.g. Sunday 2025-09-28 before National Day) are working days even on a weekend —
   government offices work on them, so a report or milestone can fall due on them;
3. otherwise Monday to Friday are working days and Saturday and Sunday are rest days.

``chinese_calendar`` 1.11 covers 2004–2026 (:func:`package_years` reads the range from its
data, so an upgrade extends it automatically). Dates outside that range fall back to rule 3
unless the office has entered days for that year; :meth:`WorkCalendar.coverage` reports
which years were used without holiday data, so the office can be warned to add them.
The log gets one warning per missing year per process (:func:`warn_missing_year`): a
page or job builds a fresh calendar for every request, and repeating the same line each
time buried everything else on the console (``duban demo`` printed it 36 times).

:class:`WorkCalendar` is pure (no database); :func:`load_calendar` builds one from the
office's rows. Counting is O(log n): the calendar keeps only the days whose status differs
from the weekend rule, sorted, with running totals, so 20,000 tasks can be lit quickly.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)


@functools.cache
def _package_days() -> tuple[dict[dt.date, bool], tuple[int, int]]:
    """The package's holidays (False) and make-up working days (True), and its year range.

    Loaded on first use rather than at import time.
    """
    import chinese_calendar

    days: dict[dt.date, bool] = {d: False for d in chinese_calendar.holidays}
    days.update({d: True for d in chinese_calendar.workdays})
    years = [d.year for d in days]
    return days, (min(years), max(years))


def package_years() -> tuple[int, int]:
    """First and last year for which the installed ``chinese_calendar`` has holiday tables."""
    return _package_days()[1]


_warned_years: set[int] = set()
# ``duban demo`` warns before it starts its worker and hands it the years already reported,
# so one console shows one line per year, not one per process.
WARNED_ENV = "DUBAN_CALENDAR_WARNED"


def warn_missing_year(year: int) -> bool:
    """Log, once per process, that ``year`` is counted without holiday data.

    Returns whether this call logged (False when the year was already reported here, or by
    the parent process named in ``DUBAN_CALENDAR_WARNED``).
    """
    inherited = os.environ.get(WARNED_ENV, "").split(",")
    if year in _warned_years or str(year) in inherited:
        _warned_years.add(year)
        return False
    _warned_years.add(year)
    first, last = package_years()
    logger.warning(
        "working-day calendar: no holiday data for %s (the chinese-calendar package covers "
        "%s-%s); counting Monday to Friday as working days until the office enters %s's "
        "holidays and make-up working days on /manage/calendar/",
        year,
        first,
        last,
        year,
    )
    return True


def warned_years() -> list[int]:
    """The years this process has warned about, for a child process's ``DUBAN_CALENDAR_WARNED``."""
    return sorted(_warned_years)


def warn_uncovered_years(years: list[int] | range) -> list[int]:
    """Warn now about each of ``years`` that neither the package nor the office covers.

    ``duban demo`` calls this for this year and the next before serving, so the warning is
    the first thing on the console rather than a line in the middle of a request log.
    """
    calendar = load_calendar()
    for year in years:
        calendar._note_years(year, year)
    return list(calendar.coverage().uncovered_years_used)


def forget_warned_years() -> None:
    """Let the next use of a missing year warn again (for tests and long-lived workers)."""
    _warned_years.clear()


def _weekend_rule(d: dt.date) -> bool:
    return d.weekday() < 5


@dataclass(frozen=True)
class CalendarCoverage:
    """Which years the calendar knows holidays for, and which were used without them."""

    package_years: tuple[int, int]
    office_years: tuple[int, ...]
    uncovered_years_used: tuple[int, ...]
    warning: str = ""


@dataclass
class WorkCalendar:
    """Working days from the packaged tables, overridden by ``exceptions`` (date → workday).

    ``use_package=False`` gives a plain Monday–Friday calendar plus the exceptions (for
    tests and for offices outside mainland China's holiday system).
    """

    exceptions: Mapping[dt.date, bool] = field(default_factory=dict)
    use_package: bool = True

    def __post_init__(self) -> None:
        if self.use_package:
            package, self._years = _package_days()
            status = dict(package)
        else:
            status, self._years = {}, (0, -1)
        status.update(self.exceptions)
        self._office_years = frozenset(d.year for d in self.exceptions)
        # Keep only the days that differ from the weekend rule; everything else follows it.
        deviations = sorted(d for d, work in status.items() if work != _weekend_rule(d))
        self._deviation_dates = deviations
        self._deviation_status = {d: status[d] for d in deviations}
        running, total = [], 0
        for d in deviations:
            total += 1 if status[d] else -1
            running.append(total)
        self._running = running
        self._uncovered_used: set[int] = set()
        self._between: dict[tuple[dt.date, dt.date], int] = {}

    # -- single days ---------------------------------------------------------------------

    def is_workday(self, d: dt.date) -> bool:
        """Whether ``d`` is a working day (see the module docstring for the precedence)."""
        self._note_years(d.year, d.year)
        found = self._deviation_status.get(d)
        return _weekend_rule(d) if found is None else found

    def is_restday(self, d: dt.date) -> bool:
        return not self.is_workday(d)

    def next_workday(self, d: dt.date, *, inclusive: bool = False) -> dt.date:
        """The first working day after ``d`` (or ``d`` itself if ``inclusive`` and it works)."""
        day = d if inclusive else d + ONE_DAY
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def previous_workday(self, d: dt.date, *, inclusive: bool = False) -> dt.date:
        """The last working day before ``d`` (or ``d`` itself if ``inclusive`` and it works)."""
        day = d if inclusive else d - ONE_DAY
        while not self.is_workday(day):
            day -= ONE_DAY
        return day

    # -- counting ------------------------------------------------------------------------

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        """Working days ``d`` with ``a < d <= b``; negative (the same count) when ``b < a``.

        Half-open like a distance, so ``workdays_between(d, add_workdays(d, n)) == n`` for
        ``n >= 0``. To count the working days of a span *including* its first day, pass the day
        before it: ``workdays_between(start - 1 day, end)``.
        """
        if b < a:
            return -self.workdays_between(b, a)
        # Remembered per calendar: the nightly run asks the same spans (a plan's start to
        # each deadline) tens of thousands of times.
        found = self._between.get((a, b))
        if found is None:
            self._note_years(a.year, b.year)
            found = self._plain_count(a, b) + self._deviation_sum(a, b)
            self._between[(a, b)] = found
        return found

    def add_workdays(self, d: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``d`` (before it when ``n`` is negative).

        ``d`` itself is not counted, so adding 1 to a Friday gives the next Monday, and
        ``n == 0`` returns ``d`` unchanged even if it is a rest day.
        """
        step = ONE_DAY if n > 0 else -ONE_DAY
        day, remaining = d, abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def coverage(self) -> CalendarCoverage:
        """The covered years and a warning naming the years used without holiday data."""
        uncovered = tuple(sorted(self._uncovered_used))
        warning = ""
        if uncovered:
            first, last = self._years
            warning = _(
                "节假日数据仅覆盖{first}—{last}年，{years}年按“周一至周五上班、周末休息”计算；"
                "请在“工作日历调整”中录入该年度的法定节假日和调休上班日。"
            ).format(first=first, last=last, years="、".join(str(y) for y in uncovered))
        return CalendarCoverage(
            package_years=self._years,
            office_years=tuple(sorted(self._office_years)),
            uncovered_years_used=uncovered,
            warning=warning,
        )

    # -- internals -----------------------------------------------------------------------

    def _note_years(self, first: int, last: int) -> None:
        lo, hi = self._years
        if lo <= first and last <= hi:
            return
        for year in range(first, last + 1):
            # A year counts as covered once the office has entered any day of it.
            if not (lo <= year <= hi) and year not in self._office_years:
                if year not in self._uncovered_used:
                    warn_missing_year(year)
                self._uncovered_used.add(year)

    @staticmethod
    def _plain_count(a: dt.date, b: dt.date) -> int:
        """Monday–Friday days in (a, b] by arithmetic, without walking the days."""
        days = (b - a).days
        weeks, rest = divmod(days, 7)
        count = weeks * 5
        weekday = a.weekday()
        for _i in range(rest):
            weekday = (weekday + 1) % 7
            if weekday < 5:
                count += 1
        return count

    def _deviation_sum(self, a: dt.date, b: dt.date) -> int:
        """Net correction (+1 make-up day, −1 weekday holiday) for the days in (a, b]."""
        lo = bisect.bisect_right(self._deviation_dates, a)
        hi = bisect.bisect_right(self._deviation_dates, b)
        if hi <= lo:
            return 0
        return self._running[hi - 1] - (self._running[lo - 1] if lo else 0)


def load_calendar() -> WorkCalendar:
    """The calendar in force: the packaged tables plus the office's ``CalendarDay`` rows."""
    from duban.supervision.models import CalendarDay

    exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
    return WorkCalendar(exceptions)
