"""Mechanical checks for the hand-made gold files in benchmarks/gold/.

Usage:  python benchmarks/gold/check_gold.py [CORPUS_DIR]

CORPUS_DIR defaults to ../shared/corpus relative to the repository root (if that
folder does not exist, e.g. in a git worktree, the first ancestor folder holding
shared/corpus is used).  Every *.gold.json next to this script is checked against
the text its "doc" field names.  Texts are normalised as the scorer does: all
whitespace (including full-width and zero-width spaces) and the quote marks
“ ” " are removed.

Checks, each failure is reported and makes the exit status 1:
  * required fields are present and well formed (dates, lead_level, lead lists);
  * every top-level section occurs as a numbered heading (「一、」…) in order;
  * key phrases and not_task phrases are 4-14 characters of Chinese characters,
    digits and % only, and occur verbatim in the normalised text;
  * no key phrase is used by two tasks;
  * every key of a task occurs inside the part it names: the （一）-level area
    (from its heading to the next area or part heading), a top-level part, or,
    for section null, the forward-looking part;
  * no not_task occurs in the forward-looking part (by default from the last
    top-level heading to the end; see FORWARD_FROM for exceptions);
  * a task's pillar, when set, is one of the spelled-out framework items;
  * target texts, framework names (or one name_alt), framework items and
    time-expression texts occur in the text; spelled-out items match the count.
"""

import json
import re
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

# Gold files whose forward-looking part does not start at the last top-level heading.
FORWARD_FROM = {
    # Parts 一 (review), 二 (theory) and 三 (mission and long-term goals) precede
    # the numbered directions that start at part 四.
    "party-congress-20.gold.json": "加快构建新发展格局，着力推动高质量发展",
}

NUM = "一二三四五六七八九十"
PHRASE = re.compile(r"^[\u4e00-\u9fff\u30070-9%]{4,14}$")
LEAD_LEVELS = {"national", "province", "city"}


def norm(s):
    return re.sub(r"[\s\u200b\u3000\ufeff“”\"]", "", s)


def default_corpus():
    first = REPO.parent / "shared" / "corpus"
    if first.is_dir():
        return first
    for parent in REPO.parents:
        cand = parent / "shared" / "corpus"
        if cand.is_dir():
            return cand
    return first


def parse_date(s):
    try:
        return date.fromisoformat(s)
    except (TypeError, ValueError):
        return None


