"""The data the engine's pipeline steps pass along and what it returns.

One :class:`ParsedDocument` travels through every step (normalize → structure →
frameworks → directives → tasks → times → units). Each step fills in its part. All
offsets (``start``/``end``) are character offsets into ``ParsedDocument.text``, the
*normalized* text, half-open ``[start, end)``.

``to_dict()`` produces the JSON shape documented in ``docs/extract.md`` and validated by
``duban/extract/schema.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass
class Span:
    start: int
    end: int


@dataclass
class Section:
    title: str
    start: int
    end: int
    level: int = 1  # 1 = 一、  2 = （一）  3 = 1.  4 = （1）
    number: str = ""  # the numbering as printed, e.g. "（一）"


@dataclass
class Article:
    title: str
    start: int
    end: int
    kicker: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


@dataclass
class Framework:
    name: str  # as printed, e.g. "六字要求", "十四五"
    count: int | None
    items: list[str]
    start: int
    end: int
    items_from: str = "text"  # "text" | "other_article" | "glossary" | "none"


@dataclass
class Deadline:
    text: str  # as written, e.g. "年底前"
    start: date
    end: date


@dataclass
class Target:
    text: str  # e.g. "城镇调查失业率5.5%左右"
    value: str  # e.g. "5.5%"
    number: float | None = None
    unit: str = ""


@dataclass
class LeadSuggestion:
    unit: str
    score: float
    matched: list[str] = field(default_factory=list)


@dataclass
class Item:
    """One clause of a commitment: a sub-row of the task book (1.1, 1.2 …)."""

    text: str
    verb: str
    start: int
    end: int


@dataclass
class Task:
    """One commitment: a sentence, or one 「一是……」 or numbered item of a sentence.

    A commitment is what an office tracks as one row of its task book; the verb-led
    clauses inside it are its ``items`` (empty when the commitment is a single clause).
    """

    id: str  # "T0001" …
    text: str
    verb: str
    start: int
    end: int
    article: int = 0  # index into ParsedDocument.articles
    framework: str | None = None  # framework name the pillar belongs to
    pillar: str | None = None  # framework item the task serves
    section: str | None = None  # enclosing （一）-level heading, without numbering
    actors: list[str] = field(default_factory=list)
    deadline: Deadline | None = None
    targets: list[Target] = field(default_factory=list)
    kind: str = "task"  # "task" | "indicator"
    lead_suggestions: list[LeadSuggestion] = field(default_factory=list)
    co_units: list[LeadSuggestion] = field(default_factory=list)  # suggested 配合单位
    leader: dict[str, Any] | None = None  # 分管领导 by portfolio: {"name", "units"}
    items: list[Item] = field(default_factory=list)
    # The span whose words also apply to the task (the targets paragraph of an indicator,
    # for its 今年); used by later steps, not serialized.
    context: tuple[int, int] | None = None


@dataclass
class ParsedDocument:
    text: str  # normalized text; every offset refers to it
    path: str = ""
    encoding: str = "utf-8"
    date: date | None = None
    date_source: str = ""  # "argument" | "document" | "today"
    articles: list[Article] = field(default_factory=list)
    frameworks: list[Framework] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # scratch space for pipeline steps (sentences, paragraph spans …); not serialized
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (see ``docs/extract.md``)."""

        def d(x: date | None) -> str | None:
            return x.isoformat() if x else None

        return {
            "source": {
                "path": self.path,
                "encoding": self.encoding,
                "date": d(self.date),
                "date_source": self.date_source,
                "chars": len(self.text),
            },
            "text": self.text,
            "articles": [
                {
                    "kicker": a.kicker,
                    "title": a.title,
                    "subtitle": a.subtitle,
                    "authors": list(a.authors),
                    "sections": [asdict(s) for s in a.sections],
                    "start": a.start,
                    "end": a.end,
                }
                for a in self.articles
            ],
            "frameworks": [
                {
                    "name": f.name,
                    "count": f.count,
                    "items": list(f.items),
                    "items_from": f.items_from,
                    "source": {"start": f.start, "end": f.end},
                }
                for f in self.frameworks
            ],
            "tasks": [
                {
                    "id": t.id,
                    "kind": t.kind,
                    "text": t.text,
                    "verb": t.verb,
                    "framework": t.framework,
                    "pillar": t.pillar,
                    "section": t.section,
                    "actors": list(t.actors),
                    "deadline": (
                        {
                            "text": t.deadline.text,
                            "start": d(t.deadline.start),
                            "end": d(t.deadline.end),
                        }
                        if t.deadline
                        else None
                    ),
                    "targets": [asdict(x) for x in t.targets],
                    "source": {"article": t.article, "start": t.start, "end": t.end},
                    "lead_suggestions": [asdict(s) for s in t.lead_suggestions],
                    "co_units": [asdict(s) for s in t.co_units],
                    "leader": dict(t.leader) if t.leader else None,
                    "items": [
                        {
                            "text": it.text,
                            "verb": it.verb,
                            "source": {"start": it.start, "end": it.end},
                        }
                        for it in t.items
                    ],
                }
                for t in self.tasks
            ],
            "warnings": list(self.warnings),
        }
