"""Reading a pasted State Council holiday notice into rest days and make-up working days.

The notices here are written for these tests in the official style; the 2027 dates are an
arrangement of the kind the State Council publishes, checked against the real weekdays.
"""

from __future__ import annotations

import datetime as dt

import pytest

from duban.supervision.holidays import parse_holiday_notice

D = dt.date.fromisoformat

NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
　　经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
　　一、元旦：1月1日（周五）至3日（周日）放假，共3天。
　　二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。2月14日（周日）、2月20日（周六）上班。
　　三、清明节：4月3日（周六）至5日（周一）放假，共3天。
　　四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
　　五、端午节：6月9日（周三）放假，共1天。
　　六、中秋节：9月15日（周三）放假，共1天。
　　七、国庆节：10月1日（星期五）至7日（星期四）放假调休，共7天。9月26日（星期日）、10月9日（星期六）上班。
　　节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作，遇有重大突发事件，要按规定及时报告并妥善处置。

国务院办公厅
2026年11月5日
"""


def test_a_whole_notice_gives_every_rest_day_and_make_up_day():
    parsed = parse_holiday_notice(NOTICE_2027)
    assert parsed.errors == []
    assert parsed.ok
    assert parsed.year == 2027
    names = [f.name for f in parsed.festivals]
    assert names == ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    by_name = {f.name: f for f in parsed.festivals}
    assert by_name["春节"].rest == [D("2027-02-05") + dt.timedelta(days=i) for i in range(9)]
    assert by_name["春节"].work == [D("2027-02-14"), D("2027-02-20")]
    assert by_name["元旦"].rest == [D("2027-01-01"), D("2027-01-02"), D("2027-01-03")]
    assert by_name["元旦"].work == []
    assert by_name["国庆节"].work == [D("2027-09-26"), D("2027-10-09")]
    assert by_name["端午节"].rest == [D("2027-06-09")]
    assert parsed.rest_count == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert parsed.work_count == 6
    # The signature date and the closing paragraph are not read as holidays.
    assert D("2026-11-05") not in {d.date for d in parsed.days}
    days = parsed.days
    assert days == sorted(days, key=lambda d: d.date)
    make_up = next(d for d in days if d.date == D("2027-02-14"))
    assert make_up.is_workday and make_up.note == "春节调休上班" and make_up.weekday_label == "周日"


@pytest.mark.parametrize(
    ("item", "rest", "work"),
    [
        # 「与周末连休」: only the weekday is the holiday; the weekend rests anyway.
        ("一、元旦：1月1日（周五）放假，与周末连休。", ["2027-01-01"], []),
        # The end of a range without its month takes the month before it.
        ("一、清明节：4月3日至5日放假，共3天。", ["2027-04-03", "2027-04-04", "2027-04-05"], []),
        # A range across months, with 「星期」 and half-width brackets.
        (
            "一、国庆节：9月30日(星期四)至10月2日(星期六)放假，共3天。",
            ["2027-09-30", "2027-10-01", "2027-10-02"],
            [],
        ),
        # 元旦 starting in the year before the notice's year.
        (
            "一、元旦：2026年12月31日（周四）至2027年1月1日（周五）放假，共2天。",
            ["2026-12-31", "2027-01-01"],
            [],
        ),
        # The next year's 元旦 written without a year on its end date.
        (
            "一、元旦：12月31日（周五）至1月1日（周六）放假，共2天。",
            ["2027-12-31", "2028-01-01"],
            [],
        ),
        # Make-up days joined by 「和」, and the 上班 clause after a 「；」.
        (
            "一、劳动节：5月1日至5日放假调休，共5天；4月25日（周日）和5月8日（周六）上班。",
            ["2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-05-05"],
            ["2027-04-25", "2027-05-08"],
        ),
        # Full-width digits, as some pasted PDFs give.
        ("一、端午节：６月９日（周三）放假，共１天。", ["2027-06-09"], []),
    ],
)
def test_one_item(item, rest, work):
    parsed = parse_holiday_notice(item, year=2027)
    assert parsed.errors == []
    festival = parsed.festivals[0]
    assert festival.rest == [D(d) for d in rest]
    assert festival.work == [D(d) for d in work]


def test_the_title_year_wins_over_the_year_chosen_on_the_page():
    text = "国务院办公厅关于2028年部分节假日安排的通知\n一、元旦：1月1日（周六）至3日（周一）放假，共3天。"
    parsed = parse_holiday_notice(text, year=2027)
    assert parsed.year == 2028
    assert parsed.errors == []
    assert parsed.festivals[0].rest[0] == D("2028-01-01")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "没有识别出节日安排"),
        ("2027年放假安排另行通知。", "没有识别出节日安排"),
        ("一、元旦：1月1日放假。", "没有找到年份"),
        # Wrong weekday: typed from last year's notice.
        (
            "关于2027年部分节假日安排的通知\n一、元旦：1月1日（周四）放假。",
            "1月1日写的是周四，但2027年1月1日是周五",
        ),
        (
            "关于2027年部分节假日安排的通知\n一、春节：2月5日至13日放假调休，共8天。",
            "“春节”写明共8天，但按日期计算是9天",
        ),
        (
            "关于2027年部分节假日安排的通知\n一、劳动节：5月1日至5日放假。5月6日（周四）上班。",
            "“劳动节”的调休上班日5月6日是周四，本来就是工作日",
        ),
        (
            "关于2027年部分节假日安排的通知\n一、春节：2月14日（周日）上班。",
            "“春节”没有找到放假日期",
        ),
        (
            "关于2027年部分节假日安排的通知\n一、春节：2月30日放假。",
            "“春节”中的“2月30日”不是有效日期",
        ),
        ("关于2027年部分节假日安排的通知\n一、春节：30日放假。", "“春节”中的“30日”没有写月份"),
        (
            "关于2027年部分节假日安排的通知\n一、春节：2月5日至13日放假。2月14日（周日）\n",
            "“春节”中的2月14日没有写明是放假还是上班",
        ),
        (
            "关于2027年部分节假日安排的通知\n一、中秋节：9月15日放假。\n二、国庆节：9月15日至17日放假。",
            "9月15日在“中秋节”和“国庆节”中都出现了",
        ),
    ],
)
def test_a_mistake_is_named_for_the_clerk(text, message):
    parsed = parse_holiday_notice(text)
    assert not parsed.ok
    assert any(message in e for e in parsed.errors), parsed.errors
