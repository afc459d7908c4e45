"""Finding the region of a scanned page that a proposal came from, by its characters."""

from __future__ import annotations

from duban.documents.regions import find_region

OCR = {
    "pages": [
        {"number": 1, "width": 1400, "height": 2000, "rotation": 0, "skew": 0.0},
        {"number": 2, "width": 1400, "height": 2000, "rotation": 0, "skew": 0.0},
    ],
    "lines": [
        [1, 200, 300, 1200, 340, "一、二〇二七年重点任务"],
        [1, 280, 400, 1200, 440, "(一）扩大有效投资。全年实施市级重点项目二百一十个，六月"],
        [1, 200, 460, 1200, 500, "底前开工建设滨河新区综合管廊二期工程。"],
        [2, 200, 300, 1200, 340, "新增城镇就业二万二千人。"],
    ],
}


def test_a_proposal_spanning_two_printed_lines_gets_both_boxes_padded() -> None:
    # The engine's text has full-width brackets and no line break: still found.
    region = find_region(
        OCR, "全年实施市级重点项目二百一十个，六月底前开工建设滨河新区综合管廊二期工程"
    )
    assert region is not None and region.page == 1
    assert region.box == (188, 388, 1212, 512)


def test_a_proposal_on_the_second_page_points_there() -> None:
    region = find_region(OCR, "新增城镇就业二万二千人")
    assert region is not None and (region.page, region.box[1]) == (2, 288)


def test_text_that_is_not_on_the_pages_or_no_scan_gives_nothing() -> None:
    assert find_region(OCR, "年底前建成社区养老服务站四十五个") is None
    assert find_region(None, "新增城镇就业二万二千人") is None
    assert find_region({"lines": []}, "新增城镇就业") is None
    # Lines of a page whose image cannot be drawn again (an OFD scan): nothing to show.
    assert find_region({"pages": [], "lines": OCR["lines"]}, "新增城镇就业二万二千人") is None
