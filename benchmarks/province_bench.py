"""The battle map and the nightly lights on a province: 300 units, 20,000 tasks, 500,000 reports.

Builds the dataset with :func:`duban.battlemap.synthetic.build_dataset` (bulk inserts, no
audit rows) in a fresh database, then times:

(a) the nightly ``recompute_lights()`` over every task, first run (writes most lights) and
    a second run (steady state: little changes), against one hand-written SQL pass that
    aggregates the same inputs per task (reports due so far: count, latest, latest
    accepted, missing/returned, late; milestones: overdue, next open) — the least any
    light computation must read. The ratio says what the Python rules and the writes cost;
(b) the overview's aggregate service functions (``by_pillar`` + ``by_lead_unit``, and the
    whole ``overview()``) against hand-written SQL GROUP BY queries of the same numbers;
(c) the full ``/battlemap/`` page (and the wall screen and a one-unit roadmap) through
    Django's test ``Client``, with the number of SQL queries.

Prints figures; not a test. SQLite: a new file under /tmp. PostgreSQL: set
``DUBAN_DATABASE_URL`` to a server URL; a scratch database ``duban_province_bench`` is
created next to the named one, used, and dropped at the end.

    .venv/bin/python benchmarks/province_bench.py [--units 300] [--tasks 20000] [--reports 500000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "duban_province_bench"


def _setup_database() -> Callable[[], None]:
    """Point Django at a fresh database; returns the clean-up."""
    url = os.environ.get("DUBAN_DATABASE_URL", "").strip()
    if not url:
        home = tempfile.mkdtemp(prefix="duban-province-")
        os.environ["DUBAN_HOME"] = home
        print(f"database: SQLite {home}/duban.sqlite3")
        return lambda: None
    import psycopg

    base, _, _name = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")
        conn.execute(f"CREATE DATABASE {SCRATCH_DB}")
    os.environ["DUBAN_DATABASE_URL"] = f"{base}/{SCRATCH_DB}"
    os.environ.setdefault("DUBAN_HOME", tempfile.mkdtemp(prefix="duban-province-"))
    print(f"database: PostgreSQL {base}/{SCRATCH_DB} (scratch)")

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB}")

    return drop


CPU_MS: dict[str, float] = {}


def timed(fn: Callable[[], Any], repeat: int = 1, name: str = "") -> tuple[float, Any]:
    """Median wall time in ms over ``repeat`` runs, and the last result.

    The median CPU time of this process is kept in ``CPU_MS[name]``: on a shared machine
    the wall time includes waiting for a core, the CPU time does not (the database is
    in-process for SQLite; for PostgreSQL the server's work is not in it).
    """
    times = []
    cpu = []
    result = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    if name:
        CPU_MS[name] = statistics.median(cpu)
    return statistics.median(times), result


def sql_report_aggregate(today: Any) -> int:
    """Per task: the report and milestone facts the light rules read, in plain SQL."""
    from django.db import connection

    from duban.plans.models import Milestone, Task
    from duban.supervision.models import ProgressReport

    task = Task._meta.db_table
    report = ProgressReport._meta.db_table
    milestone = Milestone._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.id, COUNT(r.id), MAX(r.period_end),
                   MAX(CASE WHEN r.status = 'accepted' THEN r.period_end END),
                   SUM(CASE WHEN r.status IN ('returned', 'draft', 'missing') THEN 1 ELSE 0 END),
                   SUM(CASE WHEN r.is_late THEN 1 ELSE 0 END)
            FROM {task} t LEFT JOIN {report} r ON r.task_id = t.id AND r.period_end <= %s
            GROUP BY t.id
            """,
            [today],
        )
        rows = len(cursor.fetchall())
        cursor.execute(
            f"""
            SELECT task_id,
                   SUM(CASE WHEN done_at IS NULL AND due_date < %s THEN 1 ELSE 0 END),
                   MIN(CASE WHEN done_at IS NULL THEN due_date END)
            FROM {milestone} GROUP BY task_id
            """,
            [today],
        )
        rows += len(cursor.fetchall())
    return rows


