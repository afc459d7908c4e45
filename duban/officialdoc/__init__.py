"""Formal documents (公文) in the national layout, GB/T 9704-2012, as Word and as PDF.

Bulletins (通报) and supervision notices (督办通知单、催办单) leave the office as formal
documents. This module turns one content structure, :class:`OfficialDocument`, into

* a ``.docx`` (:func:`render_docx`, python-docx plus raw OOXML where python-docx has no API)
  that the office can still edit, stamp and file, and
* a ``.pdf`` (:func:`render_pdf`, HTML + WeasyPrint) that is what gets published,

so the two never say different things. Nothing here touches the database. The documents'
own words are Chinese by definition (this is China's national layout) and are not
translated; only messages to the user are.

The layout (see ``docs/official-documents.md`` for the reasoning and deviations):

* A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, so the text block
  (版心) is 156 mm × 225 mm holding 22 lines of 28 characters of 3号 (16 pt) text;
* 发文机关标志 in red 小标宋, 发文字号 centred two lines below it, a red rule 4 mm below the
  number; the title in 2号 (22 pt) 小标宋 two lines below the rule; 主送机关 one line below;
* body in 3号 仿宋_GB2312 with a fixed 28.95 pt line pitch; headings 一、 in 黑体,
  （一） in 楷体_GB2312, 1. in bold 仿宋;
* 发文机关署名 centred over the 成文日期, which stands four characters from the right;
* page numbers 「— 1 —」 in 4号 (14 pt) 宋体 digits, 7 mm below the text block, odd pages on
  the right and even pages on the left, one character in from the edge;
* 版记 (抄送, 印发机关 and 印发日期) between rules at the foot of the last page.

The parts live in one module each (layout, content, word, pdf, charts); this face keeps every
name importable from ``duban.officialdoc``.
"""

from __future__ import annotations

from duban.officialdoc.charts import (  # noqa: F401
    BarChart,
)
from duban.officialdoc.content import (  # noqa: F401
    MAX_IMAGE_HEIGHT_MM,
    Block,
    Heading,
    Image,
    OfficialDocument,
    Paragraph,
    Table,
    _block_type,
    chinese_number,
    format_date,
    heading_number,
    image_size_mm,
    numbered_headings,
    organ_size_pt,
    signature_indents,
    text_width_chars,
)
from duban.officialdoc.layout import (  # noqa: F401
    _FONT_SUFFIXES,
    BODY_CONDENSE_TWIPS,
    CHAR_PITCH_PT,
    CHARS_PER_LINE,
    FALLBACK_FONT_FILES,
    FONT_ALTERNATIVES,
    FONT_BODY,
    FONT_HEI,
    FONT_KAI,
    FONT_LATIN,
    FONT_ROLES,
    FONT_SONG,
    FONT_TITLE,
    LINE_PITCH_PT,
    LINES_PER_PAGE,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    PT_PER_MM,
    RED,
    SIZE_2,
    SIZE_3,
    SIZE_4,
    SIZE_XIAO4,
    SIZE_XIAOCHU,
    TEXT_WIDTH_MM,
    FontNotFoundError,
)
from duban.officialdoc.pdf import (  # noqa: F401
    _CSS,
    _default_font_dir,
    _html_block,
    find_pdf_fonts,
    render_html,
    render_pdf,
)
from duban.officialdoc.word import (  # noqa: F401
    _PPR_ORDER,
    _RPR_ORDER,
    _TBLPR_ORDER,
    _docx_font_table,
    _docx_section,
    _docx_styles,
    _DocxWriter,
    _el,
    _insert_ordered,
    _page_number_footer,
    _pt,
    _twips,
    render_docx,
    set_run_fonts,
)
