"""``duban extract`` as a clerk uses it: outputs, warnings, and one-line errors with exit 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from duban.extract import pipeline
from duban.extract.cli import default_xlsx_path, extract
from duban.extract.output import load_schema

REPO = Path(__file__).resolve().parents[3]


def corpus_dir() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    return Path(env) if env else REPO.parent / "shared" / "corpus"


@pytest.fixture
def report() -> Path:
    return corpus_dir() / "national-2021.txt"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(extract, list(args), input=input, catch_exceptions=False)


def assert_one_line_error(result, code: str) -> None:
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"错误 [{code}]：")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- happy paths


def test_json_to_stdout_with_warnings_on_stderr(report: Path) -> None:
    result = run(str(report), "--date", "2021-03-05", "--units", "national")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert data["source"]["path"] == str(report)
    assert data["source"]["encoding"] == "utf-8"
    assert data["source"]["date"] == "2021-03-05"
    assert data["source"]["date_source"] == "argument"
    assert "编码 utf-8" in result.stderr
    date_lines = [ln for ln in result.stderr.split("\n") if "基准日期" in ln]
    assert len(date_lines) == 1, result.stderr  # said once, by the engine or the CLI
    assert "2021-03-05" in date_lines[0]
    assert all(line.startswith("提示：") for line in result.stderr.strip().split("\n"))


def test_markdown_to_file(tmp_path: Path, report: Path) -> None:
    out = tmp_path / "book.md"
    result = run(str(report), "--format", "md", "-o", str(out), "--units", "none")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("# ")
    assert "任务分解表" in out.read_text(encoding="utf-8").split("\n")[0]


def test_xlsx_with_output_path(tmp_path: Path, report: Path) -> None:
    out = tmp_path / "book.xlsx"
    result = run(str(report), "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    ws = openpyxl.load_workbook(out)["任务分解表"]
    assert [c.value for c in ws[2]] == [
        "序号",
        "工作任务",
        "牵头单位",
        "责任单位",
        "责任领导",
        "完成时限",
        "来源",
    ]
    assert str(out) in result.stderr


def test_xlsx_without_output_goes_next_to_input(tmp_path: Path, report: Path) -> None:
    src = tmp_path / "report.txt"
    shutil.copy(report, src)
    result = run(str(src), "--format", "xlsx")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "report.tasks.xlsx").exists()
    assert default_xlsx_path(str(src)) == tmp_path / "report.tasks.xlsx"


def test_gbk_file_reports_encoding(tmp_path: Path, report: Path) -> None:
    p = tmp_path / "gbk.txt"
    text = report.read_text(encoding="utf-8").replace("\u200b", "")
    p.write_bytes(text.encode("gb18030"))
    result = run(str(p))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["source"]["encoding"] == "gb18030"
    assert "编码 gb18030" in result.stderr


def test_stdin(report: Path) -> None:
    result = run("-", "--units", "none", input=report.read_bytes())
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"]["path"] == "<stdin>"
    assert data["source"]["chars"] > 10000


def test_no_directives_gives_empty_task_list_and_warning(tmp_path: Path) -> None:
    p = tmp_path / "poem.txt"
    p.write_text("床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n", encoding="utf-8")
    result = run(str(p), "--units", "none")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tasks"] == []
    assert "未找到任务" in result.stderr


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(run(str(tmp_path / "nope.txt")), "E010")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    assert_one_line_error(run(str(p)), "E001")


def test_binary_file(tmp_path: Path) -> None:
    p = tmp_path / "photo.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    assert_one_line_error(run(str(p)), "E002")


def test_too_large(tmp_path: Path, report: Path) -> None:
    result = run(str(report), "--max-size", "0.01")
    assert_one_line_error(result, "E003")
    assert "0.0 MB" in result.stderr or "上限" in result.stderr


def test_bad_date(report: Path) -> None:
    assert_one_line_error(run(str(report), "--date", "2021/03/05"), "E011")
    assert_one_line_error(run(str(report), "--date", "2021-02-30"), "E011")


def test_bad_catalog_file(tmp_path: Path, report: Path) -> None:
    bad = tmp_path / "units.json"
    bad.write_text("{not json", encoding="utf-8")
    assert_one_line_error(run(str(report), "--units", str(bad)), "E012")


def test_unknown_units_level_names_the_choices(report: Path) -> None:
    result = run(str(report), "--units", "county")
    assert_one_line_error(result, "E012")
    assert "city、province、national" in result.stderr


def test_units_level_is_case_insensitive(report: Path) -> None:
    result = run(str(report), "--units", "National", "--date", "2021-03-05")
    assert result.exit_code == 0, result.stderr
    tasks = json.loads(result.stdout)["tasks"]
    assert any(t["lead_suggestions"] for t in tasks)


def test_unwritable_output_is_one_line_error(tmp_path: Path, report: Path) -> None:
    for fmt in ("json", "xlsx"):
        out = tmp_path / "missing-dir" / f"out.{fmt}"
        result = run(str(report), "--units", "none", "--format", fmt, "-o", str(out))
        assert result.exit_code == 2
        assert result.stderr.strip().split("\n")[-1].startswith("错误 [E010]：无法写入输出文件")
        assert "Traceback" not in result.stderr


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "sheet.xyz"
    p.write_bytes(bytes(range(256)) * 20)
    assert_one_line_error(run(str(p)), "E009")


def test_internal_error_is_one_line_exit_1(tmp_path: Path, report: Path, monkeypatch) -> None:
    def boom(*a, **k):
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.delenv("DUBAN_DEBUG", raising=False)
    monkeypatch.setattr(pipeline, "extract_text", boom)
    result = run(str(report), "--units", "none")
    assert result.exit_code == 1
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("内部错误：RuntimeError: unexpected second line")
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- real process


def _subprocess(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "duban.extract", *args],
        capture_output=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_python_m_on_corpus_file(report: Path) -> None:
    proc = _subprocess(str(report), "--date", "2021-03-05")
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 0, stderr
    data = json.loads(proc.stdout.decode("utf-8"))
    assert data["source"]["chars"] > 10000
    assert "Traceback" not in stderr


def test_python_m_error_exit_code(tmp_path: Path) -> None:
    proc = _subprocess(str(tmp_path / "missing.docx"))
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2
    assert stderr.startswith("错误 [E010]：")
    assert stderr.count("\n") == 1
    assert "Traceback" not in stderr


# --------------------------------------------------------------------------- same report, any format


def _tasks_of(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [t["text"] for t in json.loads(result.stdout)["tasks"]]


@pytest.fixture(scope="module")
def henan_lines() -> list[str]:
    text = (corpus_dir() / "prov2026-河南省.txt").read_text(encoding="utf-8")
    return [ln for ln in text.split("\n") if ln.strip()]


def test_docx_and_html_give_the_same_tasks_as_text(tmp_path: Path, henan_lines: list[str]) -> None:
    import docx

    txt = tmp_path / "henan.txt"
    txt.write_text("\n".join(henan_lines), encoding="utf-8")
    expected = _tasks_of(run(str(txt), "--units", "none", "--date", "2026-01-26"))
    assert len(expected) > 20

    d = docx.Document()
    for line in henan_lines:
        d.add_paragraph(line)
    d.save(str(tmp_path / "henan.docx"))
    from_docx = _tasks_of(
        run(str(tmp_path / "henan.docx"), "--units", "none", "--date", "2026-01-26")
    )
    assert from_docx == expected

    body = "".join(f"<p>{line}</p>" for line in henan_lines)
    page = (
        '<html><head><meta charset="gbk"><title>报告</title></head><body>'
        '<nav><a href="/">首页</a><a href="/x">政务公开</a></nav>'
        f'<div class="content">{body}</div>'
        "<footer>主办单位：省政府办公厅</footer></body></html>"
    )
    (tmp_path / "henan.html").write_bytes(page.encode("gb18030"))
    from_html = _tasks_of(
        run(str(tmp_path / "henan.html"), "--units", "none", "--date", "2026-01-26")
    )
    assert from_html == expected


def test_a_document_without_a_date_is_not_silently_dated_today(tmp_path: Path) -> None:
    undated = tmp_path / "undated.txt"
    undated.write_text("要在年底前建成城东水厂。", encoding="utf-8")
    result = run(str(undated))
    assert result.exit_code == 0, result.stderr
    assert "警告：文中没有找到报告日期" in result.stderr and "--date" in result.stderr
    dated = run(str(undated), "--date", "2026-02-01")
    assert "警告" not in dated.stderr


def test_a_crash_in_a_required_step_exits_2(tmp_path: Path, monkeypatch) -> None:
    import duban.extract.pipeline as pipeline

    def broken(doc):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "structure", broken)
    src = tmp_path / "r.txt"
    src.write_text("要加快推进重大项目建设。", encoding="utf-8")
    assert_one_line_error(run(str(src)), "E014")
