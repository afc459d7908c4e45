"""Old Word (.doc) and WPS (.wps) files, converted by LibreOffice in headless mode.

The .doc under test is written by LibreOffice from a .docx that python-docx made, so the
file is a real Word 97 binary and not something the reader produced. LibreOffice is a test
dependency (scripts/system-deps.sh test installs libreoffice-writer-nogui): these tests fail,
never skip, when it is missing.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import docx
import pytest

from duban.extract import readers
from duban.extract.errors import ErrorCode, ExtractError
from duban.extract.readers import read_bytes, read_document

LINES = ["关于印发重点工作任务分解的通知", "一、总体要求", "坚持稳中求进工作总基调。"]


def office() -> str:
    found = readers.office_command()
    assert found, "LibreOffice is missing: run scripts/system-deps.sh test"
    return found


@pytest.fixture(scope="module")
def old_doc(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A Word 97 .doc written by LibreOffice from a python-docx document."""
    tmp = tmp_path_factory.mktemp("doc")
    d = docx.Document()
    for line in LINES:
        d.add_paragraph(line)
    t = d.add_table(rows=2, cols=2)
    cells = [(0, 0, "序号"), (0, 1, "工作任务"), (1, 0, "1"), (1, 1, "稳就业")]
    for r, c, val in cells:
        t.cell(r, c).text = val
    d.save(tmp / "source.docx")
    # Through ODT: LibreOffice 7.4 drops python-docx's tables when it writes .docx straight
    # to .doc, but keeps them on this path, and a .doc with a table is what units send.
    for target, src in (("odt", "source.docx"), ("doc", "source.odt")):
        subprocess.run(
            [
                office(),
                f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp),
                str(tmp / src),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    data = (tmp / "source.doc").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an OLE compound file, as Word 97 writes
    return data


def test_doc_is_read_through_libreoffice(tmp_path: Path, old_doc: bytes) -> None:
    p = tmp_path / "通知.doc"
    p.write_bytes(old_doc)
    src = read_document(p)
    assert src.format == "doc" and src.encoding == "doc"
    # Word ends a document that ends with a table with an empty paragraph
    assert src.text.rstrip("\n").split("\n") == [*LINES, "序号\t工作任务", "1\t稳就业"]
    assert src.warnings == []


def test_wps_is_read_through_libreoffice(old_doc: bytes) -> None:
    # WPS Office's own .wps is a Word-compatible OLE file; LibreOffice reads it the same way.
    src = read_bytes(old_doc, suffix=".wps", path="x.wps")
    assert src.format == "wps"
    assert src.text.split("\n")[:3] == LINES


def test_old_word_content_under_another_extension_is_converted(old_doc: bytes) -> None:
    src = read_bytes(old_doc, suffix=".txt")
    assert src.text.split("\n")[:3] == LINES


def test_rtf_saved_as_doc_is_converted() -> None:
    rtf = (
        r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0 SimSun;}}"
        r"\pard\uc1\u21152?\u24555?\u21457?\u23637?\u12290?\par}"
    ).encode("ascii")
    assert read_bytes(rtf, suffix=".doc").text.strip() == "加快发展。"


def test_html_saved_as_doc_is_read_as_html_without_libreoffice() -> None:
    # Web systems export "Word" files that are HTML pages; they are not converted.
    page = "<html><body><p>坚持稳中求进工作总基调，加快建设现代化产业体系。</p></body></html>"
    src = read_bytes(page.encode(), suffix=".doc")
    assert src.format == "html"


def test_docx_saved_as_doc_is_read_as_docx_with_a_warning() -> None:
    d = docx.Document()
    d.add_paragraph("加快发展。")
    buf = io.BytesIO()
    d.save(buf)
    src = read_bytes(buf.getvalue(), suffix=".doc")
    assert src.format == "docx" and src.text == "加快发展。"
    assert src.warnings and "DOCX" in src.warnings[0]


def test_broken_doc_is_e018() -> None:
    office()
    junk = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + os.urandom(4096)
    with pytest.raises(ExtractError) as e:
        read_bytes(junk, suffix=".doc")
    assert e.value.code == ErrorCode.E018_OFFICE_FAILED
    assert "另存为 .docx" in e.value.message and "\n" not in e.value.message


def test_conversion_that_runs_too_long_is_killed_and_e018(old_doc: bytes) -> None:
    office()
    with pytest.raises(ExtractError) as e:
        readers.convert_to_docx(old_doc, suffix=".doc", timeout=0.05)
    assert e.value.code == ErrorCode.E018_OFFICE_FAILED
    assert "超时" in e.value.message


def test_without_libreoffice_the_message_says_what_to_install(
    tmp_path: Path, old_doc: bytes
) -> None:
    # A PATH with no LibreOffice on it: the machine as it is where the package is absent.
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PATH", str(tmp_path))
    try:
        with pytest.raises(ExtractError) as e:
            read_bytes(old_doc, suffix=".doc")
    finally:
        monkeypatch.undo()
    assert e.value.code == ErrorCode.E017_NO_OFFICE
    assert "apt-get install libreoffice-writer-nogui" in e.value.message
    assert "\n" not in e.value.message


def test_password_protected_docx_is_still_e005_not_converted(monkeypatch) -> None:
    monkeypatch.setattr(readers, "convert_to_docx", None)  # must not be reached
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + os.urandom(4096)
    with pytest.raises(ExtractError) as e:
        read_bytes(ole, suffix=".docx")
    assert e.value.code == ErrorCode.E005_BAD_DOCX
