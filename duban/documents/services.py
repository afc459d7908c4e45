"""Taking a document in: read it with the engine's readers, store the original, extract.

A failed read never leaves a half-made Document: the engine's :class:`ExtractError` is
raised before anything is written, with the engine's one-line message for the clerk.

Extraction uses the site's catalog: the packaged (or uploaded) catalog plus the lead-unit
weights this site has learned from the office's choices (:class:`LeadWeights`, updated by
:func:`learn_lead_choice`), so that a correction made on one report shows in the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from duban.core import audit
from duban.documents.models import Document, LeadWeights
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.pipeline import extract_text
from duban.extract.readers import read_bytes
from duban.extract.site_weights import SiteWeights
from duban.extract.source import SourceText
from duban.extract.units import Catalog, load_catalog


@transaction.atomic
def ingest_document(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    date: dt.date | None = None,
    catalog: str | None = "city",
    require_date: bool = False,
) -> Document:
    """Store ``data`` as a new Document with its normalized text and the engine's output.

    With ``require_date`` a document that states no date of its own and gets none from the
    caller is refused (E015) rather than dated today: 「年底前」 would silently fall in the
    wrong year. The upload form then asks the clerk for the date.
    """
    return store_document(
        read_document(
            data,
            filename=filename,
            title=title,
            date=date,
            catalog=catalog,
            require_date=require_date,
        ),
        data,
    )


def read_document(
    data: bytes,
    *,
    filename: str,
    title: str = "",
    date: dt.date | None = None,
    catalog: str | None = "city",
    require_date: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """Read and extract ``data`` into an unsaved Document; touches no table.

    The slow half of :func:`ingest_document` (reading a PDF, recognising a scan, running
    the engine), apart so that the worker does it before it opens the short transaction
    that writes. ``progress(done, total)`` is called after each recognised page.
    """
    source = read_bytes(
        data,
        suffix=Path(filename).suffix.lower(),
        path=filename,
        max_bytes=settings.DUBAN_MAX_UPLOAD_BYTES,
        progress=progress,
    )
    parsed = extract_text(
        source.text,
        date=date,
        catalog=site_catalog(catalog) if catalog else None,
        path=filename,
        encoding=source.encoding,
    )
    if require_date and parsed.date_source == "today":
        raise ExtractError(
            ErrorCode.E015_NO_DATE,
            "文中没有找到报告日期，无法推算“年底前”“下半年”等时限。请在表单中填写文件日期后重新上传。",
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
        metadata={
            "date_source": parsed.date_source,
            "warnings": parsed.warnings,
            "catalog": catalog,
            **_ocr_metadata(source),
        },
        extraction={k: v for k, v in result.items() if k != "text"},
        status=Document.Status.EXTRACTED,
    )


def _ocr_metadata(source: SourceText) -> dict[str, Any]:
    """For a scan or photo: each page's geometry and each line's page, box and text, so a
    review page can crop the region a proposal came from out of the page drawn again from
    the stored original (``duban.extract.ocr.upright_page``). Empty for other formats."""
    if not source.ocr_lines:
        return {}
    return {
        "ocr": {
            "pages": [dataclasses.asdict(page) for page in source.ocr_pages],
            "lines": [[ln.page, *ln.box, ln.text] for ln in source.ocr_lines],
        }
    }


@transaction.atomic
def store_document(doc: Document, data: bytes) -> Document:
    """Save a Document made by :func:`read_document`, with its original file, audited."""
    doc.original.save(Path(doc.original_name).name, ContentFile(data), save=False)
    doc.save()
    audit.record_event(
        doc, "document_extracted", data={"tasks": len((doc.extraction or {}).get("tasks", []))}
    )
    return doc


def site_catalog(catalog: str) -> Catalog:
    """The catalog ``catalog`` (a level or a path) with this site's learned lead weights."""
    base = load_catalog(catalog)
    row = LeadWeights.objects.filter(catalog=str(catalog)).first()
    if row is None or not row.weights:
        return base
    return base.with_overlay(SiteWeights.from_dict(row.weights))


@transaction.atomic
def learn_lead_choice(
    *, text: str, chosen: Sequence[str], suggested: Sequence[str], catalog: str
) -> bool:
    """Teach the site's weights that the office chose a lead for the task ``text``.

    ``chosen`` are the ways the chosen unit is written (full name, short name, aliases:
    the first the catalog knows is used); ``suggested`` the engine's suggestions, best
    first. Returns whether anything was learned (not when the unit is unknown to the
    catalog or the text has no learnable term). The row is locked so that two reviewers
    choosing at once both count.
    """
    base = load_catalog(catalog)
    row, _created = LeadWeights.objects.select_for_update().get_or_create(catalog=str(catalog))
    weights = SiteWeights.from_dict(row.weights)
    for name in chosen:
        if name and weights.learn(text, name, base, suggested=suggested):
            row.weights = weights.to_dict()
            row.corrections = weights.corrections
            row.save()
            return True
    return False


# -- the office's own unit catalog ------------------------------------------------------

CATALOG_SUFFIXES = (".csv", ".xlsx", ".json")
MAX_CATALOG_BYTES = 2 * 1024 * 1024


def office_catalog_path() -> Path | None:
    """The catalog the office uploaded (``$DUBAN_HOME/catalogs/office.*``), if any."""
    folder = Path(settings.DUBAN_HOME) / "catalogs"
    for suffix in CATALOG_SUFFIXES:
        path = folder / f"office{suffix}"
        if path.exists():
            return path
    return None


def default_catalog() -> str:
    """What lead suggestions use when the upload form says nothing: the office's own
    catalog when it uploaded one, else the packaged catalog of the site's level."""
    path = office_catalog_path()
    return str(path) if path is not None else settings.DUBAN_UNIT_LEVEL


def save_office_catalog(data: bytes, *, filename: str, actor: Any) -> Catalog:
    """Validate an uploaded catalog (csv, xlsx or json) and make it the site's default.

    The file is read with the engine's own loader first, from a private temporary file:
    a catalog with a bad row raises :class:`ExtractError` E012 naming the row and column,
    and the catalog in use stays as it was. Only then does it replace the previous one.
    """
    from duban import conf

    suffix = Path(filename).suffix.lower()
    if suffix not in CATALOG_SUFFIXES:
        raise ExtractError(
            ErrorCode.E012_BAD_CATALOG,
            "单位目录应为 .csv、.xlsx 或 .json 文件（catalog must be csv, xlsx or json）",
        )
    if len(data) > MAX_CATALOG_BYTES:
        raise ExtractError(
            ErrorCode.E012_BAD_CATALOG, "单位目录文件过大（超过 2 MB）（catalog file too large）"
        )
    folder = conf.private_dir(Path(settings.DUBAN_HOME) / "catalogs")
    staging = folder / f"upload{suffix}"
    staging.write_bytes(data)
    conf.private_file(staging)
    try:
        catalog = load_catalog(staging)
    except ExtractError:
        staging.unlink(missing_ok=True)
        raise
    for old in CATALOG_SUFFIXES:
        (folder / f"office{old}").unlink(missing_ok=True)
    target = folder / f"office{suffix}"
    staging.replace(target)
    # Audited on the catalog's row of learned weights, which the next uploads will use.
    row, _created = LeadWeights.objects.get_or_create(catalog=str(target))
    with audit.acting_as(actor):
        audit.record_event(
            row, "catalog_uploaded", data={"file": filename[:200], "units": len(catalog)}
        )
    return catalog
