"""The GB/T 9704-2012 page: geometry, type sizes, colours and the fonts each role uses."""

from __future__ import annotations

from pathlib import Path

# -- geometry (GB/T 9704-2012 §5.2) ------------------------------------------------------

PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
MARGIN_TOP_MM = 37.0
MARGIN_BOTTOM_MM = 35.0
MARGIN_LEFT_MM = 28.0
MARGIN_RIGHT_MM = 26.0
TEXT_WIDTH_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM  # 156
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

PT_PER_MM = 72 / 25.4
# 225 mm / 22 lines is 28.99 pt; 28.95 pt leaves Word and WeasyPrint a little rounding room
# so that the 22nd line never spills onto the next page.
LINE_PITCH_PT = 28.95
# 156 mm / 28 characters: 3号 glyphs are 16 pt wide, so characters are set 0.21 pt tighter.
CHAR_PITCH_PT = TEXT_WIDTH_MM * PT_PER_MM / CHARS_PER_LINE

# Word condenses 3号 text by 0.25 pt (character spacing is set in twentieths of a point;
# 0.20 would leave 27.98 characters a line), so 28 characters fit the 156 mm line.
BODY_CONDENSE_TWIPS = -5

# Chinese type sizes (字号) in points.
SIZE_XIAOCHU = 36.0  # 小初
SIZE_2 = 22.0  # 二号
SIZE_3 = 16.0  # 三号
SIZE_4 = 14.0  # 四号
SIZE_XIAO4 = 12.0  # 小四

RED = "C00000"

# Font names as offices have them installed. Word looks fonts up by these names; where a
# machine lacks one, the font table's alternative name (second item) and the GB2312 charset
# let Word and LibreOffice substitute a font of the same style instead of a Latin one.
FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEI = "黑体"
FONT_KAI = "楷体_GB2312"
FONT_SONG = "宋体"
FONT_LATIN = "Times New Roman"
FONT_ALTERNATIVES = {
    FONT_TITLE: ("小标宋", "roman"),
    FONT_BODY: ("仿宋", "modern"),
    FONT_HEI: ("SimHei", "modern"),
    FONT_KAI: ("楷体", "modern"),
    FONT_SONG: ("SimSun", "auto"),
}

# The one CJK font every machine must have for the PDF (Debian: fonts-wqy-microhei).
FALLBACK_FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # Debian, Ubuntu
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),  # Fedora, Arch
)
FONT_ROLES = ("title", "body", "hei", "kai", "song")
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


class FontNotFoundError(RuntimeError):
    """No CJK font to draw the PDF with; the message says which package to install."""
