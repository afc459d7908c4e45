"""The assessment page's form: the period and the scheme's points (for what-if or saving)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.assessment.models import RULES, AssessmentScheme

POINT_ERRORS = {
    "invalid": _("分值应为数字，例如 2 或 0.5。"),
    "min_value": _("分值不能为负数；扣分项填写扣掉的分数。"),
    "max_value": _("分值不能超过 100。"),
    "max_decimal_places": _("分值最多保留一位小数。"),
    "max_digits": _("分值不能超过 100。"),
    "required": _("请填写分值。"),
}


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("考核期开始"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")},
    )
    end = forms.DateField(
        label=_("考核期结束"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("考核期结束日期不能早于开始日期。"))
        return data

    @staticmethod
    def default() -> dict[str, dt.date]:
        today = timezone.localdate()
        return {"start": dt.date(today.year, 1, 1), "end": today}


class AssessmentSchemeForm(forms.ModelForm):
    class Meta:
        model = AssessmentScheme
        fields = ["early_days", *[name for name, _kind in RULES]]
        error_messages = {
            "early_days": {
                "invalid": _("天数应为整数。"),
                "min_value": _("天数不能为负数。"),
                "required": _("请填写天数。"),
            }
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, _kind in RULES:
            self.fields[name] = forms.DecimalField(
                label=self.fields[name].label,
                min_value=0,
                max_value=100,
                max_digits=4,
                decimal_places=1,
                error_messages=POINT_ERRORS,
                widget=forms.NumberInput(attrs={"step": "0.1"}),
            )


class PublishForm(forms.Form):
    """Publishing a period's result: its title and the objection deadline."""

    title = forms.CharField(
        label=_("标题"),
        max_length=200,
        required=False,
        help_text=_("留空则为“开始日期至结束日期考核结果”。"),
        error_messages={"max_length": _("标题不能超过 200 字。")},
    )
    objections_until = forms.DateField(
        label=_("异议截止日期"),
        required=False,
        help_text=_("留空则为发布后 7 天。"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")},
    )


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("异议理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={
            "required": _("请填写异议理由。"),
            "max_length": _("异议理由不能超过 %(limit_value)d 字（现有 %(show_value)d 字）。"),
        },
    )


class DecisionForm(forms.Form):
    uphold = forms.TypedChoiceField(
        label=_("处理结果"),
        choices=[("1", _("采纳并调整分值")), ("0", _("不予采纳"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择处理结果。")},
    )
    points = forms.DecimalField(
        label=_("调整分值（加分为正，扣分为负）"),
        required=False,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
        error_messages={
            "invalid": _("分值应为数字，例如 2 或 -0.5。"),
            "max_decimal_places": _("分值最多保留一位小数。"),
            "max_digits": _("调整分值应在 -100 到 100 之间，最多一位小数。"),
        },
    )
    decision = forms.CharField(
        label=_("处理意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={
            "required": _("请填写处理意见。"),
            "max_length": _("处理意见不能超过 %(limit_value)d 字（现有 %(show_value)d 字）。"),
        },
    )
