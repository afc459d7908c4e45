"""``duban import`` and ``duban export``: task books in and out from the command line.

Thin adapters over :mod:`duban.plans.taskbook`; the web upload calls the same functions.
Exit status 2 means the book was refused (file-level or row errors) and nothing was written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _parse_maps(maps: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in maps:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(
                f"应写作 列名=列，例如 工作任务=C（收到“{item}”）", param_hint="--map"
            )
        out[key.strip()] = value.strip()
    return out


def _setup_django() -> None:
    # Imported here: duban.cli registers these commands, so importing it at the top would
    # make importing this module first a circular import.
    from duban.conf import setup_django

    setup_django()


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--plan", "plan_id", type=int, default=None, help="Add to an existing plan (its id).")
@click.option(
    "--new",
    "new_title",
    default=None,
    help="Create a new plan with this title (default: the book's title row).",
)
@click.option(
    "--year",
    type=int,
    default=None,
    help="Plan year for deadlines such as 6月底前 (default: the plan's, or the title's).",
)
@click.option(
    "--dry-run", is_flag=True, help="Show what would be created and the row errors; write nothing."
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=LETTER",
    help="Override a column: --map 工作任务=C; the header row: --map 表头行=3. Repeatable.",
)
@click.option(
    "--as", "username", default=None, help="Username recorded as the actor in the audit log."
)
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
def import_command(
    path: Path,
    plan_id: int | None,
    new_title: str | None,
    year: int | None,
    dry_run: bool,
    maps: tuple[str, ...],
    username: str | None,
    as_json: bool,
) -> None:
    """Import a task book (.xlsx, .csv, .json; .xls via LibreOffice) into a plan."""
    if plan_id is not None and new_title is not None:
        raise click.UsageError("--plan 与 --new 只能选一个。")
    overrides = _parse_maps(maps)
    _setup_django()
    from duban.org.models import User
    from duban.plans.models import Plan
    from duban.plans.taskbook import TaskbookError, commit_import, plan_import

    plan = None
    if plan_id is not None:
        plan = Plan.objects.filter(pk=plan_id).first()
        if plan is None:
            click.echo(f"错误：找不到编号为 {plan_id} 的方案。", err=True)
            sys.exit(2)
    actor = None
    if username:
        actor = User.objects.filter(username=username).first()
        if actor is None:
            click.echo(f"错误：找不到用户“{username}”。", err=True)
            sys.exit(2)

    def progress(done: int, total: int) -> None:
        if total >= 1000 and not as_json:
            click.echo(f"\r读取 {done}/{total}", nl=False, err=True)

    try:
        preview = plan_import(
            path,
            plan=plan,
            year=year,
            mapping=overrides or None,
            title=new_title or "",
            on_progress=progress,
        )
    except TaskbookError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(preview.to_dict(), ensure_ascii=False, indent=1))
    else:
        if preview.mapping is not None:
            click.echo("列映射：")
            for line in preview.mapping.describe():
                click.echo(f"  {line}")
        click.echo(preview.summary())
        for w in preview.warnings[:50]:
            click.echo(f"  提示 {w}")
        if len(preview.warnings) > 50:
            click.echo(f"  ……另有 {len(preview.warnings) - 50} 处提示")
    if preview.errors:
        for e in preview.errors:
            click.echo(f"  错误 {e}", err=True)
        click.echo("未导入任何内容。", err=True)
        sys.exit(2)
    if dry_run:
        click.echo("预览完成（--dry-run），未写入。")
        return
    try:
        result = commit_import(preview, actor=actor)
    except TaskbookError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    click.echo(f"已导入方案“{result.title}”（编号 {result.pk}），共 {len(preview.tasks)} 项任务。")


@click.command("export")
@click.argument("plan_id", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output file; the format follows its suffix: .xlsx, .csv or .json.",
)
def export_command(plan_id: int, output: Path) -> None:
    """Export a plan as a task book (.xlsx, .csv or .json, by the file name)."""
    suffix = output.suffix.lower()
    if suffix not in (".xlsx", ".csv", ".json"):
        raise click.BadParameter("输出文件应以 .xlsx、.csv 或 .json 结尾。", param_hint="-o")
    _setup_django()
    from duban.plans.models import Plan
    from duban.plans.taskbook import export_csv, export_json, export_xlsx

    plan = Plan.objects.filter(pk=plan_id).first()
    if plan is None:
        click.echo(f"错误：找不到编号为 {plan_id} 的方案。", err=True)
        sys.exit(2)
    if suffix == ".xlsx":
        export_xlsx(plan, output)
    elif suffix == ".csv":
        # utf-8-sig: Excel on Windows reads a BOM-less CSV as GBK and garbles it.
        with output.open("w", encoding="utf-8-sig", newline="") as fh:
            export_csv(plan, fh)
    else:
        output.write_text(
            json.dumps(export_json(plan), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    click.echo(str(output))


# -- report sheets (报送表): progress reports collected by Excel ---------------------------


#: What ``duban`` offers from here (found by name: duban/cli.py, ``_register_subsystems``).
COMMANDS = {"import": import_command, "export": export_command}
