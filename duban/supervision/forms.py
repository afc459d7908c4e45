"""Forms of the unit desk (我的任务), the office desk (督查台) and the office's settings pages.

Forms only parse and check input shape; the rules (who may, which status) stay in
:mod:`duban.supervision.services`. Every form that edits an existing row carries its
``version`` so a stale write becomes a conflict instead of overwriting someone else.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from duban.supervision.choices import NoticeLevel
from duban.supervision.models import CalendarDay, SupervisionSettings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked against ``DUBAN_MAX_UPLOAD_BYTES``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(d, initial) for d in data if d]
        else:
            files = [single(data, initial)] if data else []
        limit = settings.DUBAN_MAX_UPLOAD_BYTES
        errors = []
        for f in files:
            if f.size > limit:
                errors.append(
                    _(
                        "文件“{name}”有 {size:.1f} MB，超过每个文件 {mb} MB 的上限，请压缩或拆分后再上传。"
                    ).format(name=f.name, size=f.size / (1024 * 1024), mb=limit // (1024 * 1024))
                )
            elif f.size == 0:
                errors.append(_("文件“{name}”是空的。").format(name=f.name))
        if errors:
            raise forms.ValidationError(errors)
        return files


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)


class ReportForm(forms.Form):
    """进展报送: one task, one period, the clerk's words and evidence."""

    progress = forms.CharField(
        label=_("工作进展"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("本期做了什么、取得了哪些进展。"),
    )
    percent = forms.IntegerField(
        label=_("完成进度（%）"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": _("请填写完成进度。"),
            "min_value": _("完成进度应在 0 到 100 之间。"),
            "max_value": _("完成进度应在 0 到 100 之间。"),
            "invalid": _("完成进度请填写整数。"),
        },
    )
    problems = forms.CharField(
        label=_("存在问题"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_steps = forms.CharField(
        label=_("下步打算"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    coordination_request = forms.CharField(
        label=_("需协调事项"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("本单位解决不了、需要分管领导协调的问题；填写后将转给分管领导。"),
    )
    files = MultipleFileField(label=_("佐证材料（可多选）"))
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "draft" not in self.data and not (data.get("progress") or "").strip():
            self.add_error("progress", _("请填写工作进展。"))
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("accept", _("采纳")), ("return", _("退回"))]
    )
    reason = forms.CharField(
        label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = VersionField()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("退回报告时请写明原因。"))
        return data


class NoticeIssueForm(forms.Form):
    """督查室手动发出提醒、催办、督办或通报。"""

    task = forms.CharField(
        label=_("任务（编号或ID）"),
        max_length=40,
        required=False,
        help_text=_("填写任务页面上的ID（如 25），或在方案内唯一的编号（如 5.2）。"),
    )
    level = forms.ChoiceField(
        label=_("级别"),
        choices=[(v, label) for v, label in NoticeLevel.choices if v != NoticeLevel.COORDINATION],
        initial=NoticeLevel.SUPERVISE,
    )
    reason = forms.CharField(
        label=_("事由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请写明事由。")},
    )
    reply_days = forms.IntegerField(
        label=_("回复期限（工作日）"),
        min_value=1,
        max_value=60,
        required=False,
        help_text=_("留空则使用督办参数中的默认期限。"),
    )


class CoordinationDecisionForm(forms.Form):
    decision = forms.CharField(
        label=_("协调意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写协调意见。")},
    )
    version = VersionField()


class CalendarDayForm(forms.ModelForm):
    is_workday = forms.TypedChoiceField(
        label=_("类型"),
        choices=[("0", _("放假（休息日）")), ("1", _("调休上班（工作日）"))],
        coerce=lambda v: v == "1",
    )

    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
        error_messages = {
            "date": {
                "unique": _("这一天已有调整记录，请先删除原记录。"),
                "required": _("请选择日期。"),
                "invalid": _("日期格式应为 YYYY-MM-DD。"),
            }
        }


class HolidayNoticeForm(forms.Form):
    """The State Council's holiday notice, pasted as text (read by ``holidays.py``)."""

    text = forms.CharField(
        label=_("通知正文"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("从“国务院办公厅关于××××年部分节假日安排的通知”中复制全文粘贴到这里。"),
        error_messages={
            "required": _("请粘贴通知正文。"),
            "max_length": _("通知正文过长，请只粘贴节假日安排部分。"),
        },
    )
    year = forms.IntegerField(
        label=_("年份（通知标题中没有年份时使用）"),
        required=False,
        min_value=2000,
        max_value=2100,
        error_messages={
            "min_value": _("年份应在2000到2100之间。"),
            "max_value": _("年份应在2000到2100之间。"),
            "invalid": _("年份应为四位数字。"),
        },
    )


class SupervisionSettingsForm(forms.ModelForm):
    version = VersionField()

    class Meta:
        model = SupervisionSettings
        fields = [
            "yellow_lag_percent",
            "red_lag_percent",
            "milestone_warning_days",
            "missing_reports_for_red",
            "indicator_yellow_gap_percent",
            "indicator_red_gap_percent",
            "reminder_before_days",
            "chase_after_days",
            "supervise_after_days",
            "criticize_after_days",
            "reply_days",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        yellow, red = data.get("yellow_lag_percent"), data.get("red_lag_percent")
        if yellow is not None and red is not None and yellow >= red:
            self.add_error("red_lag_percent", _("红灯阈值应大于黄灯阈值。"))
        yellow = data.get("indicator_yellow_gap_percent")
        red = data.get("indicator_red_gap_percent")
        if yellow is not None and red is not None and yellow >= red:
            self.add_error("indicator_red_gap_percent", _("红灯阈值应大于黄灯阈值。"))
        chase = data.get("chase_after_days")
        supervise = data.get("supervise_after_days")
        criticize = data.get("criticize_after_days")
        if None not in (chase, supervise, criticize) and not chase <= supervise <= criticize:
            self.add_error("supervise_after_days", _("逾期天数应依次递增：催办 ≤ 督办 ≤ 通报。"))
        return data
