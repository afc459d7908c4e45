"""Query parameters read strictly: a value that is not what the filter expects is a 400.

Why: ``?plan=abc`` reached the ORM as a string and ``?plan=99999999999999999999999`` as an
integer SQLite cannot hold; both were server errors (issue 14). Pages and the API read
their filters through here and answer 400 with a message that names the parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

#: The largest primary key the database can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class BadParameter(ValueError):
    """A query parameter that cannot be used; the message says which and why, in Chinese."""


def _raw(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    return "" if value is None else str(value).strip()


def get_id(params: Mapping[str, Any], name: str) -> int | None:
    """A positive id, ``None`` when absent or blank."""
    raw = _raw(params, name)
    if not raw:
        return None
    if not raw.isdigit() or not raw.isascii() or len(raw) > 19 or not 0 < int(raw) <= MAX_ID:
        raise BadParameter(
            _("筛选条件“{name}”应为正整数编号，收到的是“{value}”。").format(
                name=name, value=raw[:40]
            )
        )
    return int(raw)


def get_date(params: Mapping[str, Any], name: str) -> dt.date | None:
    """A YYYY-MM-DD date, ``None`` when absent or blank."""
    raw = _raw(params, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadParameter(
            _("筛选条件“{name}”应为 YYYY-MM-DD 格式的日期，收到的是“{value}”。").format(
                name=name, value=raw[:40]
            )
        ) from exc


def get_choice(params: Mapping[str, Any], name: str, choices: Any) -> str | None:
    """One of ``choices``, ``None`` when absent or blank."""
    raw = _raw(params, name)
    if not raw:
        return None
    if raw not in set(choices):
        raise BadParameter(
            _("筛选条件“{name}”的取值“{value}”无效。").format(name=name, value=raw[:40])
        )
    return raw
