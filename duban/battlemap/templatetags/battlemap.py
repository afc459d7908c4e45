"""Template tags that draw the battle map's charts with :mod:`duban.battlemap.svg`."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from duban.battlemap import svg
from duban.battlemap.services import LightMix, TrendPoint

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
def completion_bar(mix: LightMix, name: str = "") -> SafeString:
    label = _("{name}办结率{share}%").format(name=name, share=round(mix.completion))
    return svg.bar(mix.completion, 100, label=label)


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
