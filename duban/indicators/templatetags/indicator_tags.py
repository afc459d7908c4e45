"""Numbers as the office writes them: 6, 5.2, -2.5, 1.25 (no trailing zeros)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """A stored Decimal without its padding zeros (6.0000 → 6); empty for None."""
    if value is None or value == "":
        return ""
    d = Decimal(value).normalize()
    return f"{d:f}"


@register.filter
def magnitude(value: Any) -> str:
    """The size of a gap without its sign (behind and ahead are said in words)."""
    if value is None:
        return ""
    return num(abs(Decimal(value)))
