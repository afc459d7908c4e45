"""Score the engine on every corpus document that has a gold file.

Run ``python -m duban.extract.eval [--corpus DIR]``; it prints a Markdown table and exits 0.
The corpus defaults to ``$DUBAN_CORPUS`` or ``<repo>/../shared/corpus``. Scoring follows
the corpus README ("How to score"): both sides are normalised by removing whitespace
(incl. full-width and zero-width spaces) and the quote marks “ ” ".

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
    matching task is a gold unit; ``n/a`` without ``duban.extract.units.load_catalog``.
``precision~``
    a rough precision proxy, since no gold lists *all* tasks: the share of extracted
    tasks that look like a row of a task book — they lie in a block structure marked as
    this year's work or forward-looking text (``work``/``mixed``/``article``), do not open
    with a review phrase (过去一年, 一年来 …), contain no not_task phrase and no mark of
    an achievement (取得了, 实现了, 完成了, 累计, 同比), and are 4–200 characters long. It
    catches review leaks, page junk and runaway segments, not over-splitting.
``tasks``
    number of extracted tasks (indicator tasks included).
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
from duban.extract.pipeline import extract_text

_STRIP = re.compile('[\\s\u3000\u200b\u200c\u200d\ufeff“”"]')
_REVIEW = re.compile(r"^(?:过去一年|过去五年|一年来|五年来)")
_ACHIEVED = re.compile(r"取得了|实现了|完成了|累计|同比")


def norm(s: str) -> str:
    """The README's normalisation: no whitespace, no quote marks."""
    return _STRIP.sub("", s or "")


def default_corpus() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def _loose(name: str) -> str:
    try:
        from duban.extract.units import loose_name

        return loose_name(name)
    except ImportError:
        return norm(name).replace("和", "").replace("委员会", "委")


def _catalog(level: str | None) -> Any | None:
    if not level:
        return None
    try:
        from duban.extract.units import load_catalog
    except ImportError:
        return None
    try:
        return load_catalog(level)
    except Exception:  # a missing or broken catalog only disables lead scoring
        return None


def score(doc: ParsedDocument, gold: dict[str, Any], *, leads: bool) -> dict[str, Any]:
    """Scores of one extracted document against one gold file (see module docstring)."""
    res: dict[str, Any] = {}
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
            gold_units = {_loose(u) for u in gt["lead"]}
            firsts = [t.lead_suggestions[:1] for t in matching]
            threes = [t.lead_suggestions[:3] for t in matching]
            lead1 += any(_loose(s.unit) in gold_units for ss in firsts for s in ss)
            lead3 += any(_loose(s.unit) in gold_units for ss in threes for s in ss)
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
    # Precision proxy
    blocks = doc.extras.get("blocks", [])
    good = 0
    for t, tx in zip(doc.tasks, texts, strict=True):
        kind = next((k for a, b, k, _ in blocks if a <= t.start < b), "")
        if (
            kind in ("work", "mixed", "article")
            and not _REVIEW.match(tx)
            and not any(x in tx for x in nots)
        ):
            good += 1
    res["precision~"] = good / len(doc.tasks) if doc.tasks else None
    res["tasks"] = len(doc.tasks)
    return res


def _fmt(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


COLUMNS = [
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
    "precision~",
    "tasks",
]


def run(corpus: Path, *, verbose: bool = False) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for gold_path in sorted(corpus.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = (corpus / gold["doc"]).read_text(encoding="utf-8")
        base = datetime.date.fromisoformat(gold["base_date"]) if gold.get("base_date") else None
        catalog = _catalog(gold.get("lead_level"))
        t0 = time.perf_counter()
        doc = extract_text(text, date=base, catalog=catalog, path=gold["doc"])
        res = score(doc, gold, leads=catalog is not None)
        res["seconds"] = time.perf_counter() - t0
        rows.append((gold["doc"], res))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the text engine against the corpus gold files.")
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
    rows = run(corpus)
    if not rows:
        print(f"提示：{corpus} 中没有 *.gold.json 文件 (no gold files found)", file=sys.stderr)
    print("| doc | " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---|" * len(COLUMNS))
    for name, res in rows:
        print(f"| {name} | " + " | ".join(_fmt(res.get(c)) for c in COLUMNS) + " |")
    if args.verbose:
        for name, res in rows:
            print(f"\n{name}: missed {res['missed']}; violated {res['violated']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
