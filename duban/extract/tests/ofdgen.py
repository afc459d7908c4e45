"""Build OFD files (GB/T 33190) straight from the standard's structure, for the reader's tests.

Nothing here uses duban's reader: the package is written with zipfile and XML strings, the
way an OFD writer lays it out (OFD.xml → DocBody/DocRoot → Document.xml → Pages/Page/@BaseLoc
→ Content.xml with TextObject/TextCode), so the reader is tested on files it did not make.
Coordinates are millimetres from the page's top-left corner, as in the standard.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

NS = "http://www.ofdspec.org/2016"


@dataclass
class Text:
    """One TextObject: ``text`` drawn with its baseline at (x, y), font size ``size`` mm."""

    x: float
    y: float
    text: str
    size: float = 5.6


def ofd_xml(doc_roots: list[str]) -> str:
    bodies = "".join(
        f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>{i:032x}</ofd:DocID></ofd:DocInfo>"
        f"<ofd:DocRoot>{escape(root)}</ofd:DocRoot></ofd:DocBody>"
        for i, root in enumerate(doc_roots)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">{bodies}</ofd:OFD>'
    )


def document_xml(page_locs: list[str]) -> str:
    pages = "".join(
        f'<ofd:Page ID="{10 + i}" BaseLoc="{escape(loc)}"/>' for i, loc in enumerate(page_locs)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}">'
        "<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea>"
        "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
        "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{pages}</ofd:Pages></ofd:Document>"
    )


def content_xml(texts: list[Text]) -> str:
    objs = []
    for i, t in enumerate(texts):
        width = t.size * len(t.text)
        # Boundary is the object's box; the TextCode's X/Y are relative to its top-left.
        objs.append(
            f'<ofd:TextObject ID="{100 + i}" Boundary="{t.x} {t.y - t.size} {width} {t.size * 1.2}"'
            f' Font="3" Size="{t.size}"><ofd:FillColor Value="0 0 0"/>'
            f'<ofd:TextCode X="0" Y="{t.size}" DeltaX="g {max(0, len(t.text) - 1)} {t.size}">'
            f"{escape(t.text)}</ofd:TextCode></ofd:TextObject>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        f'<ofd:Layer ID="2">{"".join(objs)}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def build_ofd(
    documents: list[list[list[Text]]],
    *,
    extra: dict[str, bytes | str] | None = None,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> bytes:
    """An OFD holding ``documents``, each a list of pages, each a list of :class:`Text`.

    Document *n* lives in ``Doc_n/`` with pages in ``Doc_n/Pages/Page_k/Content.xml``, as
    common writers lay it out; ``extra`` adds (or replaces) members, ``skip`` leaves some out.
    """
    members: dict[str, bytes | str] = {}
    roots = []
    for d, pages in enumerate(documents):
        roots.append(f"Doc_{d}/Document.xml")
        locs = [f"Pages/Page_{k}/Content.xml" for k in range(len(pages))]
        members[f"Doc_{d}/Document.xml"] = document_xml(locs)
        members[f"Doc_{d}/PublicRes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
            '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
        )
        for k, page in enumerate(pages):
            members[f"Doc_{d}/{locs[k]}"] = content_xml(page)
    members = {"OFD.xml": ofd_xml(roots), **members, **(extra or {})}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, payload in members.items():
            if name not in skip:
                z.writestr(name, payload)
    return buf.getvalue()


def scan_content_xml(resource_id: int) -> str:
    """A page that only draws an image (a scan exported to OFD): one ImageObject over the
    whole A4 page, its CTM scaling the unit square to the page."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}"><ofd:Content>'
        f'<ofd:Layer ID="2"><ofd:ImageObject ID="200" ResourceID="{resource_id}" '
        'Boundary="0 0 210 297" CTM="210 0 0 297 0 0"/></ofd:Layer></ofd:Content></ofd:Page>'
    )


def build_scanned_ofd(documents: list[list[list[Text] | bytes]]) -> bytes:
    """An OFD whose pages are text (a list of :class:`Text`) or scans (image file bytes).

    Each scan is a ``MultiMedia`` resource of its document's ``PublicRes.xml`` (``BaseLoc``
    ``Res``), its file in ``Doc_n/Res/``, drawn by an ``ImageObject``, as OFD writers lay
    out a scanned page.
    """
    text_only = [[p if isinstance(p, list) else [] for p in pages] for pages in documents]
    extra: dict[str, bytes | str] = {}
    for d, pages in enumerate(documents):
        medias = []
        for k, page in enumerate(pages):
            if isinstance(page, list):
                continue
            rid = 1000 + k
            medias.append(
                f'<ofd:MultiMedia ID="{rid}" Type="Image" Format="PNG">'
                f"<ofd:MediaFile>scan_{k}.png</ofd:MediaFile></ofd:MultiMedia>"
            )
            extra[f"Doc_{d}/Res/scan_{k}.png"] = page
            extra[f"Doc_{d}/Pages/Page_{k}/Content.xml"] = scan_content_xml(rid)
        extra[f"Doc_{d}/PublicRes.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
            '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts>'
            f"<ofd:MultiMedias>{''.join(medias)}</ofd:MultiMedias></ofd:Res>"
        )
    return build_ofd(text_only, extra=extra)
