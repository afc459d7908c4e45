"""Every stored file goes out as an attachment with a type that no browser runs.

Why: an evidence file is whatever a clerk uploaded. Named ``report.html`` or
``chart.svg`` (with a script inside), served with its guessed type, it would run in the
site's origin for whoever opens it. Served as an attachment, with ``nosniff`` (Django's
SecurityMiddleware sets it on every answer) and, for any type a browser could render as a
page or run, ``application/octet-stream``, it is only ever saved to disk.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.http import FileResponse

#: Types that are safe to name: documents and images a browser does not execute.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
        "application/zip",
        "application/ofd",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/tiff",
        "text/plain",
        "text/csv",
    }
)
FALLBACK = "application/octet-stream"


def content_type_for(filename: str) -> str:
    """The type to send for ``filename``: its own when known and inert, else a download."""
    guessed, encoding = mimetypes.guess_type(filename)
    if encoding is not None or guessed not in SAFE_TYPES:
        return FALLBACK
    return guessed


def attachment(fileobj: Any, filename: str) -> FileResponse:
    """A stored file as a download that never renders, whatever its name or content."""
    response = FileResponse(fileobj, as_attachment=True, filename=filename)
    response["Content-Type"] = content_type_for(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
