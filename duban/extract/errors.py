"""The text engine's error catalogue.

Every failure the engine reports to a user goes through :class:`ExtractError` with a
stable code, so the CLI, the web upload and the tests can tell failures apart without
parsing messages. Messages are one line, in Chinese first, written for a clerk.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes; never renumber, only add."""

    E001_EMPTY = "E001"  # file or text is empty
    E002_BINARY = "E002"  # not a text document we can read
    E003_TOO_LARGE = "E003"  # over the configured size limit
    E004_ENCODING = "E004"  # no encoding decodes it cleanly
    E005_BAD_DOCX = "E005"  # truncated, encrypted or hostile .docx
    E006_BAD_PDF = "E006"  # unreadable PDF
    E007_PDF_NO_TEXT = "E007"  # PDF without a text layer
    E008_ZIP_BOMB = "E008"  # archive expands beyond the allowed ratio/size
    E009_UNSUPPORTED = "E009"  # extension/format not supported
    E010_NOT_FOUND = "E010"  # path does not exist
    E011_BAD_DATE = "E011"  # --date not YYYY-MM-DD
    E012_BAD_CATALOG = "E012"  # unit catalog unreadable or malformed
    E013_BAD_HTML = "E013"  # HTML with no article text
    E014_ENGINE = "E014"  # a required pipeline step failed (a bug, reported, never hidden)
    E015_NO_DATE = "E015"  # the document states no date and the caller gave none (web upload)
    E016_BAD_OFD = "E016"  # OFD that is not a zip, incomplete, corrupt or hostile (DTD, ../ path)
    E017_NO_OFFICE = "E017"  # .doc/.wps needs LibreOffice, which is not installed
    E018_OFFICE_FAILED = "E018"  # LibreOffice could not convert the .doc/.wps (or timed out)
    E019_BAD_IMAGE = "E019"  # image unreadable, truncated, or a format not supported (HEIC)
    E020_TOO_MANY_PAGES = "E020"  # a scan longer than the OCR page limit
    E021_NO_OCR = "E021"  # OCR engine or its packaged models not installed


class ExtractError(Exception):
    """The only exception the engine raises on bad input.

    ``message`` is a single line a clerk can act on; ``code`` is stable for programs.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"[{code.value}] {message}")
        self.code = code
        self.message = message
