"""Hand-written minimal PDFs for the reader tests, so no PDF library is needed.

A PDF is a list of numbered objects and a cross-reference table of their byte offsets;
the standard Helvetica font needs no embedding, which keeps a text layer to a few lines.
"""

from __future__ import annotations

import zlib


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _stream(content: bytes, *, flate: bool = False) -> bytes:
    if flate:
        content = zlib.compress(content, 6)
        return (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream"
        )
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def _padded_stream(content: bytes, padding: int) -> bytes:
    """A Flate stream of ``content`` and ``padding`` spaces, compressed piecewise (fast)."""
    z = zlib.compressobj(1)
    parts = [z.compress(content)]
    block = b" " * (1 << 20)
    for _ in range(padding >> 20):
        parts.append(z.compress(block))
    parts.append(z.compress(b" " * (padding & ((1 << 20) - 1))))
    parts.append(z.flush())
    packed = b"".join(parts)
    return (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    )


def text_pdf(lines: list[str], *, flate: bool = False, padding: int = 0) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (ASCII/Latin-1 only).

    ``flate`` compresses the content stream; ``padding`` appends that many spaces to it
    (harmless to a PDF reader, and a way to build a stream that inflates enormously).
    """
    ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + esc.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            _padded_stream(b"\n".join(ops), padding)
            if padding
            else _stream(b"\n".join(ops), flate=flate),
        ]
    )


def image_only_pdf() -> bytes:
    """A one-page PDF holding only a small grey image, as a scanner produces: no text layer."""
    pixels = bytes([128]) * 16  # 4×4 grey
    image = b"<< /Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray "
    image += b"/BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels
    image += b"\nendstream"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
            image,
            _stream(b"q 400 0 0 400 100 200 cm /Im1 Do Q"),
        ]
    )
