"""Score the engine on the whole corpus: structure measures everywhere, gold where it exists.

Run ``python -m duban.extract.eval [--corpus DIR]``; it prints two Markdown tables and
exits 0. The corpus defaults to ``$DUBAN_CORPUS`` or ``<repo>/../shared/corpus``; every
``*.txt`` in it and in its ``more/`` folder is read.

**Structure table** (every document). What counts as a review part or as this year's work
comes from hand-made annotations in ``benchmarks/parts/`` (see its README), never from
the engine's own reading of the document:

``tasks``
    top-level proposals (indicator tasks included), the figure an office sees.
``items``
    clauses folded under them.
``review%``
    share of proposals whose start lies in a paragraph annotated ``review``.
``coverage``
    share of paragraphs annotated ``work`` (this year's work, or the forward-looking
    parts of a document without a year) that hold at least one proposal; lines without
    a sentence end (。！？) and numbered headings on a line of their own (「（一）……。」, which
    become sections of the task book) are not counted.
``work%``
    share of proposals that lie in ``work`` paragraphs (a precision proxy that does not
    depend on the engine's section choice).

**Gold table** (documents with a gold file: ``*.gold.json`` in the corpus, and the gold
files we wrote ourselves in ``benchmarks/gold/``, whose ``doc`` is relative to the
corpus). Scoring follows the corpus README ("How to score"): both sides are normalised
by removing whitespace (incl. full-width and zero-width spaces) and the quote marks “ ” ".

Columns:

``structure``
    share of checks passed: article count, title (``title``/``title_contains``),
    subtitle, kicker, authors, and every gold section heading found among the article's
    extracted section titles.
``frameworks``
    mean over gold frameworks: 1 for a matched name when the gold lists no items, else
    0.5 + 0.5 × share of gold items found in the matched framework's items.
``recall``
    share of gold tasks with a key phrase in some extracted task's text.
``pillar`` / ``section``
    among found gold tasks, the share whose matching tasks carry the gold pillar/section.
``not_task``
    1 − violated / gold not_tasks.
``targets``
    gold targets matched one to one by value among indicator targets.
``times``
    gold time expressions found in some task deadline with equal start and end.
``lead@1`` / ``lead@3``
    for gold tasks with lead units, share whose first (any of three) suggestion of a
    matching task is a gold unit. Names are compared through the catalog
    (``resolve_unit_name``) and else loosely (``loose_name``), so full and short names of
    one department are equal.
``tasks``
    number of extracted top-level tasks (indicator tasks included).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from duban.extract.model import ParsedDocument
from duban.extract.normalize import _convert_punct
from duban.extract.pipeline import extract_text

_STRIP = re.compile('[\\s\u3000\u200b\u200c\u200d\ufeff“”"]')
REPO = Path(__file__).resolve().parents[2]
PARTS_DIR = REPO / "benchmarks" / "parts"
GOLD_DIR = REPO / "benchmarks" / "gold"
# A numbered heading on a line of its own is a row of the framework, not a task.
_HEADING_LINE = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)")


def norm(s: str) -> str:
    """The README's normalisation: no whitespace, no quote marks."""
    return _STRIP.sub("", s or "")


def default_corpus() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _same_unit(catalog: Any) -> Any:
    """A key under which full and short names of one department coincide."""
    from duban.extract.units import loose_name, resolve_unit_name

    def key(name: str) -> str:
        unit = resolve_unit_name(name, catalog) if catalog is not None else None
        return "#" + unit.name if unit is not None else loose_name(name)

    return key


def _catalog(level: str | None) -> Any | None:
    if not level:
        return None
    from duban.extract.units import load_catalog

    return load_catalog(level)


