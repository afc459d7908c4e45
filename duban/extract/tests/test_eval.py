"""The evaluation: its annotations stay valid, and its measures mean what they say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from duban.extract import eval as ev
from duban.extract.pipeline import extract_text
from duban.extract.tests.test_example_page import corpus_dir

REPO = Path(__file__).resolve().parents[3]


def test_gold_and_part_annotations_are_valid_against_the_corpus() -> None:
    # The corpus lies beside the repository on every machine and in CI; both checkers
    # fail (exit 1) on any phrase that does not occur where the annotation says.
    corpus = corpus_dir()
    assert corpus.exists(), f"the corpus is missing: {corpus}"
    for script in ("benchmarks/gold/check_gold.py", "benchmarks/parts/check_parts.py"):
        result = subprocess.run(
            [sys.executable, str(REPO / script), str(corpus)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_structure_measures_use_the_annotation_not_the_engine() -> None:
    text = "\n".join(
        [
            "某市政府工作报告",
            "一、2025年工作回顾",
            "要坚持稳中求进，我们推进了产业升级。",
            "二、2026年重点工作",
            "要加快建设现代化产业体系，推动制造业数字化转型。",
            "要持续保障和改善民生，办好群众身边的实事。",
        ]
    )
    doc = extract_text(text)
    parts = {
        "parts": [
            {"from": "一、2025年工作回顾", "kind": "review"},
            {"from": "二、2026年重点工作", "kind": "work"},
        ]
    }
    kinds = [k for _a, _b, k in ev.paragraph_kinds(doc, parts)]
    assert kinds == ["front", "review", "review", "work", "work", "work"]
    m = ev.structure_measures(doc, parts)
    assert m["tasks"] == len(doc.tasks)
    assert m["coverage"] == 1.0
    # Whatever the engine took from the review part counts against it.
    leaked = sum(t.start < text.index("二、") for t in doc.tasks)
    assert m["review%"] == leaked / len(doc.tasks)


def test_a_part_written_with_half_width_marks_still_starts_where_it_says() -> None:
    # Annotations quote the raw file (converted print: 「,」); the engine's text has the
    # full-width marks. A part that silently failed to match used to run the previous
    # part on, counting an editorial's description as work it should have asked for.
    text = "\n".join(
        [
            "# 凝心聚力谱新篇",
            "风雨多经人未老,关山初度路犹长。",
            "我们要按照全会部署,加快建设现代化产业体系,推动制造业数字化转型!",
        ]
    )
    doc = extract_text(text)
    parts = {
        "parts": [
            {"from": "风雨多经人未老,", "kind": "other"},
            {"from": "我们要按照全会部署,", "kind": "work"},
        ]
    }
    kinds = [k for _a, _b, k in ev.paragraph_kinds(doc, parts)]
    assert kinds[-2:] == ["other", "work"]
    # A call that ends with 「！」 is a paragraph to cover, like one ending with 「。」.
    assert ev.structure_measures(doc, parts)["coverage"] == 1.0


def test_lead_names_compare_through_the_catalog() -> None:
    from duban.extract.units import load_catalog

    key = ev._same_unit(load_catalog("national"))
    assert key("国家发展和改革委员会") == key("国家发展改革委")
    assert key("人力资源和社会保障部") == key("人力资源社会保障部")
    assert key("财政部") != key("商务部")


def test_the_whole_corpus_is_evaluated(tmp_path) -> None:
    structure_rows, gold_rows = ev.run(corpus_dir())
    names = [name for name, _ in structure_rows]
    assert "more/party-congress-20.txt" in names and "000_063208dfeef46aee.txt" in names
    gold_names = [name for name, _ in gold_rows]
    assert {"national-2021.txt", "more/party-congress-20.txt"} <= set(gold_names)
    for _name, row in structure_rows:
        assert row["review%"] is not None and row["tasks"] > 0
