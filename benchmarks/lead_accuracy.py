"""Lead-unit accuracy of :func:`duban.extract.units.suggest_leads` on the gold files.

For every gold task with a non-empty ``lead``, the sentence of the corpus text holding one
of its key phrases is given to ``suggest_leads`` with the catalog of the file's
``lead_level``; a task counts for acc@1 when the first suggestion is one of the gold units,
for acc@3 when any of the first three is. Names are compared with ``resolve_unit_name``,
so 「国家发展和改革委员会」 equals 「国家发展改革委」.

The ``sentence`` columns measure the catalog and the scorer alone, on the gold sentences.
The ``engine`` columns run the whole pipeline (``extract_text`` with the catalog) and
score the suggestions of the first extracted task whose text holds a key phrase, as the
corpus README describes; a gold task that no extracted task matches counts as a miss.

    .venv/bin/python benchmarks/lead_accuracy.py [--corpus DIR] [-v]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path

from duban.extract.units import Catalog, load_catalog, resolve_unit_name, suggest_leads

DEFAULT_CORPUS = Path("/work/shared/corpus")
# Sentence ends; a line break ends a paragraph (and a heading) too.
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_INVISIBLE = re.compile(r"[\u200b\u3000 \t\r]")


def sentence_with(text: str, key: str) -> str | None:
    """The sentence of ``text`` containing ``key``, or None."""
    i = text.find(key)
    if i < 0:
        return None
    start = 0
    for m in _SENTENCE_END.finditer(text, 0, i):
        start = m.end()
    m = _SENTENCE_END.search(text, i + len(key))
    end = m.end() if m else len(text)
    return text[start:end].strip()


def evaluate(gold_path: Path, corpus: Path, verbose: bool = False) -> dict[str, float | int]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    level = gold.get("lead_level", "city")
    catalog = load_catalog(level)
    text_raw = (corpus / gold["doc"]).read_text(encoding="utf-8")
    text = _INVISIBLE.sub("", text_raw)
    n = at1 = at3 = missing = 0
    for task in gold["tasks"]:
        leads = task.get("lead") or []
        if not leads:
            continue
        sentence = next((s for k in task["key"] if (s := sentence_with(text, k))), None)
        if sentence is None:
            missing += 1
            continue
        wanted = {id(u) for g in leads if (u := resolve_unit_name(g, catalog)) is not None}
        unknown = [g for g in leads if resolve_unit_name(g, catalog) is None]
        got = suggest_leads(sentence, catalog, k=3)
        hits = [id(resolve_unit_name(s.unit, catalog)) in wanted for s in got]
        n += 1
        at1 += bool(hits[:1] and hits[0])
        at3 += any(hits)
        if verbose:
            mark = "1" if hits[:1] and hits[0] else ("3" if any(hits) else "-")
            print(
                f"  [{mark}] {task['key'][0]}  gold={'/'.join(leads)}"
                + (f" (unknown: {'/'.join(unknown)})" if unknown else "")
            )
            print(
                "       got="
                + "; ".join(f"{s.unit} {s.score:.2f} {'/'.join(s.matched)}" for s in got)
            )
    e1, e3, unmatched = _engine(gold, text_raw, catalog)
    return {
        "tasks": n,
        "acc@1": at1 / n if n else 0.0,
        "acc@3": at3 / n if n else 0.0,
        "missing": missing,
        "engine@1": e1 / n if n else 0.0,
        "engine@3": e3 / n if n else 0.0,
        "unmatched": unmatched,
    }


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
        wanted = {id(u) for g in leads if (u := resolve_unit_name(g, catalog)) is not None}
        hits = [id(resolve_unit_name(s.unit, catalog)) in wanted for s in match.lead_suggestions]
        at1 += bool(hits[:1] and hits[0])
        at3 += any(hits[:3])
    return at1, at3, unmatched


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every task")
    args = ap.parse_args(argv)
    golds = sorted(args.corpus.glob("*.gold.json"))
    if not golds:
        print(f"no *.gold.json in {args.corpus}", file=sys.stderr)
        return 1
    rows = []
    for g in golds:
        if args.verbose:
            print(g.name)
        rows.append((g.name, evaluate(g, args.corpus, args.verbose)))
    print(f"{'':48} {'sentence':>13} {'engine':>13}")
    print(
        f"{'gold file':32} {'level':>9} {'tasks':>5} {'acc@1':>6} {'acc@3':>6} {'acc@1':>6} {'acc@3':>6}"
    )
    for name, r in rows:
        level = json.loads((args.corpus / name).read_text(encoding="utf-8")).get("lead_level", "")
        notes = []
        if r["missing"]:
            notes.append(f"{r['missing']} key phrases not in the text")
        if r["unmatched"]:
            notes.append(f"{r['unmatched']} gold tasks not extracted")
        print(
            f"{name:32} {level:>9} {r['tasks']:>5} {r['acc@1']:>6.2f} {r['acc@3']:>6.2f}"
            f" {r['engine@1']:>6.2f} {r['engine@3']:>6.2f}"
            + (f"  ({'; '.join(notes)})" if notes else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
