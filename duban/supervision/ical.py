"""Calendar feeds (iCalendar, RFC 5545): a unit's or a user's deadlines in their own calendar.

A clerk subscribes once to ``/calendar/<token>.ics`` in Outlook, Thunderbird, a phone or a
work-chat calendar, and sees every date duban holds them to:

* 完成时限: each live task's deadline;
* 阶段目标: each milestone's due date;
* 进展报送: each report due date of the unit's reporting schedules, from the same period
  rules the reminders use (:mod:`duban.supervision.periods`), from three months back to a
  year ahead; a report already delivered is marked 「已报送」.

A *unit feed* holds the tasks the unit leads or co-operates on and the unit's own report
dates. A *user feed* holds the tasks the user may see (:func:`duban.plans.access.visible_tasks`)
and the report dates of the units the user reports for; the office's staff, who see every
task, get deadlines and milestones but no report dates (they do not report).

Calendar programs cannot log in, so the secret token in the address is the credential:
revoking a feed makes its address answer 404 at once, like an address that never existed.
Events are all-day (``DTSTART;VALUE=DATE``); each has a UID that stays the same across
refreshes, so calendars update events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import icalendar
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import audit
from duban.org.models import Unit
from duban.plans import access
from duban.plans.choices import Light, PlanStatus, TaskStatus
from duban.plans.models import Task
from duban.supervision import periods
from duban.supervision.choices import Frequency, ReportStatus
from duban.supervision.models import CalendarFeed, ProgressReport
from duban.supervision.workdays import load_calendar

# Tasks whose dates still matter: confirmed and not yet closed.
LIVE_STATUSES = (TaskStatus.CONFIRMED, TaskStatus.IN_PROGRESS, TaskStatus.CLOSURE_REQUESTED)
REPORTS_BACK = dt.timedelta(days=92)
REPORTS_AHEAD = dt.timedelta(days=366)
DEFAULT_DOMAIN = "duban.local"
_DELIVERED = (ReportStatus.SUBMITTED, ReportStatus.UNIT_APPROVED, ReportStatus.ACCEPTED)
_SUMMARY_TEXT = 40


class FeedError(ValueError):
    """A feed cannot be issued as asked (neither or both of user and unit)."""


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    day: dt.date
    summary: str
    description: str
    category: str
    stamp: dt.datetime


# -- issuing and revoking ------------------------------------------------------------------


def _may_manage(actor: Any, *, user: Any = None, unit: Unit | None = None) -> bool:
    if access.is_office(actor):
        return True
    grants = access.grants(actor)
    if user is not None:
        return getattr(actor, "pk", None) == user.pk
    return unit is not None and unit.pk in grants.unit_roles


@transaction.atomic
def issue_feed(*, actor: Any, user: Any = None, unit: Unit | None = None) -> CalendarFeed:
    """A new secret calendar address for ``user`` (themselves) or ``unit`` (its people).

    The office may issue any feed. Old addresses stay valid until revoked.
    """
    if (user is None) == (unit is None):
        raise FeedError(_("日历订阅须且只能对应一个用户或一个单位。"))
    if not _may_manage(actor, user=user, unit=unit):
        raise access.NotAllowed("issue_feed")
    with audit.acting_as(actor):
        feed = CalendarFeed.objects.create(user=user, unit=unit)
        audit.record_event(feed, "calendar_feed_issued")
    return feed


@transaction.atomic
def revoke_feed(feed: CalendarFeed, *, actor: Any) -> CalendarFeed:
    """Stop a feed: its address answers 404 from now on (a leaked link is made harmless)."""
    if not _may_manage(actor, user=feed.user, unit=feed.unit):
        raise access.NotAllowed("revoke_feed")
    with audit.acting_as(actor):
        if feed.revoked_at is None:
            feed.revoked_at = timezone.now()
            feed.save()
            audit.record_event(feed, "calendar_feed_revoked")
    return feed


def active_feed(token: str) -> CalendarFeed | None:
    """The feed behind ``token``, or ``None`` when unknown, revoked or its owner is disabled."""
    feed = (
        CalendarFeed.objects.select_related("user", "unit")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return None
    if feed.user_id and not feed.user.is_active:
        return None
    if feed.unit_id and not feed.unit.is_active:
        return None
    return feed


def feed_path(feed: CalendarFeed) -> str:
    """The feed's address on this site (``/calendar/<token>.ics``)."""
    return reverse("calendar-feed", kwargs={"token": feed.token})


