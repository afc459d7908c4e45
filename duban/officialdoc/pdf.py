"""A formal document as PDF: HTML and CSS in the layout geometry, drawn by WeasyPrint."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import IO

from duban.officialdoc import layout
from duban.officialdoc.content import (
    Block,
    Heading,
    Image,
    OfficialDocument,
    Paragraph,
    Table,
    format_date,
    image_size_mm,
    numbered_headings,
    organ_size_pt,
    signature_indents,
)
from duban.officialdoc.layout import (
    _FONT_SUFFIXES,
    CHAR_PITCH_PT,
    FONT_ROLES,
    LINE_PITCH_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    PT_PER_MM,
    RED,
    SIZE_2,
    SIZE_3,
    SIZE_4,
    SIZE_XIAO4,
    FontNotFoundError,
)

# -- PDF -----------------------------------------------------------------------------


def find_pdf_fonts(font_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The font file for each role (title, body, hei, kai, song).

    An office that has licensed the real fonts copies them into ``font_dir`` (by default
    ``$DUBAN_HOME/fonts``) as ``title.ttf`` (小标宋), ``body.ttf`` (仿宋_GB2312),
    ``hei.ttf``, ``kai.ttf`` and ``song.ttf`` (``.otf``/``.ttc`` also work). Every role
    without such a file falls back to WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``),
    a sans face that renders fast and covers GB 18030's common characters. Without it, the
    PDF cannot be made and :class:`FontNotFoundError` says what to install.
    """
    if font_dir is None:
        font_dir = _default_font_dir()
    # Read from the layout module at call time, so a deployment (or a test) can change it.
    fallback = next((p for p in layout.FALLBACK_FONT_FILES if p.is_file()), None)
    found: dict[str, Path] = {}
    for role in FONT_ROLES:
        own = None
        if font_dir is not None:
            own = next(
                (
                    Path(font_dir) / (role + suffix)
                    for suffix in _FONT_SUFFIXES
                    if (Path(font_dir) / (role + suffix)).is_file()
                ),
                None,
            )
        chosen = own or fallback
        if chosen is None:
            # Said in both languages: this package knows no Django, and whoever reads it
            # is the person installing the server.
            raise FontNotFoundError(
                "找不到中文字体，无法生成 PDF。请安装 fonts-wqy-microhei"
                f"（apt-get install fonts-wqy-microhei），或将字体文件放入 {font_dir}。"
                " (No CJK font for the PDF: install fonts-wqy-microhei or put font files"
                f" in {font_dir}.)"
            )
        found[role] = chosen
    return found


def _default_font_dir() -> Path:
    """``$DUBAN_HOME/fonts``, read from the environment as the settings read it: this
    package knows no Django."""
    return Path(os.environ.get("DUBAN_HOME") or "./var").expanduser().resolve() / "fonts"


_CSS = """
{font_faces}
@page {{
  size: A4;
  margin: {mt}mm {mr}mm {mb}mm {ml}mm;
  @footnote {{ margin-top: 0; }}
}}
@page :right {{
  @bottom-right {{
    content: "— " counter(page) " —";
    font: {s4}pt {f_song}; vertical-align: top; padding-top: 4mm; padding-right: {s4}pt;
    white-space: nowrap; width: 40mm; text-align: right; letter-spacing: 0;
  }}
}}
@page :left {{
  @bottom-left {{
    content: "— " counter(page) " —";
    font: {s4}pt {f_song}; vertical-align: top; padding-top: 4mm; padding-left: {s4}pt;
    white-space: nowrap; width: 40mm; text-align: left; letter-spacing: 0;
  }}
}}
html {{
  font-family: {f_body}; font-size: {s3}pt; line-height: {lp}pt;
  letter-spacing: {ls}pt; color: #000;
}}
body {{ margin: 0; }}
p, h1, h2, h3, div {{ margin: 0; font-weight: normal; font-size: {s3}pt; }}
.organ {{
  font-family: {f_title}; color: #{red}; text-align: center; letter-spacing: 0;
  font-size: {organ_size}pt; line-height: {organ_line}pt; margin-top: {organ_before}pt;
}}
.number {{
  text-align: center; margin-top: {two_lines}pt; padding-bottom: 4mm;
  border-bottom: 1.5pt solid #{red};
}}
.title {{
  font-family: {f_title}; font-size: {s2}pt; text-align: center;
  margin-top: {two_lines}pt; break-after: avoid;
}}
.recipients {{ margin-top: {lp}pt; }}
.text {{ text-indent: {indent}pt; text-align: justify; }}
h1 {{ font-family: {f_hei}; break-after: avoid; }}
h2 {{ font-family: {f_kai}; break-after: avoid; }}
h3 {{ font-family: {f_body}; font-weight: bold; break-after: avoid; }}
.caption {{ font-family: {f_hei}; font-size: {s4}pt; text-align: center; text-indent: 0; }}
table.grid {{
  width: 100%; border-collapse: collapse; font-size: {s_small}pt; line-height: 1.5;
  letter-spacing: 0; margin-bottom: {half_line}pt;
}}
table.grid th, table.grid td {{ border: 0.75pt solid #000; padding: 1pt 3pt; text-align: center; }}
table.grid th {{ font-family: {f_hei}; font-weight: normal; }}
.figure {{ text-align: center; line-height: normal; break-inside: avoid; }}
.figure img {{ display: block; margin: 0 auto; }}
.signature {{
  text-align: right; margin-top: {two_lines}pt; padding-right: {sig_pad}pt;
  break-before: avoid; break-after: avoid;
}}
.date {{ text-align: right; padding-right: {date_pad}pt; }}
.colophon {{
  float: footnote; footnote-display: block; font-size: {s4}pt; letter-spacing: 0;
  line-height: {lp}pt;
}}
.colophon table {{
  width: 100%; border-collapse: collapse; border-top: 0.35mm solid #000;
  border-bottom: 0.35mm solid #000;
}}
.colophon td {{ padding: 0 {s4}pt; }}
.colophon tr + tr td {{ border-top: 0.25mm solid #000; }}
.colophon .cc {{ padding-left: {cc_pad}pt; text-indent: -{cc_hang}pt; }}
::footnote-call {{ content: none; }}
::footnote-marker {{ content: none; }}
"""


