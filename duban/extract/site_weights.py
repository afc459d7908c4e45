"""Learning lead units from an office's corrections: a site's weights over the catalog.

Every place has departments whose remit the generic catalog cannot know: a local brand
(「青澜优才计划」 is the organisation department's), a development zone, a project named
after a river. When the office picks the lead of a task, :meth:`SiteWeights.learn` credits
the chosen unit with the sentence's terms (its character bigrams, the generic policy ones
left out) and debits the unit the engine had put first, if that was another one. The
weights are plain data (``to_dict``/``to_json``), stored per site by the web application,
and applied with :meth:`duban.extract.units.Catalog.with_overlay`; the next document of
the same place then names the lead the office would have chosen.

Why bigrams: a place's own names recur across its documents in varying wording
(「澜江湾片区」, 「澜江湾科创走廊」), and bigrams keep the part they share without a
dictionary. Why credit and debit: crediting alone would let a frequently chosen unit
drift up on every sentence; debiting the wrong first suggestion by the same terms keeps
generic words balanced, and ``MAX_WEIGHT`` bounds what any term can do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import ErrorCode, ExtractError
from .units import GENERIC_BIGRAMS, Catalog, _bigrams, resolve_unit_name

__all__ = ["LEARN_RATE", "MAX_WEIGHT", "SiteWeights", "learnable_terms"]

LEARN_RATE = 2.0  # what one correction adds to each of the sentence's terms
DEBIT_SHARE = 0.5  # the share taken from the unit that was wrongly suggested first
MAX_WEIGHT = 8.0  # |weight| of one term for one unit never exceeds this
# Bigrams of the words every directive uses teach nothing about a unit (shared with the
# duty-bigram evidence of the units module).
STOP_BIGRAMS = GENERIC_BIGRAMS


def learnable_terms(text: str) -> list[str]:
    """The terms of ``text`` a correction teaches: its bigrams minus :data:`STOP_BIGRAMS`."""
    return sorted(g for g in _bigrams(text) if g not in STOP_BIGRAMS)


class SiteWeights:
    """Per-unit term weights learned from one site's lead corrections.

    ``units`` maps a unit's full catalog name to ``{term: weight}``. The JSON form is
    ``{"version": 1, "corrections": n, "units": {…}}``.
    """

    VERSION = 1

    def __init__(self, units: dict[str, dict[str, float]] | None = None, corrections: int = 0):
        self.units: dict[str, dict[str, float]] = {u: dict(t) for u, t in (units or {}).items()}
        self.corrections = corrections

    def __repr__(self) -> str:
        return f"SiteWeights(units={len(self.units)}, corrections={self.corrections})"

    def __bool__(self) -> bool:
        return any(self.units.values())

    # -- learning -------------------------------------------------------------------
    def _add(self, unit: str, terms: Iterable[str], delta: float) -> None:
        row = self.units.setdefault(unit, {})
        for t in terms:
            w = max(-MAX_WEIGHT, min(MAX_WEIGHT, row.get(t, 0.0) + delta))
            if abs(w) < 1e-9:
                row.pop(t, None)
            else:
                row[t] = round(w, 3)
        if not row:
            del self.units[unit]

    def learn(
        self,
        text: str,
        chosen: str,
        catalog: Catalog,
        *,
        suggested: Iterable[str] = (),
        rate: float = LEARN_RATE,
    ) -> bool:
        """Record that the office chose ``chosen`` as the lead of the task ``text``.

        ``suggested`` are the units the engine proposed, best first; when the first was
        another unit it is debited. Units are stored under their catalog full name, so any
        spelling the catalog resolves is accepted. Returns ``False`` (and learns nothing)
        when ``chosen`` is not in the catalog or the text has no learnable term.
        """
        unit = resolve_unit_name(chosen, catalog)
        terms = learnable_terms(text)
        if unit is None or not terms:
            return False
        self._add(unit.name, terms, rate)
        first = next(iter(suggested), None)
        wrong = resolve_unit_name(first, catalog) if first else None
        if wrong is not None and wrong is not unit:
            self._add(wrong.name, terms, -rate * DEBIT_SHARE)
        self.corrections += 1
        return True

    # -- saving ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.VERSION,
            "corrections": self.corrections,
            "units": {u: dict(sorted(t.items())) for u, t in sorted(self.units.items())},
        }

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, data: Any) -> SiteWeights:
        """Build from :meth:`to_dict` output; malformed data raises ``E012``."""
        if data in (None, {}):
            return cls()
        units = data.get("units") if isinstance(data, dict) else None
        if not isinstance(units, dict) or not all(
            isinstance(u, str)
            and isinstance(t, dict)
            and all(
                isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
                for k, v in t.items()
            )
            for u, t in units.items()
        ):
            raise ExtractError(
                ErrorCode.E012_BAD_CATALOG, "本地权重格式错误：units 应为「单位: {词: 数值}」"
            )
        corrections = data.get("corrections", 0)
        return cls(
            {u: {k: float(v) for k, v in t.items()} for u, t in units.items()},
            corrections=int(corrections) if isinstance(corrections, int) else 0,
        )

    @classmethod
    def from_json(cls, text: str) -> SiteWeights:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ExtractError(ErrorCode.E012_BAD_CATALOG, "本地权重不是有效的 JSON") from exc
        return cls.from_dict(data)
