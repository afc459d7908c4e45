"""A helper test_cascade_two_instances.py runs as separate processes, one per instance.

Each command runs against the instance named by the environment (``DUBAN_HOME`` and,
in the PostgreSQL pass, ``DUBAN_DATABASE_URL``) and prints one line of JSON:

``city-setup DISTRICT_URL SECRET``
    migrate; a city with 金水区 (a remote district whose endpoint is DISTRICT_URL), its
    office, the district's clerk with a write token, a confirmed plan with one task;
``city-assign``
    the office assigns the task to 金水区, then the worker delivers the outbox once;
``district-setup``
    migrate; the district's own units (its office and 金水区商务局) and people;
``district-work PERCENT``
    the received task is assigned to 金水区商务局, its clerk reports PERCENT, the office
    accepts, then the worker pushes the outbox once;
``city-check``
    the city task's reports, as the city sees them;
``city-withdraw``
    the office gives the task to 市住房保障局 instead, then the worker delivers once;
``district-check``
    the received task and its sub-tasks, with their status.
"""

from __future__ import annotations

import json
import sys

from duban.conf import setup_django

setup_django()

import datetime as dt  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from duban.core import jobs  # noqa: E402


def _drain() -> list[dict]:
    from duban.core.models import OutboxMessage

    jobs.work(once=True)
    return [
        {"key": m.key, "sent": m.sent_at is not None, "attempts": m.attempts}
        for m in OutboxMessage.objects.order_by("id")
    ]


def city_setup(district_url: str, secret: str) -> dict:
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.org.tokens import issue_token
    from duban.plans.choices import PlanStatus, TaskStatus
    from duban.plans.models import Plan, Task
    from duban.supervision.models import WebhookEndpoint

    call_command("migrate", interactive=False, verbosity=0)
    root = Unit.objects.create(name="示例市", kind="root")
    office_unit = Unit.objects.create(name="市委督查室", kind="office", parent=root)
    district = Unit.objects.create(name="金水区", kind="district", parent=root)
    Unit.objects.create(name="市住房保障局", kind="government", parent=root)
    create_user("office", password="x", unit=office_unit, role="office")
    clerk = create_user("js_clerk", password="x", unit=district, role="clerk")
    _row, key = issue_token(clerk, scope="write", days=1)
    WebhookEndpoint.objects.create(
        name="金水区督办系统",
        kind="generic",
        url=f"{district_url}/api/cascade/inbound/",
        secret=secret,
        district=district,
    )
    plan = Plan.objects.create(title="2026年工作要点", year=2026, status=PlanStatus.CONFIRMED)
    task = Task.objects.create(
        plan=plan,
        code="3.2",
        text="推进老旧小区改造",
        status=TaskStatus.CONFIRMED,
        deadline=timezone.localdate() + dt.timedelta(days=200),
    )
    return {"task": task.pk, "token": key, "district": district.pk}


def city_assign() -> dict:
    from duban.org.models import Unit, User
    from duban.plans.models import Task
    from duban.plans.services import assign_task

    task = Task.objects.get()
    assign_task(
        task,
        lead_unit=Unit.objects.get(name="金水区"),
        actor=User.objects.get(username="office"),
    )
    return {"outbox": _drain()}


def district_setup() -> dict:
    from duban.org.models import Unit
    from duban.org.services import create_user

    call_command("migrate", interactive=False, verbosity=0)
    root = Unit.objects.create(name="金水区委、区政府", kind="root")
    office_unit = Unit.objects.create(name="金水区委督查室", kind="office", parent=root)
    dept = Unit.objects.create(name="金水区住房和城乡建设局", kind="government", parent=root)
    create_user("office", password="x", unit=office_unit, role="office")
    create_user("dept_clerk", password="x", unit=dept, role="clerk")
    return {"dept": dept.pk}


def district_work(percent: int) -> dict:
    from duban.org.models import Unit, User
    from duban.plans.services import add_subtask, assign_task
    from duban.supervision.models import RemoteTask
    from duban.supervision.services import review_report, submit_report

    link = RemoteTask.objects.select_related("task").get()
    office = User.objects.get(username="office")
    assign_task(link.task, lead_unit=Unit.objects.get(kind="government"), actor=office)
    today = timezone.localdate()
    report = submit_report(
        link.task,
        actor=User.objects.get(username="dept_clerk"),
        period_start=today - dt.timedelta(days=6),
        period_end=today,
        due_date=today,
        percent=percent,
        progress="完成12个小区的入户调查",
    )
    review_report(report, actor=office, accept=True)
    add_subtask(link.task, actor=office, text="完成入户调查")
    return {"task": link.task.pk, "city_task": link.city_task_id, "outbox": _drain()}


def city_check() -> dict:
    from duban.plans.models import Task
    from duban.supervision.models import ProgressReport

    task = Task.objects.get()
    return {
        "reports": [
            {
                "unit": r.unit.name,
                "percent": r.percent,
                "status": r.status,
                "text": r.progress,
                "submitter": str(r.submitter),
                "remote_source": r.remote_source,
                "signed": r.remote_signature.startswith("sha256="),
            }
            for r in ProgressReport.objects.filter(task=task).select_related("unit")
        ]
    }


def city_withdraw() -> dict:
    from duban.org.models import Unit, User
    from duban.plans.models import Task
    from duban.plans.services import assign_task

    assign_task(
        Task.objects.get(),
        lead_unit=Unit.objects.get(name="市住房保障局"),
        actor=User.objects.get(username="office"),
    )
    return {"outbox": _drain()}


def district_check() -> dict:
    from duban.plans.cascade import task_tree
    from duban.supervision.models import RemoteTask

    link = RemoteTask.objects.select_related("task").get()
    return {"tasks": [{"code": t.code, "status": t.status} for t in task_tree(link.task)]}


def main(argv: list[str]) -> None:
    command, args = argv[0], argv[1:]
    out = {
        "city-setup": lambda: city_setup(*args),
        "city-assign": city_assign,
        "district-setup": district_setup,
        "district-work": lambda: district_work(int(args[0])),
        "city-check": city_check,
        "city-withdraw": city_withdraw,
        "district-check": district_check,
    }[command]()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
