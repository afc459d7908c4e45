"""Reporting day on the province demo: 300 clerks each file a monthly report with a 1 MB
attachment within ten minutes while 20 office users browse the battle map (locust).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/reporting_day.py                  # SQLite, 10 minutes
    DUBAN_DATABASE_URL=postgres://… .venv/bin/python benchmarks/reporting_day.py --minutes 5

What it does: builds the province demo in a fresh ``DUBAN_HOME`` (300 units, 20,000 tasks,
500,000 reports; the PostgreSQL database named in ``DUBAN_DATABASE_URL`` must be empty),
adds a clerk for each of the 300 units and 20 office users (one password hash computed
once and given to all: hashing 320 passwords is not what is measured), picks for each
clerk one in-progress task its unit leads and removes that task's report for the period
now owed, so every clerk has exactly one report to file. Then it serves duban with
``duban serve`` and runs locust headless on loopback: a clerk logs in through the form,
opens the desk, opens the report form and submits it with a 1 MB PDF; an office user logs
in and reloads the battle map every 3–8 s. Clerks arrive evenly over the run.

Afterwards it counts in the database: one report per clerk for that period (none lost,
none twice), each with its attachment. It prints locust's figures (requests, failures,
p50/p95 per page) and the counts; goals: 0 errors, 0 lost or duplicated reports, p95
under 1 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from peer_bench import duban_env, wait_for  # noqa: E402

PASSWORD = "Report-Day-2026"

SETUP = r"""
import json, sys
from duban.conf import setup_django
setup_django()
from django.contrib.auth.hashers import make_password
from django.db import transaction
from duban.demo.loader import PROVINCE_TITLE
from duban.org.choices import Role
from duban.org.models import Membership, Unit, User
from duban.plans.models import Plan, Task
from duban.supervision.models import ProgressReport, ReportingSchedule
from duban.supervision.services import report_period

password = make_password(sys.argv[1])
plan = Plan.objects.get(title=PROVINCE_TITLE)
units = list(Unit.objects.filter(name__startswith="省直单位").order_by("pk"))
clerks = []
with transaction.atomic():
    for i, unit in enumerate(units):
        task = (
            Task.objects.filter(plan=plan, status="in_progress", assignment__lead_unit=unit)
            .filter(pk__in=ReportingSchedule.objects.values("task_id"))
            .order_by("pk").first()
        )
        if task is None:
            continue
        period = report_period(task, None)
        ProgressReport.objects.filter(task=task, period_end=period.period_end).delete()
        user = User.objects.create(username=f"rd-clerk-{i:03d}", password=password,
                                   display_name=f"联络员{i:03d}")
        Membership.objects.create(user=user, unit=unit, role=Role.CLERK)
        clerks.append({"username": user.username, "task": task.pk, "unit": unit.pk,
                       "period_end": period.period_end.isoformat()})
    office_unit = Unit.objects.filter(kind="office").first()
    offices = []
    for i in range(20):
        user = User.objects.create(username=f"rd-office-{i:02d}", password=password,
                                   display_name=f"督查{i:02d}")
        Membership.objects.create(user=user, unit=office_unit, role=Role.OFFICE)
        offices.append(user.username)
print(json.dumps({"clerks": clerks, "offices": offices}))
"""

COUNT = r"""
import json, sys
from duban.conf import setup_django
setup_django()
from django.db.models import Count
from duban.supervision.models import Evidence, ProgressReport
plan = json.load(open(sys.argv[1]))
lost = dup = 0
with_file = 0
for c in plan["clerks"]:
    rows = ProgressReport.objects.filter(task_id=c["task"], unit_id=c["unit"],
                                         period_end=c["period_end"])
    n = rows.count()
    lost += n == 0
    dup += max(0, n - 1)
    with_file += Evidence.objects.filter(report__in=rows).exists()
print(json.dumps({"clerks": len(plan["clerks"]), "lost": lost, "duplicated": dup,
                  "with_attachment": with_file}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "duban-rday")
    parser.add_argument("--port", type=int, default=8330)
    parser.add_argument("--size", default=None, help="UNITS,TASKS,REPORTS (default: province)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    home = args.work / "home"
    env = duban_env(home)
    demo = [sys.executable, "-m", "duban", "demo", "--scale", "province", "--no-serve"]
    if args.size:
        demo += ["--size", args.size]
    subprocess.run(demo, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    out = subprocess.run(
        [sys.executable, "-c", SETUP, PASSWORD], env=env, check=True, capture_output=True, text=True
    )
    plan_file = args.work / "plan.json"
    plan_file.write_text(out.stdout.strip().splitlines()[-1], encoding="utf-8")
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    print(f"{len(plan['clerks'])} clerks, {len(plan['offices'])} office users", file=sys.stderr)

    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "duban", "serve", "--port", str(args.port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    seconds = int(args.minutes * 60)
    users = len(plan["clerks"]) + len(plan["offices"])
    try:
        wait_for(base + "/healthz")
        lenv = {
            **env,
            "RDAY_PLAN": str(plan_file),
            "RDAY_PASSWORD": PASSWORD,
            "RDAY_SECONDS": str(seconds),
        }
        t0 = time.time()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "benchmarks" / "locust_reporting.py"),
                "--headless",
                "--host",
                base,
                "-u",
                str(users),
                # Office users first (fixed_count), then the clerks evenly over the run.
                "-r",
                f"{users / max(1, seconds - 30):.3f}",
                "--run-time",
                f"{seconds + 60}s",
                "--csv",
                str(args.work / "locust"),
                "--only-summary",
                "--stop-timeout",
                "30",
            ],
            env=lenv,
            check=False,
        )
        print(f"locust ran {time.time() - t0:.0f} s", file=sys.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    counted = subprocess.run(
        [sys.executable, "-c", COUNT, str(plan_file)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    counts = json.loads(counted.stdout.strip().splitlines()[-1])
    print("\n| request | count | failures | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    with (args.work / "locust_stats.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            print(
                f"| {row['Type']} {row['Name']} | {row['Request Count']} | "
                f"{row['Failure Count']} | {row['50%']} | {row['95%']} | "
                f"{float(row['Max Response Time']):.0f} |"
            )
    print(
        f"\nreports: {counts['clerks']} owed, {counts['lost']} lost, "
        f"{counts['duplicated']} duplicated, {counts['with_attachment']} with the attachment"
    )
    return 0 if counts["lost"] == 0 and counts["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