def sql_overview_aggregate() -> int:
    """The overview's counts (per framework node and per lead unit, by light and status)."""
    from django.db import connection

    from duban.plans.models import Assignment, Task

    task = Task._meta.db_table
    assignment = Assignment._meta.db_table
    statuses = "('confirmed', 'in_progress', 'closure_requested', 'closed')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT framework_node_id, light, status, COUNT(*) FROM {task} "
            f"WHERE status IN {statuses} GROUP BY framework_node_id, light, status"
        )
        rows = len(cursor.fetchall())
        cursor.execute(
            f"SELECT a.lead_unit_id, t.light, t.status, COUNT(*) FROM {task} t "
            f"LEFT JOIN {assignment} a ON a.task_id = t.id "
            f"WHERE t.status IN {statuses} GROUP BY a.lead_unit_id, t.light, t.status"
        )
        rows += len(cursor.fetchall())
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--reports", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--lights-only", action="store_true", help="stop after (a), the nightly lights"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    cleanup = _setup_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.project.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from duban.battlemap import services
    from duban.battlemap.synthetic import build_dataset
    from duban.org.models import Unit
    from duban.org.services import create_user
    from duban.supervision.lights import recompute_lights

    try:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrate: {time.perf_counter() - start:.1f} s")
        office_unit = Unit.objects.create(name="省委督查室", kind="office")
        office = create_user("office", password="bench-pw-1", unit=office_unit, role="office")
        today = timezone.localdate()

        ms, data = timed(
            lambda: build_dataset(units=args.units, tasks=args.tasks, reports=args.reports)
        )
        print(
            f"dataset: {data['units']} units, {data['tasks']} tasks, "
            f"{data['milestones']} milestones, {data['reports']} reports in {ms / 1000:.1f} s"
        )
        print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        print("\n(a) nightly lights")
        first, counts = timed(lambda: recompute_lights(today=today), name="first")
        second, counts2 = timed(lambda: recompute_lights(today=today), name="second")
        sql_ms, _ = timed(lambda: sql_report_aggregate(today), repeat=args.repeat, name="sql")
        print(
            f"  recompute_lights, first run:  {first:9.0f} ms  (CPU {CPU_MS['first']:.0f} ms)  "
            f"(changed {counts['changed']}: red {counts['red']}, yellow {counts['yellow']}, "
            f"green {counts['green']}, unlit {counts['none']})"
        )
        print(
            f"  recompute_lights, second run: {second:9.0f} ms  (CPU {CPU_MS['second']:.0f} ms)  "
            f"(changed {counts2['changed']})"
        )
        print(f"  hand-written SQL aggregate:   {sql_ms:9.0f} ms  (CPU {CPU_MS['sql']:.0f} ms)")
        print(f"  ratio (second run / SQL):     {second / sql_ms:9.1f} ×")
        # The nightly job is incremental: the full runs above recorded a LightRun, so the
        # next nights look only at tasks whose facts changed or whose light's date came.
        import datetime as dt

        recompute_lights(today=today)  # a full run the job can start from
        for nights in (1, 2, 7):
            night = today + dt.timedelta(days=nights)
            name = f"incremental+{nights}"
            ms, c = timed(
                lambda night=night: recompute_lights(today=night, incremental=True), name=name
            )
            print(
                f"  incremental, {night} (+{nights} d): {ms:7.0f} ms  (CPU {CPU_MS[name]:.0f} ms)"
                f"  (looked at {c['tasks']}, changed {c['changed']}, full {c['full']})"
            )
        if args.lights_only:
            return 0

        print("\n(b) overview aggregates")

        def service_aggregates() -> None:
            nodes = services.node_index()
            qs = services.scoped_tasks(office)
            services.by_pillar(qs, nodes)
            services.by_lead_unit(qs)

        office.refresh_from_db()
        svc_ms, _ = timed(service_aggregates, repeat=args.repeat, name="svc")
        full_ms, _ = timed(
            lambda: services.overview(office, services.Filters(), today=today),
            repeat=args.repeat,
            name="full",
        )
        raw_ms, _ = timed(sql_overview_aggregate, repeat=args.repeat, name="raw")
        print(f"  by_pillar + by_lead_unit:     {svc_ms:9.1f} ms  (CPU {CPU_MS['svc']:.0f} ms)")
        print(f"  hand-written SQL GROUP BY:    {raw_ms:9.1f} ms  (CPU {CPU_MS['raw']:.0f} ms)")
        print(f"  ratio:                        {svc_ms / raw_ms:9.2f} ×")
        print(f"  whole overview() service:     {full_ms:9.1f} ms  (CPU {CPU_MS['full']:.0f} ms)")

        print(f"\n(c) pages through the test Client (median of {args.repeat})")
        client = Client()
        client.force_login(office)
        unit = data["unit_ids"][0]
        for url in ("/battlemap/", "/battlemap/wall/", f"/roadmap/?unit={unit}"):
            client.get(url)  # warm the template cache
            with CaptureQueriesContext(connection) as ctx:
                page_ms, response = timed(
                    lambda url=url: client.get(url), repeat=args.repeat, name=url
                )
            queries = len(ctx.captured_queries) // args.repeat
            size = len(response.content) // 1024
            print(
                f"  {url:24s} {page_ms:7.0f} ms  (CPU {CPU_MS[url]:.0f} ms)  "
                f"{queries:3d} queries  {size} KiB  "
                f"HTTP {response.status_code}"
            )
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