def check(path, corpus):
    errors = []
    err = errors.append
    gold = json.loads(path.read_text(encoding="utf-8"))
    for field in (
        "doc",
        "base_date",
        "lead_level",
        "articles",
        "frameworks",
        "tasks",
        "not_tasks",
        "targets",
        "time_expressions",
    ):
        if field not in gold:
            err(f"missing field {field!r}")
    if errors:
        return errors, {}
    doc = corpus / gold["doc"]
    if not doc.is_file():
        return [f"doc not found: {doc}"], {}
    text = norm(doc.read_text(encoding="utf-8"))
    if parse_date(gold["base_date"]) is None:
        err(f"base_date not YYYY-MM-DD: {gold['base_date']!r}")
    if gold["lead_level"] not in LEAD_LEVELS:
        err(f"lead_level {gold['lead_level']!r} not in {sorted(LEAD_LEVELS)}")

    # Top-level parts.
    if len(gold["articles"]) != 1:
        err("expected exactly one article for a report")
    sections = gold["articles"][0].get("sections", [])
    title = gold["articles"][0].get("title_contains")
    if title and norm(title) not in text:
        err(f"title_contains not in text: {title}")
    starts = []
    last = -1
    for sec in sections:
        m = re.compile(f"[{NUM}]+、" + re.escape(norm(sec))).search(text, last + 1)
        if not m:
            err(f"section heading not found (in order): {sec}")
            continue
        starts.append((m.start(), sec))
        last = m.start()
    part_bounds = {}
    for i, (pos, sec) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        part_bounds[norm(sec)] = (pos, end)
    fwd_name = FORWARD_FROM.get(path.name, sections[-1] if sections else None)
    if fwd_name is None or norm(fwd_name) not in part_bounds:
        err(f"forward-looking part heading not found: {fwd_name}")
        return errors, {}
    fwd_start = part_bounds[norm(fwd_name)][0]
    forward = text[fwd_start:]
    part_starts = sorted(p for p, _ in starts)
    area_starts = [m.start() for m in re.finditer(f"（[{NUM}]+）", text)]

    def area_region(section):
        m = re.compile(f"（[{NUM}]+）" + re.escape(norm(section))).search(text, fwd_start)
        if not m:
            return None
        nxt = [p for p in area_starts + part_starts if p > m.start()]
        return m.start(), min(nxt) if nxt else len(text)

    def phrase_ok(p, what):
        if not isinstance(p, str) or not PHRASE.match(p):
            err(f"{what} {p!r}: must be 4-14 Chinese characters, digits or %")
            return False
        if p not in text:
            err(f"{what} {p!r}: not in text")
            return False
        return True

    # Tasks.
    all_items = {it for f in gold["frameworks"] for it in f.get("items", [])}
    seen = {}
    for i, task in enumerate(gold["tasks"]):
        keys = task.get("key") or []
        if not 1 <= len(keys) <= 3:
            err(f"task {i}: needs 1-3 key phrases")
        lead = task.get("lead")
        if (
            not isinstance(lead, list)
            or len(lead) > 3
            or not all(isinstance(u, str) and u for u in lead)
        ):
            err(f"task {i}: lead must be a list of 0-3 unit names")
        good = []
        for k in keys:
            if not phrase_ok(k, f"task {i} key"):
                continue
            if k in seen:
                err(f"task {i} key {k!r} also used by task {seen[k]}")
            seen[k] = i
            good.append(k)
        pillar = task.get("pillar")
        if pillar is not None and pillar not in all_items:
            err(f"task {i}: pillar {pillar!r} is not an item of any framework")
        sec = task.get("section")
        if sec is None:
            region, where = (fwd_start, len(text)), "the forward-looking part"
        elif norm(sec) in part_bounds:
            region, where = part_bounds[norm(sec)], f"part {sec}"
            if region[0] < fwd_start:
                err(f"task {i}: part {sec} is not forward-looking")
        else:
            region, where = area_region(sec), f"area {sec}"
            if region is None:
                err(f"task {i}: section heading not found in forward part: {sec}")
                continue
        body = text[region[0] : region[1]]
        for k in good:
            if k not in body:
                err(f"task {i} key {k!r} not in {where}")

    # Not-tasks.
    for p in gold["not_tasks"]:
        if phrase_ok(p, "not_task") and p in forward:
            err(f"not_task {p!r} occurs in the forward-looking part")
        if p in seen:
            err(f"not_task {p!r} is also a task key")

    # Targets.
    for t in gold["targets"]:
        if norm(t.get("text", "")) not in text:
            err(f"target text not in text: {t.get('text')!r}")
        v = t.get("value")
        if not v or not re.search(r"\d", v):
            err(f"target value missing or without a number: {v!r}")
        elif norm(v) not in norm(t.get("text", "")):
            err(f"target value {v!r} not in its text {t.get('text')!r}")

    # Frameworks.
    for f in gold["frameworks"]:
        names = [f.get("name", ""), *list(f.get("name_alt", []))]
        if not any(n and norm(n) in text for n in names):
            err(f"framework {f.get('name')!r}: no name occurs in text")
        if not isinstance(f.get("count"), int) or f["count"] < 1:
            err(f"framework {f.get('name')!r}: count must be a positive integer")
        items = f.get("items", [])
        for it in items:
            if norm(it) not in text:
                err(f"framework {f.get('name')!r}: item {it!r} not in text")
        if items and len(items) != f.get("count"):
            err(f"framework {f.get('name')!r}: {len(items)} items but count {f.get('count')}")

    # Time expressions.
    for t in gold["time_expressions"]:
        if norm(t.get("text", "")) not in text:
            err(f"time expression not in text: {t.get('text')!r}")
        s, e = parse_date(t.get("start")), parse_date(t.get("end"))
        if s is None or e is None or s > e:
            err(f"time expression {t.get('text')!r}: bad span {t.get('start')}..{t.get('end')}")

    counts = {
        k: len(gold[k]) for k in ("tasks", "not_tasks", "frameworks", "targets", "time_expressions")
    }
    return errors, counts


def main(argv):
    corpus = Path(argv[1]) if len(argv) > 1 else default_corpus()
    if not corpus.is_dir():
        print(f"corpus folder not found: {corpus}")
        return 2
    files = sorted(HERE.glob("*.gold.json"))
    if not files:
        print("no gold files found")
        return 1
    bad = 0
    for path in files:
        try:
            errors, counts = check(path, corpus)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            errors, counts = [f"could not check: {exc!r}"], {}
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(
            f"{path.name}: {'OK' if not errors else 'FAIL'}" + (f" ({summary})" if summary else "")
        )
        for e in errors:
            print(f"  - {e}")
        bad += bool(errors)
    print(f"{len(files)} file(s), {bad} with violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
