"""Forms of the task page: edit, (re)assign, schedule, comment, notices and closure.

They parse input only; permissions and rules stay in ``plans.access`` and the services.
Forms that change an existing row carry its ``version`` (hidden) for optimistic locking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.core.widgets import FastSelect, FastSelectMultiple
from duban.supervision.choices import Frequency
from duban.supervision.forms import MultipleFileField, VersionField
from duban.supervision.services import COMMENT_MAX_LENGTH


class TaskEditForm(forms.Form):
    text = forms.CharField(
        label=_("工作任务"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("任务内容不能为空。")},
    )
    deadline = forms.DateField(
        label=_("完成时限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")},
    )
    deadline_text = forms.CharField(label=_("完成时限（原文）"), max_length=100, required=False)
    target_value = forms.CharField(label=_("目标值"), max_length=50, required=False)
    measures = forms.CharField(
        label=_("工作措施"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = VersionField()


class AssignForm(forms.Form):
    """交办: the engine's suggestions come first in the lead unit list."""

    # Every unit twice: drawn without a template per option (duban/core/widgets.py).
    lead_unit = forms.TypedChoiceField(
        label=_("牵头单位"),
        coerce=int,
        error_messages={"required": _("请选择牵头单位。")},
        widget=FastSelect,
    )
    co_units = forms.TypedMultipleChoiceField(
        label=_("配合单位（可多选）"), coerce=int, required=False, widget=FastSelectMultiple
    )
    leader = forms.TypedChoiceField(
        label=_("责任领导"), coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    version = VersionField()

    def __init__(
        self,
        *args: Any,
        units: Iterable[Any] = (),
        suggestions: Iterable[dict[str, Any]] = (),
        leaders: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        units = list(units)
        by_name = {u.name: u for u in units}
        suggested = []
        for s in suggestions:
            unit = by_name.get(s.get("unit", ""))
            if unit is not None and unit.pk not in {p for p, _label in suggested}:
                score = s.get("score")
                label = f"{unit}（{score}）" if score is not None else str(unit)
                suggested.append((unit.pk, label))
        all_units = [(u.pk, str(u)) for u in units]
        lead_choices: list[Any] = [("", _("请选择"))]
        if suggested:
            lead_choices.append((_("系统建议"), suggested))
            lead_choices.append((_("全部单位"), all_units))
        else:
            lead_choices.extend(all_units)
        self.fields["lead_unit"].choices = lead_choices
        self.fields["co_units"].choices = all_units
        self.fields["co_units"].widget.attrs["size"] = 6
        self.fields["leader"].choices = [("", _("（不指定）"))] + [(u.pk, str(u)) for u in leaders]


class MilestoneScheduleForm(forms.Form):
    """倒排工期 with a milestone template."""

    template = forms.ChoiceField(label=_("阶段模板"), widget=FastSelect)
    start = forms.DateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空则用任务的开始日期，没有则从今天起。"),
    )
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from duban.supervision.scheduling import milestone_templates

        self.fields["template"].choices = [
            (key, tpl.label) for key, tpl in milestone_templates().items()
        ]


class ReportingScheduleForm(forms.Form):
    frequency = forms.ChoiceField(label=_("报送频次"), choices=Frequency.choices, widget=FastSelect)
    day = forms.IntegerField(
        label=_("报送日"),
        min_value=1,
        max_value=31,
        help_text=_("每周：1=周一 … 7=周日；每月/每季度：几号（超过月底按月末）。"),
        error_messages={"required": _("请填写报送日。")},
    )
    starts_on = forms.DateField(
        label=_("开始报送日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("请选择开始日期。")},
    )
    ends_on = forms.DateField(
        label=_("结束报送日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start: dt.date | None = data.get("starts_on")
        end: dt.date | None = data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("结束日期不能早于开始日期。"))
        if data.get("frequency") == Frequency.WEEKLY and (data.get("day") or 0) > 7:
            self.add_error("day", _("每周报送时，报送日应在 1 到 7 之间。"))
        return data


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("批示或评论"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=COMMENT_MAX_LENGTH,  # the service checks it too, for the API
        error_messages={
            "required": _("评论不能为空。"),
            "max_length": _("评论不能超过 %(limit_value)d 字（现有 %(show_value)d 字）。"),
        },
    )
    # Offered only to those who may praise (leaders, the office); see the task page.
    praise = forms.BooleanField(label=_("作为表扬（计入考核加分）"), required=False)


class ClosureRequestForm(forms.Form):
    note = forms.CharField(
        label=_("完成情况"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写完成情况。")},
    )
    files = MultipleFileField(label=_("佐证材料（可多选）"))
    version = VersionField()


class ClosureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("同意销号")), ("return", _("退回"))]
    )
    note = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    verification_note = forms.CharField(
        label=_("整改核验意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("整改任务销号时必填：写明如何核验整改到位。"),
    )
    version = VersionField()


class NoticeReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("回复"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写回复内容。")},
    )
    version = VersionField()


class SubtaskForm(forms.Form):
    text = forms.CharField(
        label=_("分解任务（具体措施）"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写分解任务的内容。")},
    )
    deadline = forms.DateField(
        label=_("完成时限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    responsible = forms.CharField(label=_("责任人"), required=False, max_length=200)
