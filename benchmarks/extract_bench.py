"""How fast and how big the text engine is, measured against plain jieba.

Prints figures; it is not a test and asserts nothing. Run from the repository root:

    .venv/bin/python benchmarks/extract_bench.py

It reports, for the corpus report ``national-2021.txt``, a 20,000-character text built by
repeating its body, and every corpus document one after the other:

* characters per second of the whole pipeline (``extract_text`` with lead-unit
  suggestions), warm: after one untimed run, so that catalogs and regular expressions are
  loaded; best of several runs, because the machine is shared;
* characters per second of ``jieba.lcut`` on the same text in the same process, and the
  speed ratio engine ÷ jieba (goal: at least 1.0, the engine no slower than segmentation
  alone);

then the cold-start time of ``python -m duban extract`` (the real command) on a 20,000-character report in a
fresh process (goal < 2 s), and the peak resident memory of extracting a 10 MB input in a
child process (goal < 1 GiB), read with ``resource.getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CORPUS = Path(os.environ.get("DUBAN_CORPUS", REPO.parent / "shared" / "corpus"))
DATE = datetime.date(2021, 3, 5)


def repeat_to(text: str, n: int) -> str:
    """``text`` repeated (at paragraph boundaries, so structure is still plausible) to ``n`` chars."""
    out = (text + "\n") * (n // (len(text) + 1) + 1)
    cut = out.rfind("\n", 0, n)
    return out[: cut if cut > n // 2 else n]


def repeat_to_bytes(text: str, n_bytes: int) -> str:
    """``text`` repeated to about ``n_bytes`` of UTF-8, the size of the file a clerk would upload."""
    per_char = len(text.encode("utf-8")) / len(text)
    return repeat_to(text, int(n_bytes / per_char))


def best_of(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@functools.cache
def _tokenizer():  # type: ignore[no-untyped-def]
    import jieba

    tokenizer = jieba.Tokenizer()  # a private instance, as the engine itself uses
    tokenizer.initialize()
    return tokenizer


def throughput(label: str, text: str, repeats: int) -> None:
    import jieba

    from duban.extract.pipeline import extract_text
    from duban.extract.units import load_catalog

    catalog = load_catalog("national")
    jieba.setLogLevel(logging.WARNING)
    tokenizer = _tokenizer()
    extract_text(text, date=DATE, catalog=catalog)  # warm-up, untimed
    tokenizer.lcut(text)
    t_engine = best_of(lambda: extract_text(text, date=DATE, catalog=catalog), repeats)
    t_jieba = best_of(lambda: tokenizer.lcut(text), repeats)
    n = len(text)
    doc = extract_text(text, date=DATE, catalog=catalog)
    label = f"{label} [{len(doc.text):,} read, {len(doc.tasks):,} tasks]"
    print(
        f"{label:<52} {n:>9,} chars  engine {n / t_engine:>10,.0f} chars/s ({t_engine:6.2f} s)  "
        f"jieba {n / t_jieba:>10,.0f} chars/s ({t_jieba:6.2f} s)  "
        f"speed ratio engine/jieba {t_jieba / t_engine:5.2f}"
    )


def corpus_throughput(repeats: int) -> None:
    """Every corpus document through the engine and through jieba, totals compared."""
    import jieba

    from duban.extract.pipeline import extract_text
    from duban.extract.units import load_catalog

    jieba.setLogLevel(logging.WARNING)
    tokenizer = _tokenizer()
    catalog = load_catalog("province")
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    for text in texts:  # warm-up
        extract_text(text, catalog=catalog)
    t_engine = best_of(lambda: [extract_text(t, catalog=catalog) for t in texts], repeats)
    t_jieba = best_of(lambda: [tokenizer.lcut(t) for t in texts], repeats)
    n = sum(len(t) for t in texts)
    label = f"all {len(texts)} corpus documents, one by one"
    print(
        f"{label:<52} {n:>9,} chars  engine {n / t_engine:>10,.0f} chars/s ({t_engine:6.2f} s)  "
        f"jieba {n / t_jieba:>10,.0f} chars/s ({t_jieba:6.2f} s)  "
        f"speed ratio engine/jieba {t_jieba / t_engine:5.2f}"
    )


def cold_start(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report-20k.txt"
        path.write_text(text, encoding="utf-8")
        cmd = [sys.executable, "-m", "duban", "extract", str(path), "--date", "2021-03-05"]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, cwd=REPO, check=False)
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                print("cold start: command failed:", proc.stderr.decode("utf-8")[-300:])
                return
    verdict = "ok" if min(times) < 2 else "OVER GOAL"
    print(
        f"cold start  duban extract, {len(text):,} chars: best {min(times):.2f} s, "
        f"worst {max(times):.2f} s (goal < 2 s: {verdict})"
    )


def peak_memory(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report-10mb.txt"
        path.write_text(text, encoding="utf-8")
        size = path.stat().st_size
        cmd = [
            sys.executable, "-m", "duban", "extract", str(path), "--date", "2021-03-05",
            "--max-size", "12", "-o", os.devnull,
        ]  # fmt: skip
        # A fresh wrapper process runs the command, so RUSAGE_CHILDREN holds only its peak
        # and not that of the cold-start runs above.
        wrapper = (
            "import resource, subprocess, sys; "
            "p = subprocess.run(sys.argv[1:], capture_output=True); "
            "sys.stderr.buffer.write(p.stderr); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.exit(p.returncode)"
        )
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", wrapper, *cmd], capture_output=True, cwd=REPO, check=False
        )
        elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        print("peak memory: command failed:", proc.stderr.decode("utf-8")[-300:])
        return
    peak_kib = int(proc.stdout.decode().strip())  # ru_maxrss is in KiB on Linux
    verdict = "ok" if peak_kib < 1024 * 1024 else "OVER GOAL"
    print(
        f"peak RSS    duban extract, {size / 2**20:.1f} MB ({len(text):,} chars): "
        f"{peak_kib / 1024:,.0f} MiB in {elapsed:.1f} s (goal < 1 GiB: {verdict})"
    )


def main() -> None:
    from duban.extract.pipeline import extract_text

    report = (CORPUS / "national-2021.txt").read_text(encoding="utf-8")
    # The file ends with a licence notice, and the engine stops reading at such a notice, so
    # repeating the raw file would time a text cut after its first copy. The longer texts
    # repeat the report's normalized body instead.
    body = extract_text(report, date=DATE).text
    print(f"python {sys.version.split()[0]}, corpus {CORPUS}")
    throughput("national-2021.txt", report, repeats=5)
    throughput("20,000-char body repeat", repeat_to(body, 20_000), repeats=5)
    corpus_throughput(repeats=3)
    cold_start(repeat_to(body, 20_000))
    peak_memory(repeat_to_bytes(body, 10 * 1024 * 1024))


if __name__ == "__main__":
    main()
