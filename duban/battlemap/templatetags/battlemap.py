"""Template tags that draw the battle map's charts with :mod:`duban.battlemap.svg`."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from duban.battlemap import svg
from duban.battlemap.services import TASK_URL, GroupRow, LightMix, RoadmapBar, TrendPoint
from duban.plans.choices import TaskStatus

register = template.Library()


def _segments(mix: LightMix) -> list[tuple[str, int]]:
    return [
        ("closed", mix.closed),
        ("green", mix.green),
        ("yellow", mix.yellow),
        ("red", mix.red),
        ("none", mix.none),
    ]


def _words(mix: LightMix) -> str:
    return _(
        "共{total}项：已办结{closed}，绿灯{green}，黄灯{yellow}，红灯{red}，未亮灯{none}"
    ).format(
        total=mix.total,
        closed=mix.closed,
        green=mix.green,
        yellow=mix.yellow,
        red=mix.red,
        none=mix.none,
    )


@register.simple_tag
def mix_bar(mix: LightMix, name: str = "") -> SafeString:
    """The closed share and the light mix of a group as one stacked bar."""
    label = f"{name} {_words(mix)}".strip()
    return svg.stacked_bar(_segments(mix), label=label)


@register.simple_tag
def mix_donut(mix: LightMix) -> SafeString:
    return svg.donut(_segments(mix), label=_words(mix), center=str(mix.total))


@register.simple_tag
def closed_bar(closed: int, total: int, name: str = "") -> SafeString:
    """The closed share of ``total`` tasks as one bar (the public page's areas)."""
    share = round(closed * 100 / total) if total else 0
    label = _("{name}已办结{closed}项，共{total}项（{share}%）").format(
        name=name, closed=closed, total=total, share=share
    )
    return svg.bar(closed, total, label=label)


@register.simple_tag
def light_trend(points: list[TrendPoint]) -> SafeString:
    dates = [p.date for p in points]
    series = [
        ("red", [p.red for p in points]),
        ("yellow", [p.yellow for p in points]),
        ("green", [p.green for p in points]),
        ("closed", [p.closed for p in points]),
    ]
    if points:
        last = points[-1]
        label = _(
            "亮灯趋势，{start}至{end}；最近一天红灯{red}，黄灯{yellow}，绿灯{green}，已办结{closed}"
        ).format(
            start=dates[0].isoformat(),
            end=dates[-1].isoformat(),
            red=last.red,
            yellow=last.yellow,
            green=last.green,
            closed=last.closed,
        )
    else:
        label = _("暂无亮灯趋势数据")
    return svg.trend(dates, series, label=label)


@register.filter
def pct(value: float) -> str:
    """A share as a whole percent: 33.3 → "33%"."""
    return f"{round(value or 0)}%"


@register.filter
def share_of(mix: LightMix, name: str) -> float:
    """``{{ mix|share_of:"red" }}``: the percent of all tasks in one segment."""
    return mix.share(name)


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


@register.simple_tag
def gantt_rows(bars: list[RoadmapBar]) -> SafeString:
    """The roadmap rows of one group, written in Python.

    A template loop costs about a millisecond per row with its filters; 2,000 rows and
    4,000 milestones must render in well under a second, so the markup is joined here.
    Every text goes through ``escape``; numbers and dates are formatted by Python.
    """
    open_text = _("未定时限")
    parts: list[str] = []
    for b in bars:
        css = "closed" if b.status == TaskStatus.CLOSED else b.light
        if b.end is None:
            css += " open"
        end = b.end.isoformat() if b.end else open_text
        title = escape(f"{b.start.isoformat()} → {end} · {b.unit} · {b.progress}%")
        label = escape(f"{b.code} {_truncate(b.text, 28)}")
        parts.append(
            f'<li><a class="g-label" href="{TASK_URL.format(pk=b.pk)}" title="{escape(b.text)}">'
            f'{label}</a><span class="g-bar {css}" style="--l:{b.left};--w:{b.width}" '
            f'title="{title}"></span>'
        )
        for m in b.milestones:
            done = " done" if m.done else ""
            tick = " ✓" if m.done else ""
            parts.append(
                f'<span class="g-ms{done}" style="--l:{m.left}" '
                f'title="{escape(m.name)} {m.due_date.isoformat()}{tick}"></span>'
            )
        parts.append("</li>")
    return mark_safe("".join(parts))  # safe: every text above is escaped


@register.simple_tag
def mix_rows(rows: list[GroupRow], empty_text: str = "") -> SafeString:
    """The body rows of a mix table (name, tasks, completion, red, stacked bar).

    Joined in Python for the same reason as :func:`gantt_rows`: a province has 300 units.
    """
    if not rows:
        return mark_safe(f'<tr><td colspan="5">{escape(empty_text)}</td></tr>')
    parts = []
    for row in rows:
        label = escape(row.label)
        parts.append(
            f'<tr><th scope="row">{label}</th><td class="num">{row.mix.total}</td>'
            f'<td class="num">{pct(row.mix.completion)}</td><td class="num">{row.mix.red}</td>'
            f'<td class="bar-col">{mix_bar(row.mix, row.label)}</td></tr>'
        )
    return mark_safe("".join(parts))  # safe: labels escaped, the rest is numbers


@register.simple_tag
def investment_rows(groups: list[Any], empty_text: str = "") -> SafeString:
    """The body rows of an investment table (重点项目): name, projects, plan, done, rate, bar.

    ``groups`` are :class:`duban.projects.services.Group` rows (by 板块 or by unit)."""
    if not groups:
        return mark_safe(f'<tr><td colspan="6">{escape(empty_text)}</td></tr>')
    parts = []
    for g in groups:
        label = escape(g.label)
        rate = "—" if g.rate is None else f"{g.rate}%"
        plan, done = f"{g.plan:.2f}", f"{g.done:.2f}"
        words = _("{name}年度计划投资{plan}万元，已完成{done}万元，完成率{rate}").format(
            name=g.label, plan=plan, done=done, rate=rate
        )
        parts.append(
            f'<tr><th scope="row">{label}</th><td class="num">{g.count}</td>'
            f'<td class="num">{plan}</td><td class="num">{done}</td>'
            f'<td class="num" data-rate="{label}">{rate}</td>'
            f'<td class="bar-col">{svg.bar(g.share, 1.0, label=words)}</td></tr>'
        )
    return mark_safe("".join(parts))  # safe: labels escaped, the rest is numbers
