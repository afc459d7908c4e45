"""Unit names as people write them → org units: one matcher, exact or loose by choice.

Two ways of reading a name had drifted apart: the review page matched the engine's
suggestions exactly, the task book import matched spreadsheet cells loosely, and the
command line and ``create_user`` had copies of each. Now every caller says which it wants:

- ``EXACT``: the unit's full name, short name or an alias, character for character
  (after trimming spaces). A full name wins over another unit's short name, a short name
  over an alias; among equals the first unit in the org's order (``sort_order``, id).
- ``LOOSE``: the text engine's rules for spreadsheets (:func:`duban.extract.units.
  resolve_unit_name`: the exact forms first, then 市/省 and place prefixes dropped, long
  forms contracted, the text before a bracket or separator), and a trailing 「等」 ("and
  others") ignored. A spelling two units share matches neither.

Build one :class:`UnitNames` per request or import (one query for the units), then ask it
as often as needed: loose answers are kept per spelling.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from duban.extract.units import Catalog, resolve_unit_name
from duban.extract.units import Unit as CatalogUnit
from duban.org.models import Unit

Mode = Literal["exact", "loose"]
EXACT: Mode = "exact"
LOOSE: Mode = "loose"


class UnitNames:
    """The units (by default the active ones) by every name they are written under."""

    def __init__(self, units: Iterable[Unit] | None = None) -> None:
        if units is None:
            units = Unit.objects.filter(is_active=True)
        self.units: list[Unit] = sorted(units, key=lambda u: (u.sort_order, u.pk or 0))
        self.by_id: dict[int, Unit] = {u.pk: u for u in self.units}
        self._exact: dict[str, Unit] = {}
        for forms in (
            lambda u: [u.name],
            lambda u: [u.short_name],
            lambda u: [a for a in (u.aliases or []) if isinstance(a, str)],
        ):
            for unit in self.units:
                for name in forms(unit):
                    if name and name.strip():
                        self._exact.setdefault(name.strip(), unit)
        self._catalog: Catalog | None = None
        self._loose: dict[str, Unit | None] = {}

    def match(self, name: str, *, mode: Mode) -> Unit | None:
        """The unit ``name`` means under ``mode`` (:data:`EXACT` or :data:`LOOSE`), else
        ``None``."""
        if mode == EXACT:
            return self._exact.get((name or "").strip())
        if mode == LOOSE:
            return self._match_loose(name or "")
        raise ValueError(f"unknown matching mode {mode!r}")

    def _match_loose(self, name: str) -> Unit | None:
        if name in self._loose:
            return self._loose[name]
        catalog = self._engine_catalog()
        found = resolve_unit_name(name, catalog)
        if found is None and name.endswith("等") and len(name) > 2:
            found = resolve_unit_name(name[:-1], catalog)
        unit = self._by_full_name[found.name] if found is not None else None
        self._loose[name] = unit
        return unit

    def _engine_catalog(self) -> Catalog:
        """The units as an engine catalog, built on the first loose question only."""
        if self._catalog is None:
            self._by_full_name = {}
            for u in self.units:
                self._by_full_name.setdefault(u.name, u)
            self._catalog = Catalog(
                [
                    CatalogUnit(
                        name=u.name,
                        short=u.short_name or u.name,
                        aliases=[a for a in (u.aliases or []) if isinstance(a, str) and a.strip()],
                        kind="other",
                    )
                    for u in self.units
                ]
            )
        return self._catalog


def match_unit(name: str, *, mode: Mode, units: Iterable[Unit] | None = None) -> Unit | None:
    """One name, one answer: :meth:`UnitNames.match` over ``units`` (the active ones by
    default). Build a :class:`UnitNames` instead when matching many names."""
    return UnitNames(units).match(name, mode=mode)
