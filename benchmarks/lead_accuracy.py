"""Lead-unit accuracy of :func:`duban.extract.units.suggest_leads` on the gold files.

For every gold task with a non-empty ``lead``, the engine now proposes one task per
sentence (a commitment), so the scorer is given the whole SENTENCE of the document that
holds one of the task's key phrases: the text is cut at 。！？ (and at line ends, so a
heading is never glued to the paragraph under it), and the first occurrence after the
review part (「……工作回顾」) is used when the review part can be told, else the first
occurrence. A task counts for lead@1 when the first suggestion is one of the gold units and
for lead@3 when any of the first three is. Names are compared with
:func:`~duban.extract.units.loose_name` and ``resolve_unit_name``, so 「国家发展和改革委员会」
equals 「国家发展改革委」 and 2016's 「国家卫生计生委」 equals 「国家卫生健康委员会」.

Gold files are read from the corpus (``$DUBAN_CORPUS`` or ``../shared/corpus``: the two
files the catalogs were first written against, "tuned") and from every ``--gold`` folder
given (default ``benchmarks/gold``: hand-made gold files the catalogs were not written
against, "new"). A gold file's ``doc`` is looked up next to it, then in the corpus and in
``corpus/more``.

``--engine`` adds the full pipeline's figures (``extract_text`` with the catalog; the
first extracted task whose text holds a key phrase is scored). It is slower.

    .venv/bin/python benchmarks/lead_accuracy.py [--corpus DIR] [--gold DIR …] [--engine] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import date
from pathlib import Path

from duban.extract.units import Catalog, load_catalog, loose_name, resolve_unit_name, suggest_leads


def _default_corpus() -> Path:
    """``$DUBAN_CORPUS``, else the nearest ``shared/corpus`` beside an ancestor folder."""
    if os.environ.get("DUBAN_CORPUS"):
        return Path(os.environ["DUBAN_CORPUS"])
    for folder in Path(__file__).resolve().parents:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return Path("../shared/corpus")


DEFAULT_CORPUS = _default_corpus()
# The hand-made gold files the catalogs were not written against live in the repository.
DEFAULT_GOLD = [Path(__file__).resolve().parent / "gold"]
_SENTENCE_END = re.compile(r"[。！？!?\n]")
# Removed before searching, as the corpus README's scorer does (quote marks too: key
# phrases are written without them); line breaks are kept first, as sentence ends.
_INVISIBLE = re.compile(r"[\u200b\u3000 \t\r“”\"]")
# A top-level heading of the review part (「一、2025年工作回顾」, 「“十四五”时期工作回顾」) and
# the heading after it; what lies between is last year's work.
_REVIEW_HEAD = re.compile(r"^[^\n]{0,30}(?:工作回顾|发展回顾)[^\n]{0,10}$", re.M)
_NEXT_HEAD = re.compile(r"^[一二三四五六七八九十]{1,3}、", re.M)


def review_span(text: str) -> tuple[int, int]:
    """(start, end) of the review part, or (0, 0) when no heading says where it is."""
    m = _REVIEW_HEAD.search(text)
    if not m:
        return (0, 0)
    n = _NEXT_HEAD.search(text, m.end())
    return (m.start(), n.start() if n else m.end())


def sentence_at(text: str, i: int, key: str) -> str:
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, i):
        start = m.end()
    m = _SENTENCE_END.search(text, i + len(key))
    end = m.end() if m else len(text)
    return text[start:end].strip()


def sentence_with(text: str, key: str, review: tuple[int, int] = (0, 0)) -> str | None:
    """The sentence of ``text`` holding ``key``: the first outside ``review``, else the first."""
    first = text.find(key)
    if first < 0:
        return None
    i = first
    while i >= 0 and review[0] <= i < review[1]:
        i = text.find(key, i + 1)
    return sentence_at(text, i if i >= 0 else first, key)


def _same(a: str, b: str, catalog: Catalog) -> bool:
    """Full and short names of one unit are the same (国务院国资委 = 国务院国有资产监督管理委员会)."""
    if a == b or loose_name(a) == loose_name(b):
        return True
    ua = resolve_unit_name(a, catalog)
    return ua is not None and ua is resolve_unit_name(b, catalog)


def _find_doc(gold_path: Path, name: str, corpus: Path) -> Path | None:
    for folder in (gold_path.parent, corpus, corpus / "more"):
        if (folder / name).is_file():
            return folder / name
    return None


def evaluate(
    gold_path: Path, corpus: Path, *, verbose: bool = False, engine: bool = False
) -> dict[str, float | int] | None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    doc = _find_doc(gold_path, gold.get("doc", ""), corpus)
    if doc is None:
        print(f"{gold_path.name}: text {gold.get('doc')!r} not found", file=sys.stderr)
        return None
    catalog = load_catalog(gold.get("lead_level", "city"))
    raw = doc.read_text(encoding="utf-8")
    text = _INVISIBLE.sub("", raw)
    review = review_span(text)
    flat = text.replace("\n", "")
    n = at1 = at3 = missing = 0
    for task in gold.get("tasks", []):
        leads = task.get("lead") or []
        if not leads:
            continue
        sentence = next((s for k in task["key"] if (s := sentence_with(text, k, review))), None)
        if sentence is None:  # a key phrase broken across lines
            sentence = next((s for k in task["key"] if (s := sentence_with(flat, k))), None)
        if sentence is None:
            missing += 1
            continue
        got = suggest_leads(sentence, catalog, k=3)
        hits = [any(_same(s.unit, g, catalog) for g in leads) for s in got]
        n += 1
        at1 += bool(hits[:1] and hits[0])
        at3 += any(hits)
        if verbose:
            mark = "1" if hits[:1] and hits[0] else ("3" if any(hits) else "-")
            print(f"  [{mark}] {task['key'][0]}  gold={'/'.join(leads)}")
            print(
                "       got="
                + "; ".join(f"{s.unit} {s.score:.2f} {'/'.join(s.matched)}" for s in got)
            )
    row: dict[str, float | int] = {
        "level": gold.get("lead_level", "city"),
        "tasks": n,
        "at1": at1,
        "at3": at3,
        "missing": missing,
    }
    if engine:
        row["e1"], row["e3"], row["unmatched"] = _engine(gold, raw, catalog)
    return row


def _engine(gold: dict, raw: str, catalog: Catalog) -> tuple[int, int, int]:
    """(hits@1, hits@3, gold tasks no extracted task matched) for the full pipeline."""
    from duban.extract.pipeline import extract_text

    base = date.fromisoformat(gold["base_date"]) if gold.get("base_date") else None
    doc = extract_text(raw, date=base, catalog=catalog)
    texts = [(_INVISIBLE.sub("", t.text).replace("\n", ""), t) for t in doc.tasks]
    at1 = at3 = unmatched = 0
    for task in gold["tasks"]:
        leads = task.get("lead") or []
        if not leads:
            continue
        match = next((t for tt, t in texts if any(k in tt for k in task["key"])), None)
        if match is None:
            unmatched += 1
            continue
        hits = [any(_same(s.unit, g, catalog) for g in leads) for s in match.lead_suggestions[:3]]
        at1 += bool(hits[:1] and hits[0])
        at3 += any(hits)
    return at1, at3, unmatched


def _line(name: str, r: dict, engine: bool) -> str:
    n = r["tasks"] or 1
    out = f"{name:40} {r['level']:>9} {r['tasks']:>5} {r['at1'] / n:>7.2f} {r['at3'] / n:>7.2f}"
    if engine:
        out += f" {r['e1'] / n:>7.2f} {r['e3'] / n:>7.2f}"
    if r.get("missing"):
        out += f"  ({r['missing']} key phrases not in the text)"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--gold", type=Path, action="append", help="more folders of *.gold.json")
    ap.add_argument("--engine", action="store_true", help="also score the full pipeline")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every task")
    args = ap.parse_args(argv)
    groups = [("tuned", sorted(args.corpus.glob("*.gold.json")))]
    for folder in args.gold or DEFAULT_GOLD:
        groups.append((f"new ({folder})", sorted(folder.glob("*.gold.json"))))
    if not any(files for _, files in groups):
        print(f"no *.gold.json in {args.corpus}", file=sys.stderr)
        return 1
    head = f"{'gold file':40} {'level':>9} {'tasks':>5} {'lead@1':>7} {'lead@3':>7}"
    if args.engine:
        head += f" {'eng@1':>7} {'eng@3':>7}"
    print(head)
    overall: dict[str, int] = {"tasks": 0, "at1": 0, "at3": 0, "e1": 0, "e3": 0}
    for label, files in groups:
        total = {k: 0 for k in overall}
        for g in files:
            if args.verbose:
                print(g.name)
            r = evaluate(g, args.corpus, verbose=args.verbose, engine=args.engine)
            if r is None or not r["tasks"]:
                continue
            print(_line(g.name, r, args.engine))
            for k in total:
                total[k] += int(r.get(k, 0))
        if total["tasks"]:
            print(_line(f"= {label}", {**total, "level": ""}, args.engine))
            for k in overall:
                overall[k] += total[k]
    print(_line("= overall", {**overall, "level": ""}, args.engine))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
