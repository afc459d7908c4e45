"""The indicator pages' forms: the table's filters, a month's actual value, a peer city's
figure. Numbers are checked by the services (one set of Chinese messages for pages and
API); the forms only shape the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
