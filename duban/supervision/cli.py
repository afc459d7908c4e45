"""``duban export-reports`` and ``duban import-reports``: a unit's report sheets from the
command line.

Thin adapters over :mod:`duban.supervision.reportbook`; the unit desk uses the same
functions. Exit status 2 means the sheet was refused and nothing was written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click


def _setup_django() -> None:
    # Imported here: duban.cli registers these commands, so importing it at the top would
    # make importing this module first a circular import.
    from duban.conf import setup_django

    setup_django()


# Thin adapters over duban.supervision.reportbook; the unit desk uses the same functions.


@click.command("export-reports")
@click.option("--unit", "unit_name", required=True, help="Unit name, short name or alias.")
@click.option(
    "--period-end",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the reporting period (YYYY-MM-DD); earlier unsent periods are included.",
)
@click.option("--plan", "plan_id", type=int, default=None, help="Only tasks of this plan (its id).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output .xlsx file.",
)
def export_reports_command(
    unit_name: str, period_end: Any, plan_id: int | None, output: Path
) -> None:
    """Write a unit's pre-filled report sheet (.xlsx) for one reporting period."""
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("输出文件应以 .xlsx 结尾。", param_hint="-o")
    _setup_django()
    from duban.plans.models import Plan
    from duban.supervision.reportbook import export_report_sheet, owed_rows

    unit = _find_unit(unit_name)
    plan = None
    if plan_id is not None:
        plan = Plan.objects.filter(pk=plan_id).first()
        if plan is None:
            click.echo(f"错误：找不到编号为 {plan_id} 的方案。", err=True)
            sys.exit(2)
    day = period_end.date()
    output.write_bytes(export_report_sheet(unit, day, plan=plan))
    n = len(owed_rows(unit, day, plan=plan))
    click.echo(f"{output}（{unit.name}，{n} 行）")


@click.command("import-reports")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--as",
    "username",
    required=True,
    help="Who submits the reports: the unit's clerk or leader, or an office user.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and list the errors; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
def import_reports_command(
    paths: tuple[Path, ...], username: str, dry_run: bool, as_json: bool
) -> None:
    """Import filled report sheets (.xlsx): all rows of all files, or nothing."""
    _setup_django()
    from duban.org.models import User
    from duban.supervision.reportbook import (
        ReportbookError,
        commit_report_import,
        import_report_sheets,
    )

    actor = User.objects.filter(username=username).first()
    if actor is None:
        click.echo(f"错误：找不到用户“{username}”。", err=True)
        sys.exit(2)
    preview = import_report_sheets(list(paths), actor=actor)
    if as_json:
        click.echo(json.dumps(preview.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(preview.summary())
        for w in preview.warnings[:50]:
            click.echo(f"  提示 《{w.source}》{w}")
    if preview.errors:
        for e in preview.errors:
            click.echo(f"  错误 《{e.source}》{e}" if e.source else f"  错误 {e}", err=True)
        click.echo("未导入任何内容。", err=True)
        sys.exit(2)
    if dry_run:
        click.echo("预览完成（--dry-run），未写入。")
        return
    try:
        reports = commit_report_import(preview, actor=actor)
    except ReportbookError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    click.echo(f"已报送 {len(reports)} 条进展。")


def _find_unit(name: str) -> Any:
    from duban.org.models import Unit
    from duban.org.unitnames import EXACT, LOOSE, match_unit

    name = name.strip()
    # Any unit by its exact name, else an active one spelled loosely, as in a task book.
    unit = match_unit(name, mode=EXACT, units=Unit.objects.all()) or match_unit(name, mode=LOOSE)
    if unit is None:
        click.echo(f"错误：找不到单位“{name}”。", err=True)
        sys.exit(2)
    return unit


#: What ``duban`` offers from here (found by name: duban/cli.py, ``_register_subsystems``).
COMMANDS = {"export-reports": export_reports_command, "import-reports": import_reports_command}
