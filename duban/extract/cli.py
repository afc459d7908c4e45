"""``duban extract``: read a report and print or save its proposed task book.

A thin adapter: :func:`~duban.extract.readers.read_document` reads the file,
:func:`~duban.extract.pipeline.extract_text` does the work, :mod:`duban.extract.output`
formats the result. Input problems are :class:`ExtractError`\\ s and end as one line on
stderr with exit code 2, never a traceback; warnings (which encoding and which base date
were used) go to stderr so that stdout stays clean JSON or Markdown for pipes.

Runs without Django, so that its start-up stays fast.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path

import click

from duban.extract.errors import ErrorCode, ExtractError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
LEVELS = ("city", "province", "national")
DEFAULT_UNITS = "city"

_DATE_SOURCES = {
    "argument": "来自 --date",
    "document": "来自文档",
    "today": "文档中未找到，使用今天",
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _fail(exc: ExtractError) -> None:
    click.echo(f"错误 [{exc.code.value}]：{_one_line(exc.message)}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def _note(text: str) -> None:
    click.echo(f"提示：{_one_line(text)}", err=True)


def parse_date(value: str | None) -> datetime.date | None:
    """``YYYY-MM-DD`` → date; anything else is E011 (``date.fromisoformat`` accepts more)."""
    if value is None:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ExtractError(
        ErrorCode.E011_BAD_DATE,
        f"日期“{value}”无效，应为 YYYY-MM-DD，例如 2021-03-05（--date must be YYYY-MM-DD）",
    )


def load_units(spec: str | None, *, explicit: bool) -> object | None:
    """A unit catalog for lead suggestions, or ``None`` when suggestions are off.

    ``spec`` is a level name or a path to a catalog JSON file; ``"none"`` turns
    suggestions off. When the catalog module is not installed the default quietly falls
    back to no suggestions, but an explicit ``--units`` is an error.
    """
    if spec is None or spec.lower() == "none":
        return None
    try:
        from duban.extract.units import load_catalog
    except ImportError as exc:
        if explicit:
            raise ExtractError(
                ErrorCode.E012_BAD_CATALOG,
                "单位目录功能不可用，无法使用 --units（unit catalogs are not available）",
            ) from exc
        _note("单位目录不可用，不提供牵头单位建议（no unit catalog; lead suggestions off）")
        return None
    if spec.lower() in LEVELS:
        spec = spec.lower()
    elif not Path(spec).exists():
        raise ExtractError(
            ErrorCode.E012_BAD_CATALOG,
            f"找不到单位目录“{spec}”：--units 应为 city、province、national、none 或目录文件路径"
            "（unknown --units: use a level name or a catalog file path）",
        )
    try:
        return load_catalog(spec)
    except ExtractError as exc:
        if explicit:
            raise
        # the default catalog failing must not stop a clerk from getting the task list
        _note(f"默认单位目录无法加载，不提供牵头单位建议：{exc.message}")
        return None


def _write_text(content: str, out: str | None) -> None:
    if out is None or out == "-":
        # bytes, so a non-UTF-8 console locale cannot break the Chinese output
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stream (e.g. an IDE console): let it encode
            click.echo(content)
            return
        stream.write(content.encode("utf-8"))
        if not content.endswith("\n"):
            stream.write(b"\n")
        stream.flush()
        return
    try:
        Path(out).write_text(content if content.endswith("\n") else content + "\n", "utf-8")
    except OSError as exc:
        raise ExtractError(
            ErrorCode.E010_NOT_FOUND,
            f"无法写入输出文件：{out}：{exc.strerror}（cannot write output）",
        ) from exc


def default_xlsx_path(path: str) -> Path:
    """Where ``--format xlsx`` writes without ``-o``: next to the input, ``<name>.tasks.xlsx``."""
    if path == "-":
        return Path("tasks.xlsx")
    return Path(path).with_suffix(".tasks.xlsx")


@click.command(name="extract", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", type=str)
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="Base date for 今年/年底前 etc. Default: the date printed in the report, else today.",
)
@click.option(
    "--units",
    metavar="CATALOG",
    default=None,
    help="Unit catalog for lead-unit suggestions: city, province, national, a catalog "
    "JSON file, or none. Default: city.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xlsx", "md"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    "out",
    metavar="OUT",
    help="Output file. json/md: default stdout. xlsx: default <input name>.tasks.xlsx "
    "next to the input.",
)
@click.option(
    "--max-size",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    metavar="MB",
    help="Refuse input files larger than this many megabytes.",
)
def extract(
    path: str,
    date_text: str | None,
    units: str | None,
    fmt: str,
    out: str | None,
    max_size: float,
) -> None:
    """Propose a task book (任务分解表) from the report at PATH.

    PATH is a .txt/.md (UTF-8, GB18030 or UTF-16), .docx, .doc/.wps, .pdf, .ofd, an
    .html page saved from a government website, or a scan or photo (.jpg, .png, .tif;
    scanned PDF pages are recognised too); "-" reads text from stdin. Errors are one line
    on stderr with exit code 2; warnings go to stderr too.
    """
    try:
        _run(path, date_text, units, fmt, out, max_size)
    except ExtractError as exc:
        _fail(exc)
    except Exception as exc:  # the promise to clerks: one line, never a traceback
        if os.environ.get("DUBAN_DEBUG"):
            raise
        click.echo(
            f"内部错误：{type(exc).__name__}: {_one_line(str(exc))}"
            "（internal error; set DUBAN_DEBUG=1 for details and report it）",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)


def _run(
    path: str, date_text: str | None, units: str | None, fmt: str, out: str | None, max_size: float
) -> None:
    from duban.extract.readers import read_bytes, read_document

    base_date = parse_date(date_text)
    max_bytes = int(max_size * 1024 * 1024)
    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        data = stdin.read(max_bytes + 1) if stdin else sys.stdin.read().encode("utf-8")
        src = read_bytes(data, suffix=".txt", path="<stdin>", max_bytes=max_bytes)
    else:
        src = read_document(path, max_bytes=max_bytes)
    catalog = load_units(units if units is not None else DEFAULT_UNITS, explicit=units is not None)

    from duban.extract.pipeline import extract_text

    doc = extract_text(
        src.text, date=base_date, catalog=catalog, path=src.path, encoding=src.encoding
    )
    doc.warnings[:0] = src.warnings

    _note(f"读取 {src.path}（格式 {src.format}，编码 {src.encoding}，{len(doc.text)} 字）")
    if doc.date and not any(w.startswith("基准日期") for w in doc.warnings):
        how = _DATE_SOURCES.get(doc.date_source, doc.date_source)
        _note(f"基准日期 {doc.date.isoformat()}（{how}）")
    for warning in doc.warnings:
        _note(warning)
    if doc.date_source == "today":
        _note(
            "警告：文中没有找到报告日期，“今年”“年底前”等时限已按今天推算；"
            "请用 --date YYYY-MM-DD 指定报告日期（no date in the document: pass --date）"
        )
    if not doc.tasks:
        _note("未找到任务，任务表为空（no directives found; the task list is empty）")
    else:
        _note(f"共提取 {len(doc.tasks)} 项任务")

    from duban.extract import output

    if fmt == "json":
        _write_text(output.to_json(doc), out)
    elif fmt == "md":
        _write_text(output.to_markdown(doc), out)
    else:
        target = Path(out) if out and out != "-" else default_xlsx_path(path)
        try:
            output.write_xlsx(doc, target)
        except OSError as exc:
            raise ExtractError(
                ErrorCode.E010_NOT_FOUND,
                f"无法写入输出文件：{target}：{exc.strerror}（cannot write output）",
            ) from exc
        _note(f"任务表已保存：{target}")


#: What ``duban`` offers from here (found by name: duban/cli.py, ``_register_subsystems``).
COMMANDS = {"extract": extract}