def render_html(doc: OfficialDocument, fonts: dict[str, Path] | None = None) -> str:
    """The document as print HTML (the PDF's source); fonts are local files only."""
    fonts = fonts or find_pdf_fonts()
    esc = html.escape
    # One @font-face per distinct file: WeasyPrint subsets every face it embeds, which takes
    # about a second for a CJK font, so five roles sharing the fallback must be one face.
    files = list(dict.fromkeys(path.resolve() for path in fonts.values()))
    faces = "\n".join(
        f'@font-face {{ font-family: "duban-font-{i}"; src: url("{path.as_uri()}"); }}'
        for i, path in enumerate(files)
    )
    family = {role: f'"duban-font-{files.index(path.resolve())}"' for role, path in fonts.items()}
    date_text = format_date(doc.date)
    sig_indent, date_indent = signature_indents(doc.signature, date_text)
    organ_size = organ_size_pt(doc.organ)
    css = _CSS.format(
        font_faces=faces,
        f_title=family["title"],
        f_body=family["body"],
        f_hei=family["hei"],
        f_kai=family["kai"],
        f_song=family["song"],
        mt=MARGIN_TOP_MM,
        mr=MARGIN_RIGHT_MM,
        mb=MARGIN_BOTTOM_MM,
        ml=MARGIN_LEFT_MM,
        s2=SIZE_2,
        s3=SIZE_3,
        s4=SIZE_4,
        s_small=SIZE_XIAO4,
        lp=LINE_PITCH_PT,
        half_line=LINE_PITCH_PT / 2,
        two_lines=2 * LINE_PITCH_PT,
        ls=round(CHAR_PITCH_PT - SIZE_3, 3),
        indent=round(2 * CHAR_PITCH_PT, 2),
        red=RED,
        organ_size=organ_size,
        organ_line=round(organ_size * 1.3, 2),
        organ_before=round(35 * PT_PER_MM - (organ_size * 1.3 - organ_size) / 2, 2),
        sig_pad=round(sig_indent * CHAR_PITCH_PT, 2),
        date_pad=round(date_indent * CHAR_PITCH_PT, 2),
        cc_pad=SIZE_4 + 3 * SIZE_4,
        cc_hang=3 * SIZE_4,
    )
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{esc(doc.title)}</title><style>{css}</style></head><body>",
        f'<div class="organ">{esc(doc.organ)}</div>',
        f'<div class="number">{esc(doc.number) or "&nbsp;"}</div>',
        '<h1 class="title">{}</h1>'.format("<br>".join(esc(t) for t in doc.title.split("\n"))),
    ]
    if doc.recipients:
        parts.append(f'<p class="recipients">{esc("、".join(doc.recipients))}：</p>')
    for block, number in numbered_headings(doc.blocks):
        parts.append(_html_block(block, number))
    parts.append(f'<p class="signature">{esc(doc.signature)}</p>')
    parts.append(f'<p class="date">{esc(date_text)}</p>')
    if doc.cc or doc.printed_by:
        printed = format_date(doc.printed_date or doc.date) + "印发"
        rows = []
        if doc.cc:
            cc = esc("抄送：" + "，".join(doc.cc) + "。")
            rows.append(f'<tr><td class="cc" colspan="2">{cc}</td></tr>')
        rows.append(
            f'<tr><td>{esc(doc.printed_by)}</td><td style="text-align:right">{printed}</td></tr>'
        )
        # A footnote is laid out at the foot of the page it is called from: that puts the
        # 版记 on the bottom rule of the last page, as §7.4 asks.
        parts.append(f'<div class="colophon"><table>{"".join(rows)}</table></div>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_block(block: Block, number: str) -> str:
    esc = html.escape
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        return f'<{tag} class="text">{esc(number + block.text)}</{tag}>'
    if isinstance(block, Paragraph):
        return f'<p class="text">{esc(block.text)}</p>'
    if isinstance(block, Table):
        widths = block.widths or (1.0,) * len(block.columns)
        total = sum(widths)
        cols = "".join(f'<col style="width:{100 * w / total:.2f}%">' for w in widths)
        head = "".join(f"<th>{esc(c)}</th>" for c in block.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        caption = f'<p class="caption">{esc(block.caption)}</p>' if block.caption else ""
        return (
            f'{caption}<table class="grid"><colgroup>{cols}</colgroup>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    if isinstance(block, Image):
        data = base64.b64encode(block.png).decode("ascii")
        width, height = image_size_mm(block)
        caption = f'<p class="caption">{esc(block.caption)}</p>' if block.caption else ""
        return (
            f'<div class="figure"><img src="data:image/png;base64,{data}" '
            f'style="width:{width:.2f}mm;height:{height:.2f}mm" alt="{esc(block.caption)}">'
            f"{caption}</div>"
        )
    raise TypeError(f"unknown block {block!r}")


def render_pdf(doc: OfficialDocument, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write ``doc`` as a PDF (WeasyPrint) to a path or a binary stream.

    Only ``file:`` (the font files) and ``data:`` (the pictures) addresses are fetched, so
    rendering never touches the network whatever the content says.
    """
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)
    HTML(string=render_html(doc), url_fetcher=fetcher).write_pdf(target)
