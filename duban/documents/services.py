"""Taking a document in: read it with the engine's readers, store the original, extract.

A failed read never leaves a half-made Document: the engine's :class:`ExtractError` is
raised before anything is written, with the engine's one-line message for the clerk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from duban.core import audit
from duban.documents.models import Document
from duban.extract.pipeline import extract_text
from duban.extract.readers import read_bytes
from duban.extract.units import load_catalog


@transaction.atomic
def ingest_document(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    date: dt.date | None = None,
    catalog: str | None = "city",
) -> Document:
    """Store ``data`` as a new Document with its normalized text and the engine's output."""
    return store_document(
        read_document(data, filename=filename, title=title, date=date, catalog=catalog), data
    )


def read_document(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    date: dt.date | None = None,
    catalog: str | None = "city",
) -> Document:
    """Read and extract ``data`` into an unsaved Document; touches no table.

    The slow half of :func:`ingest_document` (reading a PDF, running the engine), apart so
    that the worker does it before it opens the short transaction that writes.
    """
    source = read_bytes(
        data,
        suffix=Path(filename).suffix.lower(),
        path=filename,
        max_bytes=settings.DUBAN_MAX_UPLOAD_BYTES,
    )
    parsed = extract_text(
        source.text,
        date=date,
        catalog=load_catalog(catalog) if catalog else None,
        path=filename,
        encoding=source.encoding,
    )
    parsed.warnings[:0] = source.warnings
    result = parsed.to_dict()
    articles = result["articles"]
    return Document(
        title=title or (articles[0]["title"] if articles and articles[0]["title"] else filename),
        original_name=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        file_format=source.format,
        encoding=source.encoding,
        normalized_text=parsed.text,
        doc_date=parsed.date,
        metadata={"date_source": parsed.date_source, "warnings": parsed.warnings},
        extraction={k: v for k, v in result.items() if k != "text"},
        status=Document.Status.EXTRACTED,
    )


@transaction.atomic
def store_document(doc: Document, data: bytes) -> Document:
    """Save a Document made by :func:`read_document`, with its original file, audited."""
    doc.original.save(Path(doc.original_name).name, ContentFile(data), save=False)
    doc.save()
    audit.record_event(
        doc, "document_extracted", data={"tasks": len((doc.extraction or {}).get("tasks", []))}
    )
    return doc