# -- events --------------------------------------------------------------------------------


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SUMMARY_TEXT else text[: _SUMMARY_TEXT - 1] + "…"


def _scope(feed: CalendarFeed) -> tuple[Any, set[int]]:
    """The feed's tasks (a queryset) and the units whose report dates it shows."""
    tasks = Task.objects.filter(status__in=LIVE_STATUSES).exclude(plan__status=PlanStatus.ARCHIVED)
    if feed.unit_id:
        tasks = tasks.filter(
            Q(assignment__lead_unit_id=feed.unit_id) | Q(assignment__co_units=feed.unit_id)
        ).distinct()
        return tasks, {feed.unit_id}
    return access.visible_tasks(feed.user, tasks), set(access.grants(feed.user).unit_ids)


def feed_events(feed: CalendarFeed, *, today: dt.date | None = None) -> list[FeedEvent]:
    """Every event of the feed, sorted by day; see the module docstring for what is in it."""
    today = today or timezone.localdate()
    tasks_qs, reporting_units = _scope(feed)
    tasks = list(
        tasks_qs.select_related("assignment__lead_unit", "reporting_schedule").prefetch_related(
            "milestones", "assignment__co_units"
        )
    )
    events: list[FeedEvent] = []
    for task in tasks:
        events += _task_events(task)
    events += _report_events(tasks, reporting_units, today)
    events.sort(key=lambda e: (e.day, e.uid))
    return events


def _lead_name(task: Task) -> str:
    assignment = _assignment(task)
    return assignment.lead_unit.name if assignment is not None else ""


def _assignment(task: Task) -> Any:
    return access.assignment_of(task)


def _describe(task: Task) -> str:
    lines = [f"{task.code} {task.text}".strip()]
    lead = _lead_name(task)
    if lead:
        lines.append(_("牵头单位：{unit}").format(unit=lead))
    if task.deadline:
        lines.append(_("完成时限：{date}").format(date=task.deadline.isoformat()))
    lines.append(_("当前进度：{percent}%").format(percent=task.progress))
    if task.light != Light.NONE:
        lines.append(_("亮灯：{light}").format(light=task.get_light_display()))
    return "\n".join(lines)


def _task_events(task: Task) -> list[FeedEvent]:
    events = []
    label = f"{task.code} {_short(task.text)}".strip()
    if task.deadline:
        events.append(
            FeedEvent(
                uid=f"task-{task.pk}-deadline",
                day=task.deadline,
                summary=_("【完成时限】{task}").format(task=label),
                description=_describe(task),
                category=_("完成时限"),
                stamp=task.updated_at,
            )
        )
    for milestone in task.milestones.all():
        done = _("（已完成）") if milestone.done_at else ""
        events.append(
            FeedEvent(
                uid=f"milestone-{milestone.pk}",
                day=milestone.due_date,
                summary=_("【阶段目标】{code} {milestone}{done}")
                .format(code=task.code, milestone=milestone.name, done=done)
                .replace("】 ", "】"),
                description=_describe(task),
                category=_("阶段目标"),
                stamp=milestone.updated_at,
            )
        )
    return events


