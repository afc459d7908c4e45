"""The house's rules that a reader of one file cannot see: no import circles between
files, and no file too big to live in. The layering contracts themselves run in
``make lint`` (import-linter, configured in pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[3]
MAX_LINES = 1000


def _in_scope(module: str) -> bool:
    return not (
        ".tests" in module
        or module.startswith("duban.tests_")
        or ".migrations" in module
        or module == "duban.conftest"
    )


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan)."""
    modules = sorted(m for m in graph.modules if m.startswith("duban") and _in_scope(m))
    inside = set(modules)
    edges = {
        m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in inside)
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def test_no_two_files_import_each_other_even_round_a_loop():
    graph = grimp.build_graph("duban")
    assert circles(graph) == []


def test_the_circle_finder_sees_a_loop():
    graph = grimp.ImportGraph()
    for m in ("duban.a", "duban.b", "duban.c", "duban.d"):
        graph.add_module(m)
    graph.add_import(importer="duban.a", imported="duban.b")
    graph.add_import(importer="duban.b", imported="duban.c")
    graph.add_import(importer="duban.c", imported="duban.a")
    graph.add_import(importer="duban.d", imported="duban.a")
    assert circles(graph) == [["duban.a", "duban.b", "duban.c"]]


def test_no_source_file_is_over_a_thousand_lines():
    # Migrations are generated; everything else is read by people, tests included.
    files = [
        p
        for folder in ("duban", "benchmarks", "scripts")
        for p in (REPO / folder).rglob("*.py")
        if "migrations" not in p.parts
    ]
    assert len(files) > 100  # the walk found the code
    too_big = {
        str(p.relative_to(REPO)): n
        for p in files
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_big == {}


def _sources() -> dict[str, str]:
    return {
        str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
        for p in (REPO / "duban").rglob("*.py")
        if "tests" not in p.parts
        and not any(x.startswith("tests_") for x in p.parts)
        and "migrations" not in p.parts
    }


def test_one_place_for_each_rule_that_once_drifted():
    """Copies of one rule drift apart (issue "The house", point 4): each of these is
    written once and imported everywhere else."""
    sources = _sources()
    assert len(sources) > 100

    def holders(needle: str) -> set[str]:
        return {path for path, text in sources.items() if needle in text}

    # The statuses on which reports are owed.
    assert holders("(TaskStatus.CONFIRMED, TaskStatus.IN_PROGRESS)") == {"duban/plans/choices.py"}
    # Writing Chinese numerals (reading them is extract.structure.cn_number).
    assert holders("def chinese_number(") == {"duban/extract/structure.py"}
    assert holders('"零一二三四五六七八九"') == set()
    # Where uploads wait for the worker, and how their names are checked.
    assert holders('"uploads"') == {"duban/core/uploads.py"}
    # Reading a year written digit by digit (二〇二六).
    assert holders("_YEAR_DIGITS = ") == {"duban/extract/structure.py"}
    # The zip-bomb guard of .docx, .ofd and .xlsx: one reading of the zip's directory.
    assert holders(".flag_bits & 0x1") == {"duban/extract/zipguard.py"}
    # Unit names as written → org units, exact or loose (the engine's rules stay in
    # extract; the org's units meet them in one place).
    engine = {p for p in holders("resolve_unit_name(") if not p.startswith("duban/extract/")}
    assert engine == {"duban/org/unitnames.py"}
    assert holders("short_name=name") == set()
    # How far past a day to look for the periods due by it.
    assert holders("days=31)") <= {"duban/supervision/periods.py", "duban/supervision/lights.py"}


def test_the_office_gate_is_written_once():
    """Permission gates live in plans/access.py (issue "The house", point 4): pages and
    services ask it (is_office, reads_everything, may_report_for) instead of testing roles
    themselves. The grants it reads are in org/grants.py, where two-factor asks whether a
    user has office powers."""
    sources = _sources()
    for needle in ("Role.OFFICE in ", "Role.OFFICE not in ", "global_roles & "):
        holders = {path for path, text in sources.items() if needle in text}
        assert holders <= {"duban/plans/access.py", "duban/org/grants.py"}, (needle, holders)
