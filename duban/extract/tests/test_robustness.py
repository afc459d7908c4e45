"""Properties that must hold for *any* input, found with hypothesis.

The engine may not understand a text, but it must never crash with anything other than an
:class:`ExtractError`, every offset it reports must point inside its normalized text, and
its JSON must match the published schema. The readers must likewise turn arbitrary bytes
into text or an ExtractError, never another exception.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from duban.extract.errors import ExtractError
from duban.extract.model import ParsedDocument
from duban.extract.output import load_schema, to_markdown
from duban.extract.pipeline import extract_text
from duban.extract.readers import decode_bytes, read_bytes

# Pieces of report language and of the noise around it, so that generated texts reach the
# structure, framework, directive and deadline steps instead of being rejected at once.
FRAGMENTS = [
    "一、", "二、", "三、", "（一）", "（二）", "（十）", "1.", "2．", "（1）", "第一，",
    "各位代表：", "政府工作报告", "——2021年3月5日在第十三届全国人民代表大会第四次会议上",
    "要", "坚持", "加快", "确保", "着力", "抓好抓实", "推进", "深化", "不断", "全面",
    "促消费增活力", "稳外资稳外贸", "、", "，", "。", "；", "：", "！", "？", "“", "”", "《", "》",
    "年底前", "今年", "明年上半年", "到2025年", "三季度末", "“十四五”", "十五五", "六稳", "六保",
    "三大攻坚战", "两翼驱动、四区支撑、多点布局", "六字要求", "三个关系", "八个方面工作",
    "控、保、稳、进、抬、扛", "5.5%", "6％", "1100万人", "左右", "以上", "增长",
    "主要预期目标是：", "市财政局", "国家发展改革委", "牵头", "负责", "各地区各部门",
    "#", "##", "\n", "\n\n", " ", "\u3000", "\u200b", "\t", "\r\n", "下载", "打印", "【字号：",
    "来源：河南日报", "时间：2026-02-03", "记者", "（", "）", "(", ")", "……", "—",
]  # fmt: skip

report_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)),
    max_size=80,
).map("".join)

DATE = datetime.date(2021, 3, 5)
SCHEMA = load_schema()


def corpus_dir() -> Path:
    env = os.environ.get("DUBAN_CORPUS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


def assert_spans_inside(doc: ParsedDocument) -> None:
    n = len(doc.text)

    def inside(start: int, end: int, what: str) -> None:
        assert 0 <= start <= end <= n, f"{what} span [{start}, {end}) outside text of {n}"

    for a in doc.articles:
        inside(a.start, a.end, f"article {a.title!r}")
        for s in a.sections:
            inside(s.start, s.end, f"section {s.title!r}")
    for f in doc.frameworks:
        inside(f.start, f.end, f"framework {f.name!r}")
    for t in doc.tasks:
        inside(t.start, t.end, f"task {t.id}")
        assert 0 <= t.article < max(1, len(doc.articles)), f"task {t.id} article {t.article}"
        if t.deadline:
            assert t.deadline.start <= t.deadline.end, f"task {t.id} deadline {t.deadline}"


def run_engine(text: str, date: datetime.date | None) -> ParsedDocument | None:
    try:
        return extract_text(text, date=date)
    except ExtractError as exc:
        assert "\n" not in exc.message
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=report_text, dated=st.booleans())
def test_engine_raises_only_extract_error_and_spans_stay_inside(text: str, dated: bool) -> None:
    doc = run_engine(text, DATE if dated else None)
    if doc is not None:
        assert_spans_inside(doc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300))
def test_engine_on_arbitrary_unicode(text: str) -> None:
    doc = run_engine(text, DATE)
    if doc is not None:
        assert_spans_inside(doc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=report_text)
def test_generated_documents_match_the_schema(text: str) -> None:
    doc = run_engine(text, DATE)
    if doc is not None:
        jsonschema.Draft202012Validator(SCHEMA).validate(doc.to_dict())
        assert to_markdown(doc).startswith("# ")


def test_every_corpus_document_matches_the_schema() -> None:
    from duban.extract.units import load_catalog

    files = sorted(corpus_dir().glob("*.txt"))
    assert len(files) >= 5
    validator = jsonschema.Draft202012Validator(SCHEMA)
    catalog = load_catalog("province")
    for f in files:
        doc = extract_text(f.read_text(encoding="utf-8"), catalog=catalog, path=f.name)
        assert_spans_inside(doc)
        errors = [e.message for e in validator.iter_errors(doc.to_dict())]
        assert errors == [], f"{f.name}: {errors[:3]}"


# --------------------------------------------------------------------------- readers


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=500).map(lambda b: b"%PDF-1.4\n" + b),
        st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
        st.binary(max_size=500).map(lambda b: b"\xef\xbb\xbf" + b),
        st.binary(max_size=500).map(lambda b: b"\xff\xfe" + b),
        st.text(max_size=300).map(lambda t: f"<html><body><p>{t}</p></body></html>".encode()),
    ),
    suffix=st.sampled_from([".txt", ".md", ".docx", ".pdf", ".html", ".xyz", ""]),
)
def test_readers_raise_only_extract_error(data: bytes, suffix: str) -> None:
    try:
        src = read_bytes(data, suffix=suffix)
    except ExtractError as exc:
        assert "\n" not in exc.message
        return
    assert isinstance(src.text, str)
    assert src.text.strip()


@pytest.fixture(scope="module")
def report_lines() -> list[str]:
    text = (corpus_dir() / "prov2026-河南省.txt").read_text(encoding="utf-8")
    return [ln for ln in text.split("\n") if len(ln) >= 20]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
    codec=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]),
)
def test_any_selection_of_report_lines_round_trips(
    report_lines: list[str], picks: list[int], codec: str
) -> None:
    text = "\n".join(report_lines[i % len(report_lines)] for i in picks)
    decoded, _, _ = decode_bytes(text.encode(codec))
    assert decoded == text


def test_a_crash_in_a_required_step_is_an_error_not_zero_tasks(monkeypatch) -> None:
    import duban.extract.pipeline as pipeline
    from duban.extract.errors import ErrorCode, ExtractError

    def broken(doc):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "find_tasks", broken)
    try:
        pipeline.extract_text("要加快推进重大项目建设。")
    except ExtractError as exc:
        assert exc.code == ErrorCode.E014_ENGINE
        assert "directives" in exc.message
    else:
        raise AssertionError("a failed required step must raise ExtractError")


def test_a_crash_in_an_optional_step_is_a_warning(monkeypatch) -> None:
    import duban.extract.pipeline as pipeline

    def broken(doc):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "assign_deadlines", broken)
    doc = pipeline.extract_text("要加快推进重大项目建设。")
    assert doc.tasks and any("times" in w for w in doc.warnings)