def _report_events(tasks: list[Task], reporting_units: set[int], today: dt.date) -> list[FeedEvent]:
    """Report due dates of ``reporting_units`` on ``tasks``, within the reporting window."""
    if not reporting_units:
        return []
    first, last = today - REPORTS_BACK, today + REPORTS_AHEAD
    calendar = None
    due: dict[tuple[int, int, dt.date], tuple[Task, dt.date, str]] = {}
    for task in tasks:
        schedule = getattr(task, "reporting_schedule", None) if _has_schedule(task) else None
        assignment = _assignment(task)
        if schedule is None or assignment is None:
            continue
        units = {assignment.lead_unit_id}
        if schedule.co_units_report:
            units |= {u.pk for u in assignment.co_units.all()}
        units &= reporting_units
        if not units:
            continue
        calendar = calendar or load_calendar()
        end = schedule.ends_on or task.deadline
        if end is None and schedule.frequency == Frequency.ONCE:
            continue
        for period in periods.schedule_periods(schedule, calendar=calendar, until=last, end=end):
            if first <= period.due_date <= last:
                for unit_id in units:
                    due[(task.pk, unit_id, period.period_end)] = (
                        task,
                        period.due_date,
                        schedule.get_frequency_display(),
                    )
    # Rows already in the database win: they know the real due date and the status.
    by_pk = {t.pk: t for t in tasks}
    delivered: set[tuple[int, int, dt.date]] = set()
    rows = ProgressReport.objects.filter(
        task_id__in=list(by_pk), unit_id__in=reporting_units, due_date__range=(first, last)
    ).values_list("task_id", "unit_id", "period_end", "due_date", "status")
    for task_id, unit_id, period_end, due_date, status in rows:
        key = (task_id, unit_id, period_end)
        frequency = due[key][2] if key in due else ""
        due[key] = (by_pk[task_id], due_date, frequency)
        if status in _DELIVERED:
            delivered.add(key)
    unit_names = dict(Unit.objects.filter(pk__in=reporting_units).values_list("pk", "name"))
    events = []
    for key, (task, due_date, frequency) in due.items():
        task_id, unit_id, period_end = key
        schedule_stamp = task.reporting_schedule.updated_at if _has_schedule(task) else None
        note = _("（已报送）") if key in delivered else ""
        rhythm = f"（{frequency}）" if frequency else ""
        events.append(
            FeedEvent(
                uid=f"report-{task_id}-{unit_id}-{period_end:%Y%m%d}",
                day=due_date,
                summary=_("【进展报送】{code} {task}{rhythm}{note}").format(
                    code=task.code, task=_short(task.text), rhythm=rhythm, note=note
                ),
                description="\n".join(
                    [
                        _describe(task),
                        _("报送单位：{unit}").format(unit=unit_names.get(unit_id, "")),
                        _("报送周期截至：{date}").format(date=period_end.isoformat()),
                    ]
                ),
                category=_("进展报送"),
                stamp=schedule_stamp or task.updated_at,
            )
        )
    return events


def _has_schedule(task: Task) -> bool:
    try:
        task.reporting_schedule  # noqa: B018 - raises when the task has no schedule
    except Task.reporting_schedule.RelatedObjectDoesNotExist:
        return False
    return True


# -- the iCalendar text ---------------------------------------------------------------


def feed_name(feed: CalendarFeed) -> str:
    owner = feed.unit.name if feed.unit_id else str(feed.user)
    return _("督办 · {owner}").format(owner=owner)


def build_calendar(
    feed: CalendarFeed, *, today: dt.date | None = None, domain: str = DEFAULT_DOMAIN
) -> bytes:
    """The feed as an iCalendar document (UTF-8, CRLF lines folded at 75 octets).

    ``domain`` completes each UID (``task-12-deadline@domain``); the view passes the host
    the feed is served from, so UIDs stay the same for every refresh of one subscription.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//duban//督办//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # No METHOD: without it RFC 5545 defines DTSTAMP as the time the event's information was
    # last revised, which is the source row's update time. That keeps an unchanged feed
    # byte-identical between polls, so its ETag holds.
    cal.add("x-wr-calname", feed_name(feed))
    # Ask clients to refresh hourly (RFC 7986, and the older Microsoft property).
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in feed_events(feed, today=today):
        item = icalendar.Event()
        item.add("uid", f"{event.uid}@{domain}")
        item.add("dtstamp", event.stamp.astimezone(dt.UTC))
        item.add("dtstart", event.day)
        item.add("dtend", event.day + dt.timedelta(days=1))
        item.add("summary", event.summary)
        item.add("description", event.description)
        item.add("categories", [event.category])
        item.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        cal.add_component(item)
    return cal.to_ical()