def score(
    doc: ParsedDocument, gold: dict[str, Any], *, leads: bool, catalog: Any | None = None
) -> dict[str, Any]:
    """Scores of one extracted document against one gold file (see module docstring)."""
    res: dict[str, Any] = {}
    unit_key = _same_unit(catalog)
    # Structure
    checks: list[bool] = [len(doc.articles) == len(gold.get("articles", []))]
    for i, ga in enumerate(gold.get("articles", [])):
        art = doc.articles[i] if i < len(doc.articles) else None
        title = norm(art.title) if art else ""
        if "title" in ga:
            checks.append(title == norm(ga["title"]))
        if "title_contains" in ga:
            checks.append(norm(ga["title_contains"]) in title)
        for key in ("subtitle", "kicker"):
            if key in ga:
                checks.append(bool(art) and norm(getattr(art, key)) == norm(ga[key]))
        if "authors" in ga:
            checks.append(
                bool(art) and [norm(a) for a in art.authors] == [norm(a) for a in ga["authors"]]
            )
        titles = {norm(s.title) for s in art.sections} if art else set()
        for sec in ga.get("sections", []):
            checks.append(norm(sec) in titles)
    res["structure"] = sum(checks) / len(checks)
    # Frameworks
    fw_scores = []
    for gf in gold.get("frameworks", []):
        names = [norm(gf["name"])] + [norm(x) for x in gf.get("name_alt", [])]
        best = 0.0
        for f in doc.frameworks:
            fname = norm(f.name)
            if not any(n == fname or n in fname for n in names):
                continue
            if not gf.get("items"):
                best = 1.0
                break
            joined = norm("".join(f.items))
            share = sum(norm(it) in joined for it in gf["items"]) / len(gf["items"])
            best = max(best, 0.5 + 0.5 * share)
        fw_scores.append(best)
    res["frameworks"] = sum(fw_scores) / len(fw_scores) if fw_scores else None
    # Tasks
    texts = [norm(t.text) for t in doc.tasks]
    found = pillar_ok = pillar_n = section_ok = 0
    lead1 = lead3 = lead_n = 0
    missed: list[str] = []
    for gt in gold.get("tasks", []):
        keys = [norm(k) for k in gt["key"]]
        matching = [t for t, tx in zip(doc.tasks, texts, strict=True) if any(k in tx for k in keys)]
        if not matching:
            missed.append(gt["key"][0])
            continue
        found += 1
        if gt.get("pillar"):
            pillar_n += 1
            pillar_ok += any(t.pillar == gt["pillar"] for t in matching)
        section_ok += any(norm(t.section or "") == norm(gt.get("section") or "") for t in matching)
        if leads and gt.get("lead"):
            lead_n += 1
            gold_units = {unit_key(u) for u in gt["lead"]}
            firsts = [t.lead_suggestions[:1] for t in matching]
            threes = [t.lead_suggestions[:3] for t in matching]
            lead1 += any(unit_key(s.unit) in gold_units for ss in firsts for s in ss)
            lead3 += any(unit_key(s.unit) in gold_units for ss in threes for s in ss)
    n_tasks = len(gold.get("tasks", []))
    res["recall"] = found / n_tasks if n_tasks else None
    res["pillar"] = pillar_ok / pillar_n if pillar_n else None
    res["section"] = section_ok / found if found else None
    res["missed"] = missed
    res["lead@1"] = lead1 / lead_n if leads and lead_n else None
    res["lead@3"] = lead3 / lead_n if leads and lead_n else None
    # Not-tasks
    nots = [norm(x) for x in gold.get("not_tasks", [])]
    violated = [x for x in nots if any(x in tx for tx in texts)]
    res["not_task"] = 1 - len(violated) / len(nots) if nots else None
    res["violated"] = violated
    # Targets: one to one on value.
    pool = [norm(x.value) for t in doc.tasks if t.kind == "indicator" for x in t.targets]
    hit = 0
    for gt in gold.get("targets", []):
        v = norm(gt["value"])
        if v in pool:
            pool.remove(v)
            hit += 1
    res["targets"] = hit / len(gold["targets"]) if gold.get("targets") else None
    # Time expressions
    te_hit = 0
    for te in gold.get("time_expressions", []):
        te_hit += any(
            t.deadline
            and norm(te["text"]) in norm(t.deadline.text)
            and t.deadline.start.isoformat() == te["start"]
            and t.deadline.end.isoformat() == te["end"]
            for t in doc.tasks
        )
    tes = gold.get("time_expressions", [])
    res["times"] = te_hit / len(tes) if tes else None
    res["tasks"] = len(doc.tasks)
    return res


