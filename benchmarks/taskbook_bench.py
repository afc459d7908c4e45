"""How fast a 5,000-row task book imports, against plain openpyxl reading the same file.

Builds a book in the customary layout (title, two-row header, a merged framework heading
every 50 rows, lead units merged over two rows, several units per cell, deadlines as text,
serials and dates), then times in one run:

* ``openpyxl``: ``load_workbook(data_only=True)`` and iterating every cell's value — the
  least any importer must do; also the read-only mode, for reference;
* ``plan_import``: the dry run (guards, reading, mapping, units, deadlines);
* ``commit_import``: writing every node, task and assignment through the audited models,
  in one transaction (reported separately: it is database-bound).

The goal is dry run ≤ 3 × plain openpyxl. Uses a throw-away SQLite database unless
``DUBAN_DATABASE_URL`` is set; then the database must be migrated already, and everything
the benchmark writes (units, the plan) is rolled back at the end.

    .venv/bin/python benchmarks/taskbook_bench.py [--rows 5000] [--no-commit]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

UNITS = [
    ("市发展和改革委员会", "市发改委"),
    ("市财政局", ""),
    ("市商务局", ""),
    ("市住房和城乡建设局", "市住建局"),
    ("市工业和信息化局", "市工信局"),
    ("市教育局", ""),
    ("市科学技术局", "市科技局"),
    ("市人力资源和社会保障局", "市人社局"),
    ("市自然资源和规划局", "市自然资源局"),
    ("市生态环境局", ""),
    ("市交通运输局", "市交通局"),
    ("市农业农村局", ""),
    ("市水利局", ""),
    ("市文化广电和旅游局", "市文旅局"),
    ("市卫生健康委员会", "市卫健委"),
    ("市市场监督管理局", "市市场监管局"),
]
DEADLINES = ["6月底前", "年底前", "长期坚持", 46203, "2026年9月", "三季度末", None]


def build_book(path: Path, rows: int) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年重点工作任务分解表"])
    ws.merge_cells("A1:H1")
    ws.append(
        ["序号", "工作任务", "责任单位", None, "责任领导", "完成时限", "工作措施", "阶段目标"]
    )
    ws.append([None, None, "牵头单位", "配合单位"])
    for col in "ABEFGH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    r = 3
    section = 0
    n = 0
    for i in range(rows):
        if i % 50 == 0:
            section += 1
            n = 0
            r += 1
            ws.cell(row=r, column=1, value=f"第{section}部分 重点领域第{section}项工作")
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=8)
        n += 1
        r += 1
        lead = UNITS[i % len(UNITS)]
        co = [UNITS[(i + k) % len(UNITS)] for k in (3, 5)]
        deadline = DEADLINES[i % len(DEADLINES)]
        if i % 11 == 0:
            deadline = dt.datetime(2026, 1 + i % 12, 28)
        ws.append(
            [
                n,
                f"推进第{i + 1}项重点工作，确保按期完成年度目标任务并形成长效机制",
                lead[1] or lead[0] if n % 2 else None,
                "、".join(u[0] if k else (u[1] or u[0]) for k, u in enumerate(co)),
                None,
                deadline,
                "建立工作台账，按月调度",
                "一季度启动，三季度见效",
            ]
        )
        if n % 2 == 0:
            ws.merge_cells(start_row=r - 1, start_column=3, end_row=r, end_column=3)
    wb.save(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--no-commit", action="store_true", help="time the dry run only")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="duban-bench-"))
    os.environ["DUBAN_HOME"] = str(tmp)  # never the caller's data folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if not os.environ.get("DUBAN_DATABASE_URL"):
        call_command("migrate", interactive=False, verbosity=0)
    from django.db import transaction

    with transaction.atomic():
        status = run(args)
        transaction.set_rollback(True)  # leave a shared database as we found it
    return status


def run(args: argparse.Namespace) -> int:
    import openpyxl

    from duban.org.models import Unit
    from duban.plans.taskbook import commit_import, plan_import

    for name, short in UNITS:
        Unit.objects.get_or_create(name=name, defaults={"short_name": short, "kind": "government"})

    book = Path(tempfile.mkdtemp(prefix="duban-bench-")) / "book.xlsx"
    t0 = time.perf_counter()
    build_book(book, args.rows)
    print(
        f"book: {args.rows} task rows, {book.stat().st_size / 1024:.0f} KB, built in {time.perf_counter() - t0:.2f} s"
    )

    def plain(read_only: bool) -> float:
        t = time.perf_counter()
        wb = openpyxl.load_workbook(book, data_only=True, read_only=read_only)
        cells = 0
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells += sum(1 for v in row if v is not None)
        wb.close()
        return time.perf_counter() - t

    # Best of three for each, so one scheduler hiccup on a shared machine does not decide.
    base = min(plain(False) for _ in range(3))
    base_ro = min(plain(True) for _ in range(3))
    times = []
    preview = None
    for _ in range(3):
        t = time.perf_counter()
        preview = plan_import(book, year=2026)
        times.append(time.perf_counter() - t)
    dry = min(times)
    assert preview is not None
    if preview.errors:
        print("unexpected row errors:", [str(e) for e in preview.errors[:5]])
        return 1
    print(f"openpyxl load + iterate all cells: {base:.2f} s (read-only mode: {base_ro:.2f} s)")
    print(
        f"plan_import (dry run):             {dry:.2f} s  → {dry / base:.2f} × openpyxl "
        f"(goal ≤ 3 ×); {len(preview.tasks)} tasks, {len(preview.nodes)} headings"
    )
    if not args.no_commit:
        t = time.perf_counter()
        cpu = time.process_time()
        if os.environ.get("DUBAN_BENCH_PROFILE"):
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                plan = commit_import(preview, actor=None)
            pstats.Stats(prof).sort_stats(os.environ["DUBAN_BENCH_PROFILE"]).print_stats(25)
        else:
            plan = commit_import(preview, actor=None)
        commit = time.perf_counter() - t
        cpu = time.process_time() - cpu
        print(
            f"commit_import:                     {commit:.2f} s, CPU {cpu:.2f} s  "
            f"({plan.tasks.count()} tasks, {commit / len(preview.tasks) * 1000:.1f} ms per task)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
