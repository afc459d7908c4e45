"""Calendar feeds: parsed back with icalendar and checked event by event, and the secret URL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from duban.core.models import AuditEntry
from duban.org.services import create_user
from duban.plans import access
from duban.plans.models import Assignment, Milestone, Task
from duban.supervision import ical
from duban.supervision.models import CalendarFeed, ProgressReport, ReportingSchedule

TODAY = dt.date(2026, 3, 10)
TZ = ZoneInfo("Asia/Shanghai")


def _task(plan, code, lead, *, co=(), status="in_progress", deadline=None):
    task = Task.objects.create(
        plan=plan, code=code, text=f"推进任务{code}", status=status, deadline=deadline
    )
    assignment = Assignment.objects.create(task=task, lead_unit=lead)
    assignment.co_units.add(*co)
    return task


@pytest.fixture
def tasks(plan, units):
    fgw, sw, cz = units["fgw"], units["sw"], units["cz"]
    t = {
        "1.1": _task(plan, "1.1", fgw, co=[sw], deadline=dt.date(2026, 6, 30)),
        "1.2": _task(plan, "1.2", fgw, status="proposed", deadline=dt.date(2026, 7, 31)),
        "1.3": _task(plan, "1.3", fgw, status="closed", deadline=dt.date(2026, 8, 31)),
        "2.1": _task(plan, "2.1", sw, status="confirmed", deadline=dt.date(2026, 9, 30)),
        "3.1": _task(plan, "3.1", cz, deadline=dt.date(2026, 5, 31)),
    }
    Milestone.objects.create(task=t["1.1"], name="方案制定", due_date=dt.date(2026, 4, 30))
    Milestone.objects.create(
        task=t["1.1"], name="验收销号", due_date=dt.date(2026, 6, 30), sort_order=1
    )
    ReportingSchedule.objects.create(
        task=t["1.1"], frequency="monthly", day=25, starts_on=dt.date(2026, 1, 1)
    )
    ReportingSchedule.objects.create(
        task=t["3.1"], frequency="monthly", day=25, starts_on=dt.date(2026, 1, 1)
    )
    return t


def _events(body: bytes) -> list:
    calendar = Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def _by_summary(events) -> dict[str, dt.date]:
    return {str(e["SUMMARY"]): e.decoded("DTSTART") for e in events}


def test_unit_feed_holds_the_units_deadlines_milestones_and_report_dates(units, tasks, office_user):
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    body = ical.build_calendar(feed, today=TODAY)
    calendar = Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "督办 · 市发展和改革委员会"
    events = _events(body)
    summaries = _by_summary(events)
    assert summaries["【完成时限】1.1 推进任务1.1"] == dt.date(2026, 6, 30)
    assert summaries["【阶段目标】1.1 方案制定"] == dt.date(2026, 4, 30)
    assert summaries["【阶段目标】1.1 验收销号"] == dt.date(2026, 6, 30)
    reports = sorted(
        e.decoded("DTSTART") for e in events if str(e["SUMMARY"]).startswith("【进展报送】")
    )
    # Monthly on the 25th up to the deadline; a 25th on a rest day is due the next
    # working day (Sunday 25 January → Monday 26, Saturday 25 April → Monday 27).
    assert reports == [
        dt.date(2026, 1, 26),
        dt.date(2026, 2, 25),
        dt.date(2026, 3, 25),
        dt.date(2026, 4, 27),
        dt.date(2026, 5, 25),
        dt.date(2026, 6, 25),
    ]
    # Not in the feed: a proposed task, a closed task, another unit's task.
    texts = " ".join(summaries)
    assert "1.2" not in texts and "1.3" not in texts and "3.1" not in texts and "2.1" not in texts
    assert len(events) == 3 + 6


def test_events_are_valid_all_day_events_with_unique_stable_uids(units, tasks, office_user):
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    body = ical.build_calendar(feed, today=TODAY)
    events = _events(body)
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    assert all(uid.endswith("@duban.local") for uid in uids)
    for event in events:
        start = event.decoded("DTSTART")
        assert type(start) is dt.date  # all-day, not a datetime
        assert event.decoded("DTEND") == start + dt.timedelta(days=1)
        assert event.decoded("DTSTAMP").utcoffset() == dt.timedelta(0)
    assert b"DTSTART;VALUE=DATE:20260630" in body
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in body.replace(b"\r\n", b"")

    # Editing the task changes the event, not its identity.
    task = tasks["1.1"]
    task.text = "推进任务1.1（调整后）"
    task.save()
    again = _events(ical.build_calendar(feed, today=TODAY))
    assert [str(e["UID"]) for e in again] == uids
    assert "【完成时限】1.1 推进任务1.1（调整后）" in _by_summary(again)


def test_co_unit_feed_has_the_shared_task_and_its_own_report_dates(units, tasks, office_user):
    feed = ical.issue_feed(actor=office_user, unit=units["sw"])
    events = _events(ical.build_calendar(feed, today=TODAY))
    summaries = _by_summary(events)
    assert "【完成时限】1.1 推进任务1.1" in summaries
    assert "【完成时限】2.1 推进任务2.1" in summaries
    report_uids = {str(e["UID"]) for e in events if "进展报送" in str(e["SUMMARY"])}
    sw = units["sw"].pk
    assert f"report-{tasks['1.1'].pk}-{sw}-20260325@duban.local" in report_uids
    assert all(f"-{sw}-" in uid for uid in report_uids)  # never the lead unit's reports
    assert not any("3.1" in s for s in summaries)


def test_delivered_reports_are_marked(units, tasks, office_user):
    ProgressReport.objects.create(
        task=tasks["1.1"],
        unit=units["fgw"],
        period_start=dt.date(2026, 1, 26),
        period_end=dt.date(2026, 2, 25),
        due_date=dt.date(2026, 2, 25),
        status="accepted",
    )
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    events = _events(ical.build_calendar(feed, today=TODAY))
    reports = [
        (str(e["SUMMARY"]), e.decoded("DTSTART"))
        for e in events
        if str(e["SUMMARY"]).startswith("【进展报送】")
    ]
    assert ("【进展报送】1.1 推进任务1.1（每月）（已报送）", dt.date(2026, 2, 25)) in reports
    assert ("【进展报送】1.1 推进任务1.1（每月）", dt.date(2026, 3, 25)) in reports
    assert len(reports) == 6
    assert sum("已报送" in summary for summary, _day in reports) == 1


def test_user_feeds_follow_what_the_user_may_see(units, tasks, office_user):
    clerk = create_user("czclerk", password="pw-clerk-1", unit=units["cz"], role="clerk")
    feed = ical.issue_feed(actor=clerk, user=clerk)
    summaries = _by_summary(_events(ical.build_calendar(feed, today=TODAY)))
    assert {s.split(" ")[0] for s in summaries} == {"【完成时限】3.1", "【进展报送】3.1"}

    # The office sees every live task's deadline, and reports nothing itself.
    feed = ical.issue_feed(actor=office_user, user=office_user)
    summaries = _by_summary(_events(ical.build_calendar(feed, today=TODAY)))
    deadlines = sorted(s for s in summaries if s.startswith("【完成时限】"))
    assert [s.split(" ")[0] for s in deadlines] == [
        "【完成时限】1.1",
        "【完成时限】2.1",
        "【完成时限】3.1",
    ]
    assert not any(s.startswith("【进展报送】") for s in summaries)


def test_who_may_issue_and_revoke_feeds(units, tasks, office_user):
    clerk = create_user("swclerk", password="pw-clerk-1", unit=units["sw"], role="clerk")
    with pytest.raises(access.NotAllowed):
        ical.issue_feed(actor=clerk, unit=units["fgw"])
    with pytest.raises(access.NotAllowed):
        ical.issue_feed(actor=clerk, user=office_user)
    with pytest.raises(ical.FeedError):
        ical.issue_feed(actor=office_user, user=clerk, unit=units["sw"])
    feed = ical.issue_feed(actor=clerk, unit=units["sw"])
    other = create_user("fgwclerk", password="pw-clerk-1", unit=units["fgw"], role="clerk")
    with pytest.raises(access.NotAllowed):
        ical.revoke_feed(feed, actor=other)
    ical.revoke_feed(feed, actor=clerk)
    assert feed.revoked_at is not None


def test_the_token_never_reaches_the_audit_log(units, office_user):
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    ical.revoke_feed(feed, actor=office_user)
    entries = AuditEntry.for_object(feed)
    assert {e.event for e in entries} >= {"calendar_feed_issued", "calendar_feed_revoked"}
    for entry in entries:
        assert feed.token not in repr(entry.before) + repr(entry.after)


# -- the URL ---------------------------------------------------------------------------


def test_feed_url_serves_text_calendar(client, units, tasks, office_user, settings):
    settings.ALLOWED_HOSTS = ["duban.example.gov.cn", "testserver"]
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    url = ical.feed_path(feed)
    assert url == f"/calendar/{feed.token}.ics"
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=TZ), tick=False):
        response = client.get(url, HTTP_HOST="duban.example.gov.cn")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = _events(response.content)
    assert len(events) == 9
    assert all(str(e["UID"]).endswith("@duban.example.gov.cn") for e in events)

    # An unchanged feed answers 304 to a calendar program that sends the ETag back.
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ), tick=False):
        again = client.get(
            url, HTTP_HOST="duban.example.gov.cn", HTTP_IF_NONE_MATCH=response["ETag"]
        )
    assert again.status_code == 304
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("token", ["not-a-real-token", "x" * 43])
def test_unknown_token_is_404(client, db, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_revoked_feed_is_404(client, units, tasks, office_user):
    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])
    url = ical.feed_path(feed)
    assert client.get(url).status_code == 200
    ical.revoke_feed(feed, actor=office_user)
    assert client.get(url).status_code == 404
    # A new address works; the old one stays dead.
    fresh = ical.issue_feed(actor=office_user, unit=units["fgw"])
    assert fresh.token != feed.token
    assert client.get(ical.feed_path(fresh)).status_code == 200
    assert client.get(url).status_code == 404


def test_disabled_users_feed_is_404(client, units, office_user):
    clerk = create_user("gone", password="pw-clerk-1", unit=units["cz"], role="clerk")
    feed = ical.issue_feed(actor=clerk, user=clerk)
    assert client.get(ical.feed_path(feed)).status_code == 200
    clerk.is_active = False
    clerk.save()
    assert client.get(ical.feed_path(feed)).status_code == 404


def test_a_feed_belongs_to_a_user_or_a_unit_never_both(units, office_user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create(user=office_user, unit=units["fgw"])
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarFeed.objects.create()


def test_feed_queries_do_not_grow_with_tasks(units, tasks, office_user, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    feed = ical.issue_feed(actor=office_user, unit=units["fgw"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            ical.build_calendar(feed, today=TODAY)
        return len(queries)

    before = count()
    for i in range(5):
        task = _task(plan, f"9.{i}", units["fgw"], co=[units["cz"]], deadline=dt.date(2026, 7, 1))
        Milestone.objects.create(task=task, name="阶段", due_date=dt.date(2026, 5, 1))
        ReportingSchedule.objects.create(
            task=task, frequency="weekly", day=5, starts_on=dt.date(2026, 3, 1)
        )
    assert count() == before
    assert before <= 8
