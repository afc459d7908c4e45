"""Check the hand-made part annotations in benchmarks/parts/*.parts.json.

Each annotation file names a corpus document (``doc``, relative to the corpus folder) and
lists its parts in text order; a part starts at the line that begins with ``from``. This
script verifies, for every annotation file:

* the document exists and every corpus ``.txt`` (top level and ``more/``) has an annotation;
* every ``kind`` is one of front, review, goals, work, other;
* every ``from`` has no whitespace, is 4 to 20 characters long, occurs exactly once in
  the document, and that occurrence is at the start of a line (after stripping leading
  whitespace, including zero-width spaces and the byte-order mark);
* the parts are in strictly increasing text order.

Usage::

    python benchmarks/parts/check_parts.py [CORPUS_DIR]

Without an argument the corpus is looked for at ``../shared/corpus`` relative to the
repository root (and, for a git worktree one level deeper, ``../../shared/corpus``).
Exits with status 1 when any check fails, 0 otherwise. Standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KINDS = {"front", "review", "goals", "work", "other"}
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
STRIP = " \t\u3000\u200b\ufeff\xa0"


def default_corpus() -> Path:
    candidates = [
        REPO_ROOT.parent / "shared" / "corpus",
        REPO_ROOT.parent.parent / "shared" / "corpus",
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def line_starts(text: str) -> list[int]:
    """Offsets where each line's content begins, after stripping leading whitespace."""
    starts = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip(STRIP)
        starts.append(offset + len(line) - len(stripped))
        offset += len(line)
    return starts


def check_file(path: Path, corpus: Path) -> tuple[list[str], str | None, list[str]]:
    """Return (errors, doc, kinds) for one annotation file."""
    errors: list[str] = []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path.name}: cannot read: {exc}"], None, []
    doc = data.get("doc")
    parts = data.get("parts")
    if not isinstance(doc, str) or not isinstance(parts, list) or not parts:
        return [f"{path.name}: needs a 'doc' string and a non-empty 'parts' list"], None, []
    expected_name = Path(doc).name.removesuffix(".txt") + ".parts.json"
    if path.name != expected_name:
        errors.append(f"{path.name}: file name should be {expected_name}")
    doc_path = corpus / doc
    if not doc_path.is_file():
        return [*errors, f"{path.name}: document not found: {doc_path}"], doc, []
    text = doc_path.read_text(encoding="utf-8")
    starts = set(line_starts(text))
    previous = -1
    kinds = []
    for index, part in enumerate(parts):
        where = f"{path.name} part {index + 1}"
        start = part.get("from")
        kind = part.get("kind")
        kinds.append(str(kind))
        if kind not in KINDS:
            errors.append(f"{where}: unknown kind {kind!r}")
        if not isinstance(start, str) or not 4 <= len(start) <= 20:
            errors.append(f"{where}: 'from' must be a string of 4 to 20 characters")
            continue
        if any(ch.isspace() or ch in STRIP for ch in start):
            errors.append(f"{where}: 'from' {start!r} contains whitespace")
            continue
        count = text.count(start)
        if count != 1:
            errors.append(f"{where}: 'from' {start!r} occurs {count} times")
            continue
        position = text.index(start)
        if position not in starts:
            errors.append(f"{where}: 'from' {start!r} is not at the start of a line")
        if position <= previous:
            errors.append(f"{where}: 'from' {start!r} is out of text order")
        previous = position
    return errors, doc, kinds


def main(argv: list[str]) -> int:
    corpus = Path(argv[1]) if len(argv) > 1 else default_corpus()
    if not corpus.is_dir():
        print(f"corpus folder not found: {corpus}", file=sys.stderr)
        return 2
    errors: list[str] = []
    annotated = set()
    files = sorted(HERE.glob("*.parts.json"))
    for path in files:
        file_errors, doc, kinds = check_file(path, corpus)
        errors.extend(file_errors)
        if doc:
            annotated.add(doc)
        status = "FAIL" if file_errors else "ok"
        print(f"{status:4}  {doc or path.name}: {' '.join(kinds)}")
    documents = sorted(
        str(p.relative_to(corpus)) for p in [*corpus.glob("*.txt"), *corpus.glob("more/*.txt")]
    )
    for doc in documents:
        if doc not in annotated:
            errors.append(f"no annotation for {doc}")
    for error in errors:
        print(error, file=sys.stderr)
    print(f"{len(files)} annotation files, {len(documents)} documents, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
