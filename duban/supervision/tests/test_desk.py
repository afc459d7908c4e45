"""The unit desk (我的任务) and the office desk (督查台) through the Django test client.

Today is Monday 2026-03-16; task 1.1 reports weekly on Fridays from 2026-03-01, so the
periods ending 03-06 and 03-13 are due (overdue) and the one ending 03-20 is due soon.
"""

# ruff: noqa: F811 - the shared fixtures are imported by name and used as arguments
from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.org.services import grant_role
from duban.plans.models import Task
from duban.plans.services import assign_task
from duban.plans.tests.test_views import client_for, frozen, world  # noqa: F401 - fixtures
from duban.supervision import services
from duban.supervision.choices import NoticeLevel, NoticeStatus, ReportStatus
from duban.supervision.models import Evidence, Notice, ProgressReport

MAR13 = "2026-03-13"


def report_url(task, period_end: str = MAR13) -> str:
    return f"/desk/report/{task.pk}/?period_end={period_end}"


def submit(world, who: str = "clerk", period_end: dt.date = dt.date(2026, 3, 13), **kw):
    end = period_end
    return services.submit_report(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"][who],
        period_start=end - dt.timedelta(days=6),
        period_end=end,
        due_date=end,
        percent=kw.pop("percent", 30),
        progress=kw.pop("progress", "完成选址"),
        **kw,
    )


# --- the unit desk ---------------------------------------------------------------------


