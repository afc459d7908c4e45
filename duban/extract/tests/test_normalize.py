"""Normalization: punctuation, zero-width characters, furniture and broken lines."""

from __future__ import annotations

import pytest

from duban.extract.model import ParsedDocument
from duban.extract.normalize import normalize


def norm(raw: str) -> str:
    return normalize(ParsedDocument(text=raw)).text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("要抓好春耕,确保面积不减。", "要抓好春耕，确保面积不减。"),
        ("目标有三个:一是稳;二是进!", "目标有三个：一是稳；二是进！"),
        ("怎么办?靠改革。", "怎么办？靠改革。"),
        ("召开全体(扩大)会议。", "召开全体（扩大）会议。"),
        ('落实"放管服"改革。', "落实“放管服”改革。"),
        ("增长3.5%,建成5G基站。", "增长3.5%，建成5G基站。"),
        ("GDP增长6%以上,时间2020.7。", "GDP增长6%以上，时间2020.7。"),
        ("会议于10:30开始,共1,000人参加。", "会议于10:30开始，共1,000人参加。"),
        ("交出一份人\u200b民满意的答卷。", "交出一份人民满意的答卷。"),
    ],
)
def test_punctuation_and_zero_width(raw: str, expected: str) -> None:
    assert norm(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # A column break in the middle of a word, with and without a blank line.
        (
            "面对汛期的严峻形势,我们要最大限度\n\n降低灾害损失,保障群众安全。",
            "面对汛期的严峻形势，我们要最大限度降低灾害损失，保障群众安全。",
        ),
        (
            "一条很长的句子在这里被印刷的分栏切断了脱颖\n而出。",
            "一条很长的句子在这里被印刷的分栏切断了脱颖而出。",
        ),
        # A short unpunctuated line is a title or label, not a broken sentence.
        ("郑报记者\n张三 李四", "郑报记者\n张三 李四"),
        # A title broken over two lines.
        (
            "市政府工作报\n告\n——2024年1月5日在市第一届人民代表大会第一次会议上",
            "市政府工作报告\n——2024年1月5日在市第一届人民代表大会第一次会议上",
        ),
        # A short line that cannot end a sentence: a particle, or a quotation still open.
        ("今年发展的\n主要目标\n是：稳中求进。", "今年发展的主要目标是：稳中求进。"),
        ("3.“双向\n揭榜\n挂帅”：说明。", "3.“双向揭榜挂帅”：说明。"),
        # Sentence-final marks end a paragraph.
        ("第一段完了。\n第二段开始。", "第一段完了。\n第二段开始。"),
        # A heading line is never joined to the following paragraph.
        (
            "（一）加快建设现代化产业体系\n实施制造业升级行动。",
            "（一）加快建设现代化产业体系\n实施制造业升级行动。",
        ),
    ],
)
def test_joins(raw: str, expected: str) -> None:
    assert norm(raw) == expected


def test_heading_marks_become_hints() -> None:
    doc = normalize(ParsedDocument(text="# 标题一\n## 副题\n正文第一句。"))
    assert doc.text == "标题一\n副题\n正文第一句。"
    assert [p.heading for p in doc.extras["paragraphs"]] == [1, 2, 0]


def test_page_furniture_is_dropped() -> None:
    raw = "\n".join(
        [
            "下载",
            "打印",
            "【字号：",
            "加大",
            "还原",
            "减小",
            "】",
            "某市政府工作报告",
            "来源：某某日报",
            "时间：2024-02-03",
            "各位代表：",
            "要办好民生实事。",
        ]
        + ["正文。"] * 5
        + ["相关报道：", "另一篇报道的标题"]
    )
    doc = normalize(ParsedDocument(text=raw))
    assert doc.text.startswith("某市政府工作报告\n各位代表：")
    for junk in ("下载", "字号", "来源", "时间", "相关报道", "另一篇"):
        assert junk not in doc.text
    assert doc.extras["published"] == (2024, 2, 3)


def test_licence_tail_is_dropped() -> None:
    raw = (
        "各位代表！\n让我们团结奋斗。\n" * 3
        + "本作品是中华人民共和国的\n法律\n、\n法规\nPublic domain\nfalse\n"
    )
    text = norm(raw)
    assert text.endswith("让我们团结奋斗。")


def test_paragraph_spans_match_text() -> None:
    doc = normalize(ParsedDocument(text="甲段。\n\n乙段是一个很长的段落，在印刷时被分栏切\n断了。"))
    spans = [(p.start, p.end) for p in doc.extras["paragraphs"]]
    assert [doc.text[a:b] for a, b in spans] == [
        "甲段。",
        "乙段是一个很长的段落，在印刷时被分栏切断了。",
    ]
