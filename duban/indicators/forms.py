"""The indicator pages' forms: the table's filters, a month's actual value, a peer city's
figure. Numbers are checked by the services (one set of Chinese messages for pages and
API); the forms only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.indicators.choices import IndicatorKind, Qualifier
from duban.indicators.models import MONTHS
from duban.org.models import Unit
from duban.plans.models import FrameworkNode

MONTH_CHOICES = [(m, _("{m}月").format(m=m)) for m in MONTHS]


class IndicatorFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("全部单位"),
    )
    framework = forms.ModelChoiceField(
        label=_("所属框架"),
        queryset=FrameworkNode.objects.none(),
        required=False,
        empty_label=_("全部框架"),
    )

    def __init__(self, *args: Any, units: Any = None, nodes: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        self.fields["framework"].queryset = (
            nodes if nodes is not None else FrameworkNode.objects.none()
        )


class ActualForm(forms.Form):
    month = forms.TypedChoiceField(label=_("月份"), choices=MONTH_CHOICES, coerce=int)
    value = forms.CharField(
        label=_("实际值"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("请填写实际值。")},
    )
    note = forms.CharField(
        label=_("说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("说明不能超过 500 个字。")},
    )


class PeerValueForm(forms.Form):
    month = forms.TypedChoiceField(label=_("月份"), choices=MONTH_CHOICES, coerce=int)
    city = forms.CharField(
        label=_("对标城市"), max_length=50, error_messages={"required": _("请填写对标城市。")}
    )
    value = forms.CharField(
        label=_("对标数值"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("请填写对标数值。")},
    )
    source = forms.CharField(label=_("来源"), max_length=300, required=False)


class IndicatorEditForm(forms.Form):
    """The office's edit of an indicator: its words, kind, target and the monthly plans
    (blank: the default from the annual target). Numbers are checked by the service."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    name = forms.CharField(label=_("指标名称"), max_length=100)
    measure = forms.CharField(label=_("计量单位"), max_length=20, required=False)
    kind = forms.ChoiceField(label=_("指标类型"), choices=IndicatorKind.choices)
    target = forms.CharField(label=_("年度目标值"), max_length=40)
    qualifier = forms.ChoiceField(label=_("目标限定"), choices=Qualifier.choices)
    tolerance = forms.CharField(label=_("容差（%）"), max_length=10)

    def __init__(self, *args: Any, indicator: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for m in MONTHS:
            self.fields[f"plan_{m}"] = forms.CharField(
                label=_("{m}月计划值").format(m=m),
                max_length=40,
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "placeholder": _num(indicator.default_plan(m)) if indicator else "",
                    }
                ),
            )

    @classmethod
    def for_indicator(cls, indicator: Any) -> IndicatorEditForm:
        stored = {m.month: m.plan for m in indicator.months.all() if m.plan is not None}
        initial = {
            "version": indicator.version,
            "name": indicator.name,
            "measure": indicator.measure,
            "kind": indicator.kind,
            "target": _num(indicator.target),
            "qualifier": indicator.qualifier,
            "tolerance": _num(indicator.tolerance),
            **{f"plan_{m}": _num(v) for m, v in stored.items()},
        }
        return cls(initial=initial, indicator=indicator)

    def values(self) -> dict[str, Any]:
        """The service's arguments: the fields, and ``plans`` by month."""
        data = dict(self.cleaned_data)
        plans = {m: data.pop(f"plan_{m}") for m in MONTHS}
        return {**data, "plans": plans}


def _num(value: Any) -> str:
    if value is None:
        return ""
    from decimal import Decimal

    return f"{Decimal(value).normalize():f}"
