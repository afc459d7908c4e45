"""The glossary of national formulations (六稳, 六保, 十四五 …) and how to load it.

Reports often mention a formulation and assume the reader knows its items. The glossary
(``data/glossary.json``, versioned, written by us) supplies them; the frameworks step marks
such items ``items_from="glossary"``. Loaded on first use, never at import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from duban.extract.errors import ErrorCode, ExtractError

GLOSSARY_PATH = Path(__file__).resolve().parent / "data" / "glossary.json"


@dataclass(frozen=True)
class GlossaryEntry:
    name: str
    count: int
    items: tuple[str, ...]
    year: int | None = None
    alt: tuple[str, ...] = field(default_factory=tuple)
    period: tuple[int, int] | None = None  # first and last year of a five-year plan
    note: str = ""


@lru_cache(maxsize=4)
def load_glossary(path: str | None = None) -> dict[str, GlossaryEntry]:
    """Name (and alternative names) → entry. Raises ExtractError on a malformed file."""
    p = Path(path) if path else GLOSSARY_PATH
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        out: dict[str, GlossaryEntry] = {}
        for e in data["entries"]:
            period = tuple(e["period"]) if e.get("period") else None
            entry = GlossaryEntry(
                name=e["name"],
                count=int(e["count"]),
                items=tuple(e.get("items", [])),
                year=e.get("year"),
                alt=tuple(e.get("alt", [])),
                period=period,  # type: ignore[arg-type]
                note=e.get("note", ""),
            )
            out[entry.name] = entry
            for a in entry.alt:
                out.setdefault(a, entry)
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ExtractError(
            ErrorCode.E012_BAD_CATALOG, f"术语表无法读取：{p.name}（{exc}）"
        ) from exc