def test_the_clerk_sees_what_the_unit_owes(world):
    task = world["task"]
    services.issue_notice(task, level="chase", reason="请尽快报送", actor=world["people"]["office"])
    r = client_for(world, "clerk").get("/desk/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "市商务局" in html
    assert f"/desk/report/{task.pk}/?period_end=2026-03-06" in html
    assert f"/desk/report/{task.pk}/?period_end=2026-03-13" in html
    assert f"/desk/report/{task.pk}/?period_end=2026-03-20" in html  # due soon
    assert "已逾期" in html
    assert "请尽快报送" in html  # the notice to answer


def test_a_sent_period_is_no_longer_owed(world):
    submit(world)
    html = client_for(world, "clerk").get("/desk/").content.decode()
    assert "period_end=2026-03-13" not in html
    assert "period_end=2026-03-06" in html


def test_office_without_a_unit_role_is_sent_to_the_office_desk(world):
    r = client_for(world, "office").get("/desk/")
    assert r.status_code == 302 and r["Location"] == "/office/"


def test_a_user_with_roles_in_two_units_sees_both(world):
    clerk = world["people"]["clerk"]
    grant_role(clerk, world["units"]["jy"], "clerk")
    other = Task.objects.create(plan=world["plan"], code="2.1", text="推进教育集团化办学")
    assign_task(other, lead_unit=world["units"]["jy"], actor=world["people"]["office"])
    html = client_for(world, "clerk").get("/desk/").content.decode()
    assert 'id="unit-{}"'.format(world["units"]["sw"].pk) in html
    assert 'id="unit-{}"'.format(world["units"]["jy"].pk) in html
    assert "推进教育集团化办学" in html


def test_clerk_submits_a_report_with_evidence(world):
    task = world["task"]
    c = client_for(world, "clerk")
    form = c.get(report_url(task))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in form.content.decode()
    files = [
        SimpleUploadedFile("现场照片.jpg", b"\xff\xd8jpeg", content_type="image/jpeg"),
        SimpleUploadedFile("会议纪要.txt", "纪要".encode(), content_type="text/plain"),
    ]
    r = c.post(
        report_url(task),
        {
            "progress": "完成选址和立项",
            "percent": "25",
            "problems": "用地指标紧张",
            "next_steps": "开展设计招标",
            "files": files,
        },
    )
    assert r.status_code == 302 and r["Location"] == "/desk/"
    report = ProgressReport.objects.get(task=task, period_end=dt.date(2026, 3, 13))
    assert report.status == ReportStatus.SUBMITTED
    assert report.unit == world["units"]["sw"]
    assert report.due_date == dt.date(2026, 3, 13) and report.is_late  # sent on Monday
    assert sorted(Evidence.objects.filter(report=report).values_list("name", flat=True)) == [
        "会议纪要.txt",
        "现场照片.jpg",
    ]


def test_report_form_errors_are_in_chinese(world):
    r = client_for(world, "clerk").post(report_url(world["task"]), {"percent": "120"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "请填写工作进展" in html and "0 到 100" in html
    assert not ProgressReport.objects.exists()


def test_an_oversized_file_is_refused_with_a_clear_message(world, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024 * 1024
    big = SimpleUploadedFile("扫描件.pdf", b"x" * (1024 * 1024 + 1))
    r = client_for(world, "clerk").post(
        report_url(world["task"]), {"progress": "进展", "percent": "10", "files": [big]}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "扫描件.pdf" in html and "超过每个文件 1 MB 的上限" in html
    assert not ProgressReport.objects.exists()


def test_a_period_the_task_does_not_have_is_404(world):
    c = client_for(world, "clerk")
    assert c.get(report_url(world["task"], "2026-03-12")).status_code == 404
    assert c.get(report_url(world["task"], "not-a-date")).status_code == 404


def test_another_units_clerk_cannot_open_the_report_form(world):
    c = client_for(world, "clerk2")
    assert c.get(report_url(world["task"])).status_code == 404
    assert c.post(report_url(world["task"]), {"progress": "x", "percent": 1}).status_code == 404


def test_a_returned_report_shows_its_reason_and_a_stale_resubmit_is_409(world):
    report = submit(world, who="unitlead")  # a unit leader's report goes straight up
    assert report.status == ReportStatus.UNIT_APPROVED
    services.review_report(
        report, actor=world["people"]["office"], accept=False, reason="缺少佐证材料"
    )
    c = client_for(world, "clerk")
    html = c.get("/desk/").content.decode()
    assert "缺少佐证材料" in html
    form = c.get(report_url(world["task"])).content.decode()
    report.refresh_from_db()
    assert f'name="version" value="{report.version}"' in form
    r = c.post(
        report_url(world["task"]),
        {"progress": "补充了材料的新进展", "percent": "40", "version": report.version - 1},
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert "已被他人修改" in html and "补充了材料的新进展" in html
    r = c.post(
        report_url(world["task"]),
        {"progress": "补充了材料的新进展", "percent": "40", "version": report.version},
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.percent == 40


def test_the_unit_leader_approves_and_a_clerk_cannot(world):
    report = submit(world)
    html = client_for(world, "unitlead").get("/desk/").content.decode()
    assert "待我审核的报告" in html and f"/desk/approve/{report.pk}/" in html
    assert client_for(world, "clerk").post(f"/desk/approve/{report.pk}/").status_code == 403
    assert client_for(world, "clerk2").post(f"/desk/approve/{report.pk}/").status_code == 404
    r = client_for(world, "unitlead").post(
        f"/desk/approve/{report.pk}/", {"version": report.version}
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.UNIT_APPROVED


def test_clerk_answers_a_notice_from_the_desk(world):
    notice, _ = services.issue_notice(
        world["task"], level="supervise", reason="进度滞后", actor=world["people"]["office"]
    )
    r = client_for(world, "clerk").post(
        f"/notices/{notice.pk}/reply/",
        {"reply": "已制定赶工计划", "version": notice.version, "next": "/desk/"},
    )
    assert r.status_code == 302 and r["Location"] == "/desk/"
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.REPLIED


def _many_tasks(world, n: int) -> None:
    office = world["people"]["office"]
    for i in range(n):
        task = Task.objects.create(
            plan=world["plan"],
            code=f"3.{i}",
            text=f"第{i}项任务",
            status="confirmed",
            deadline=dt.date(2026, 12, 31),
        )
        assign_task(
            task, lead_unit=world["units"]["sw"], co_units=[world["units"]["cz"]], actor=office
        )
        services.set_reporting_schedule(
            task, actor=office, frequency="weekly", day=5, starts_on=dt.date(2026, 2, 1)
        )
        services.issue_notice(task, level="chase", reason=f"催办{i}", actor=office)
        end = dt.date(2026, 2, 6)
        report = services.submit_report(
            task,
            actor=world["people"]["clerk"],
            period_start=end - dt.timedelta(days=6),
            period_end=end,
            due_date=end,
            percent=10,
            progress="进展",
            files=[("a.txt", b"a")],
        )
        if i % 2:
            services.review_report(
                services.approve_report(report, actor=world["people"]["unitlead"]),
                actor=office,
                accept=False,
                reason="补充",
            )


def test_desk_query_count_does_not_grow_with_tasks(world, django_assert_max_num_queries):
    c = client_for(world, "unitlead")
    _many_tasks(world, 2)
    with CaptureQueriesContext(connection) as small:
        assert c.get("/desk/").status_code == 200
    _many_tasks(world, 20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = c.get("/desk/")
    assert r.status_code == 200 and "第19项任务" in r.content.decode()
    assert len(small.captured_queries) <= 20


# --- the office desk -------------------------------------------------------------------------


def test_who_opens_the_office_desk(world):
    assert client_for(world, "office").get("/office/").status_code == 200
    leader = client_for(world, "leader").get("/office/")
    assert leader.status_code == 200
    assert "协调事项" in leader.content.decode() and "立即催办" not in leader.content.decode()
    for name in ("clerk", "unitlead", "viewer"):
        assert client_for(world, name).get("/office/").status_code == 403


def test_office_accepts_a_report(world):
    report = services.approve_report(submit(world, percent=35), actor=world["people"]["unitlead"])
    office = client_for(world, "office")
    html = office.get("/office/").content.decode()
    assert f"/office/review/{report.pk}/" in html and "完成选址" in html
    r = office.post(
        f"/office/review/{report.pk}/", {"decision": "accept", "version": report.version}
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.ACCEPTED
    assert Task.objects.get(pk=world["task"].pk).progress == 35


def test_office_returns_a_report_only_with_a_reason(world):
    report = services.approve_report(submit(world), actor=world["people"]["unitlead"])
    office = client_for(world, "office")
    r = office.post(
        f"/office/review/{report.pk}/", {"decision": "return", "version": report.version}
    )
    assert r.status_code == 400 and "写明原因" in r.content.decode()
    r = office.post(
        f"/office/review/{report.pk}/",
        {"decision": "return", "reason": "数据对不上", "version": report.version},
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "数据对不上")


def test_a_stale_review_is_409_and_keeps_the_reason(world):
    report = services.approve_report(submit(world), actor=world["people"]["unitlead"])
    r = client_for(world, "office").post(
        f"/office/review/{report.pk}/",
        {"decision": "return", "reason": "我写的退回理由", "version": report.version - 1},
    )
    assert r.status_code == 409
    assert "已被他人修改" in r.content.decode() and "我写的退回理由" in r.content.decode()
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.UNIT_APPROVED


def test_run_chasing_now_and_recompute(world):
    office = client_for(world, "office")
    r = office.post("/office/chase/")
    assert r.status_code == 302
    # 03-06 and 03-13 are missing; 03-13 is one working day late → 催办; 03-06 six → 督办.
    levels = set(Notice.objects.filter(task=world["task"]).values_list("level", flat=True))
    assert {NoticeLevel.CHASE, NoticeLevel.SUPERVISE} <= levels
    assert ProgressReport.objects.filter(status=ReportStatus.MISSING).count() == 2
    assert office.post("/office/recompute/").status_code == 302
    task = Task.objects.get(pk=world["task"].pk)
    assert task.light in ("yellow", "red") and task.light_reason
    html = office.get("/office/").content.decode()
    assert "逾期" in html
    for name in ("clerk", "leader"):
        assert client_for(world, name).post("/office/chase/").status_code == 403
        assert client_for(world, name).post("/office/recompute/").status_code == 403


def test_office_issues_a_notice_by_task_code(world):
    office = client_for(world, "office")
    r = office.post("/office/notice/", {"task": "1.1", "level": "supervise", "reason": "滞后"})
    assert r.status_code == 302
    assert Notice.objects.filter(task=world["task"], level="supervise").count() == 1
    r = office.post("/office/notice/", {"task": "9.9", "level": "chase", "reason": "x"})
    assert r.status_code == 400 and "找不到该任务" in r.content.decode()


def test_leader_decides_a_coordination_request(world):
    notice = services.request_coordination(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"]["unitlead"],
        text="用地指标需市里统筹",
    )
    leader = client_for(world, "leader")
    html = leader.get("/office/").content.decode()
    assert "用地指标需市里统筹" in html
    r = leader.post(
        f"/notices/{notice.pk}/reply/",
        {"reply": "请自然资源局支持", "version": notice.version, "next": "/office/"},
    )
    assert r.status_code == 302 and r["Location"] == "/office/"
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED and notice.reply == "请自然资源局支持"


def test_office_desk_query_count_does_not_grow(world, django_assert_max_num_queries):
    office = client_for(world, "office")

    def fill(n: int) -> None:
        _many_tasks(world, n)
        for report in ProgressReport.objects.filter(status=ReportStatus.SUBMITTED):
            services.approve_report(report, actor=world["people"]["unitlead"])
        services.request_closure(
            Task.objects.filter(assignment__isnull=False, status="confirmed").last(),
            actor=world["people"]["unitlead"],
            note="完成",
            files=[("验收.txt", b"ok")],
        )

    fill(2)
    with CaptureQueriesContext(connection) as small:
        assert office.get("/office/").status_code == 200
    fill(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = office.get("/office/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "催办19" in html and "验收.txt" in html
    assert len(small.captured_queries) <= 20


# --- htmx: the queue items answer in place ------------------------------------------------

HX = {"HTTP_HX_REQUEST": "true"}


def test_htmx_approval_answers_with_the_queue_item(world):
    report = submit(world)
    r = client_for(world, "unitlead").post(
        f"/desk/approve/{report.pk}/", {"version": report.version}, **HX
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.startswith('<article class="queue-item" id="approval-')
    assert "已审核通过" in html and "<html" not in html
    again = client_for(world, "unitlead").post(
        f"/desk/approve/{report.pk}/", {"version": report.version}, **HX
    )
    assert again.status_code == 409 and "已被他人修改" in again.content.decode()


def test_htmx_review_errors_and_conflicts_come_back_in_the_item(world):
    report = services.approve_report(submit(world), actor=world["people"]["unitlead"])
    office = client_for(world, "office")
    r = office.post(
        f"/office/review/{report.pk}/", {"decision": "return", "version": report.version}, **HX
    )
    assert r.status_code == 400 and "写明原因" in r.content.decode()
    assert "<html" not in r.content.decode()
    r = office.post(
        f"/office/review/{report.pk}/",
        {"decision": "return", "reason": "请补充照片", "version": report.version - 1},
        **HX,
    )
    assert r.status_code == 409
    assert "已被他人修改" in r.content.decode() and "请补充照片" in r.content.decode()
    r = office.post(
        f"/office/review/{report.pk}/",
        {"decision": "return", "reason": "请补充照片", "version": report.version},
        **HX,
    )
    assert r.status_code == 200 and "已退回1.1的报告" in r.content.decode()
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.RETURNED


def test_a_missing_period_stays_owed_after_the_schedule_changes(world):
    services.run_chasing()  # records 03-06 and 03-13 as missing
    assert ProgressReport.objects.filter(status=ReportStatus.MISSING).count() == 2
    services.set_reporting_schedule(
        Task.objects.get(pk=world["task"].pk),
        actor=world["people"]["office"],
        frequency="monthly",
        day=25,
        starts_on=dt.date(2026, 3, 1),
    )
    c = client_for(world, "clerk")
    html = c.get("/desk/").content.decode()
    assert "period_end=2026-03-06" in html and "period_end=2026-03-13" in html
    form = c.get(report_url(world["task"], "2026-03-06"))
    assert form.status_code == 200 and "2026-02-28" in form.content.decode()
    missing = ProgressReport.objects.get(period_end=dt.date(2026, 3, 6))
    r = c.post(
        report_url(world["task"], "2026-03-06"),
        {"progress": "补报", "percent": "5", "version": missing.version},
    )
    assert r.status_code == 302
    missing.refresh_from_db()
    assert missing.status == ReportStatus.SUBMITTED and missing.is_late