def paragraph_kinds(doc: ParsedDocument, parts: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each paragraph of the normalized text, from an annotation.

    Each part of the annotation starts at the first paragraph whose text (whitespace
    removed, punctuation normalised as the engine does) begins with its ``from``; a part whose
    ``from`` the normaliser removed (page furniture) is reported on stderr. The text before the first part is ``front``.
    """
    text = doc.text
    paras: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        paras.append((pos, pos + len(line)))
        pos += len(line) + 1
    kinds = ["front"] * len(paras)
    starts: list[tuple[int, str]] = []
    i = 0
    for part in parts.get("parts", []):
        # ``from`` is verbatim raw text; the engine's text has GB/T 15834 marks.
        want = norm(_convert_punct(part["from"]))
        j = i
        while j < len(paras) and not norm(text[paras[j][0] : paras[j][1]]).startswith(want):
            j += 1
        if j == len(paras):
            # The line was joined to the paragraph before it: look inside paragraphs.
            j = next(
                (k for k in range(i, len(paras)) if want in norm(text[paras[k][0] : paras[k][1]])),
                -1,
            )
            if j < 0:
                print(f"eval: part not in the engine's text: {part['from']!r}", file=sys.stderr)
                continue
        starts.append((j, part["kind"]))
        i = j + 1
    for n, (j, kind) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(paras)
        for k in range(j, stop):
            kinds[k] = kind
    return [(a, b, k) for (a, b), k in zip(paras, kinds, strict=True)]


def structure_measures(doc: ParsedDocument, parts: dict[str, Any] | None) -> dict[str, Any]:
    """Top-level count, review share, this-year coverage (see the module docstring)."""
    res: dict[str, Any] = {
        "tasks": len(doc.tasks),
        "items": sum(len(t.items) for t in doc.tasks),
    }
    if parts is None:
        res.update({"review%": None, "coverage": None, "work%": None})
        return res
    paras = paragraph_kinds(doc, parts)
    starts = [a for a, _b, _k in paras]

    def kind_at(pos: int) -> str:
        from bisect import bisect_right

        return paras[max(0, bisect_right(starts, pos) - 1)][2]

    kinds = [kind_at(t.start) for t in doc.tasks]
    n = len(kinds)
    res["review%"] = sum(k == "review" for k in kinds) / n if n else 0.0
    res["work%"] = sum(k == "work" for k in kinds) / n if n else None
    covered = set()
    for t in doc.tasks:
        for i, (a, b, _k) in enumerate(paras):
            if a <= t.start < b or (t.start < a < t.end):
                covered.add(i)
    work = [
        i
        for i, (a, b, k) in enumerate(paras)
        if k == "work"
        and any(end in doc.text[a:b] for end in "。！？")
        and b - a >= 15
        and not (_HEADING_LINE.match(doc.text[a:b]) and doc.text[a:b].count("。") <= 1)
    ]
    res["coverage"] = sum(i in covered for i in work) / len(work) if work else None
    return res


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


GOLD_COLUMNS = [
    "structure",
    "frameworks",
    "recall",
    "pillar",
    "section",
    "not_task",
    "targets",
    "times",
    "lead@1",
    "lead@3",
    "tasks",
]
STRUCTURE_COLUMNS = ["tasks", "items", "review%", "coverage", "work%", "seconds"]


def corpus_documents(corpus: Path) -> list[Path]:
    """Every text of the corpus, the ``more/`` folder included."""
    return sorted(corpus.glob("*.txt")) + sorted((corpus / "more").glob("*.txt"))


def gold_files(corpus: Path) -> list[Path]:
    """The corpus's gold files and ours (``benchmarks/gold/``)."""
    return sorted(corpus.glob("*.gold.json")) + sorted(GOLD_DIR.glob("*.gold.json"))


def _parts_for(rel: str) -> dict[str, Any] | None:
    path = PARTS_DIR / (Path(rel).stem + ".parts.json")
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _base_date(gold: dict[str, Any] | None) -> datetime.date | None:
    if gold and gold.get("base_date"):
        return datetime.date.fromisoformat(gold["base_date"])
    return None


def run(corpus: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """(structure rows for every document, gold rows for documents with a gold file)."""
    golds: dict[str, dict[str, Any]] = {}
    for path in gold_files(corpus):
        gold = json.loads(path.read_text(encoding="utf-8"))
        golds[gold["doc"]] = gold
    structure_rows = []
    gold_rows = []
    for path in corpus_documents(corpus):
        rel = path.relative_to(corpus).as_posix()
        gold = golds.get(rel)
        catalog = _catalog(gold.get("lead_level")) if gold else None
        text = path.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        doc = extract_text(text, date=_base_date(gold), catalog=catalog, path=rel)
        seconds = time.perf_counter() - t0
        row = structure_measures(doc, _parts_for(rel))
        row["seconds"] = seconds
        structure_rows.append((rel, row))
        if gold is not None:
            res = score(doc, gold, leads=catalog is not None, catalog=catalog)
            gold_rows.append((rel, res))
    return structure_rows, gold_rows


def _table(rows: list[tuple[str, dict[str, Any]]], columns: list[str]) -> list[str]:
    out = ["| doc | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, res in rows:
        out.append(f"| {name} | " + " | ".join(_fmt(res.get(c)) for c in columns) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the text engine on the whole corpus.")
    ap.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="corpus folder (default: $DUBAN_CORPUS or ../shared/corpus)",
    )
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="list missed tasks and violated not_tasks"
    )
    args = ap.parse_args(argv)
    corpus = args.corpus or default_corpus()
    structure_rows, gold_rows = run(corpus)
    if not structure_rows:
        print(f"提示：{corpus} 中没有文本 (no corpus texts found)", file=sys.stderr)
        return 0
    print("\n".join(_table(structure_rows, STRUCTURE_COLUMNS)))
    print()
    print("\n".join(_table(gold_rows, GOLD_COLUMNS)))
    if args.verbose:
        for name, res in gold_rows:
            print(f"\n{name}: missed {res['missed']}; violated {res['violated']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
