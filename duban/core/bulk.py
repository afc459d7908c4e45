"""Insert many plain rows into one table, as fast as each database allows.

Bulk writers (the task-book import's audit rows and co-unit links) insert thousands of
rows that need no model instance. On SQLite one prepared INSERT with ``executemany`` is
the fast way. On PostgreSQL Django binds parameters on the client (psycopg's
``ClientCursor`` quotes every value in Python: seconds for 20,000 audit rows), so we use
``COPY … FROM STDIN`` instead, which streams the rows in one command.

Values must already be what the column stores: JSON as text (:func:`json_text`), times as
aware datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection


def json_text(value: Any) -> str | None:
    """A JSON column's value as Django's JSONField would write it (None stays NULL)."""
    return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT ``rows`` into ``table`` (column names, not attribute names), in the current
    transaction."""
    if not rows:
        return
    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {q(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    adapt = connection.ops.adapt_datetimefield_value
    import datetime as dt

    prepared = [tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {q(table)} ({cols}) VALUES ({marks})", prepared)
