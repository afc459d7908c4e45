"""Read an indicator out of a task's target: 「地区生产总值增长6%左右」 → name 地区生产总值,
growth rate, target 6, about (左右).

The numbers come from the text engine's own finder (``duban.extract.targets``), so a
task book and a work report are read the same way; this module only adds what an
indicator needs beyond the number: its name, its kind, and the qualifier after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from duban.extract.targets import find_targets
from duban.indicators.choices import IndicatorKind, Qualifier

RATE_UNITS = frozenset({"%", "‰", "个百分点"})
_ABOUT = re.compile(r"^\s*(?:左右|上下)")
_AT_LEAST = re.compile(r"^\s*(?:及?以上|之上)")
_AT_MOST = re.compile(r"^\s*(?:以内|以下|之内)")
_CAP_BEFORE = re.compile(r"(?:不超过|不高于|控制在|低于)\s*$")
_FALLS = re.compile(r"(?:降低|下降|减少)\s*$")
_CEILING_WORDS = re.compile(r"失业率|涨幅|能耗|排放强度")
_CUMULATIVE_WORDS = re.compile(r"新增|累计|完成|实现|新开工|新建|引进|招引")
# Words between the name and the number: 「粮食产量稳定在125万吨」 → 粮食产量.
_TRAILING_VERB = re.compile(
    r"(?:增长|增速|提高|提升|降低|下降|减少|达到|稳定在|控制在|保持在|不超过|不低于|为|在)+\s*$"
)
_CLAUSE = re.compile(r"[；;，,、。]")
# When and how sure, not what: 「全年完成投资」 → 完成投资, 「年底前建成」 → 建成.
_LEADING = re.compile(r"^(?:全年|年内|今年|年底前|到年底|力争|确保|累计)+")
#: A name shorter than this says too little alone (「建成」): the clause is used instead.
SHORTEST_NAME = 4


@dataclass(frozen=True)
class ReadTarget:
    name: str
    measure: str
    kind: str
    target: Decimal
    qualifier: str
    text: str  # the clause the target was read from


def _clause(text: str, value: str) -> tuple[str, int]:
    """The clause of ``text`` that holds ``value`` and where the value starts in it."""
    at = text.find(value) if value else -1
    if at < 0:
        return text, -1
    start = max((m.end() for m in _CLAUSE.finditer(text, 0, at)), default=0)
    end = next((m.start() for m in _CLAUSE.finditer(text, at)), len(text))
    raw = text[start:end]
    return raw.strip(), at - start - (len(raw) - len(raw.lstrip()))


def read_target(text: str, value: str = "") -> ReadTarget | None:
    """The indicator in ``text`` (a task's sentence), at ``value`` when given (the task's
    ``target_value``, e.g. 「6%」), else at the first number with a unit; None when the text
    holds no target."""
    found = find_targets(text)
    if not found:
        return None
    chosen = next((t for t in found if value and t.value == value), found[0])
    if chosen.number is None:
        return None
    clause, at = _clause(text, chosen.value.split("－")[0])
    if at < 0:
        at = clause.find(str(chosen.value))
    before, after = (clause[:at], clause[at + len(chosen.value) :]) if at >= 0 else (clause, "")
    try:
        number = Decimal(str(chosen.number))
    except InvalidOperation:  # pragma: no cover - the finder gives plain decimals
        return None
    qualifier = Qualifier.NONE
    if _ABOUT.search(after):
        qualifier = Qualifier.ABOUT
    elif _AT_LEAST.search(after):
        qualifier = Qualifier.AT_LEAST
    elif _AT_MOST.search(after) or _CAP_BEFORE.search(before):
        qualifier = Qualifier.AT_MOST
    falls = bool(_FALLS.search(before))
    if qualifier == Qualifier.AT_MOST or falls or _CEILING_WORDS.search(before):
        kind = IndicatorKind.CEILING
    elif chosen.unit in RATE_UNITS:
        kind = IndicatorKind.GROWTH
    elif _CUMULATIVE_WORDS.search(before):
        kind = IndicatorKind.CUMULATIVE
    else:
        kind = IndicatorKind.LEVEL
    if falls and chosen.unit in RATE_UNITS:
        # 「能耗降低2.5%」: the change may be no higher than -2.5 %, a ceiling on a rate.
        number = -number
    name = _LEADING.sub("", _TRAILING_VERB.sub("", before).strip(' ：:“”"'))
    if len(name) < SHORTEST_NAME:
        name = clause
    return ReadTarget(
        name=name[:100],
        measure=chosen.unit[:20],
        kind=kind,
        target=number,
        qualifier=qualifier,
        text=clause[:200],
    )
