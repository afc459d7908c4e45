"""The instruction pages' forms: registration (typed or from a scan), the scan upload, a
unit's reply, turning into a task or attaching to one, the region, 报结."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.instructions.choices import InstructionStatus
from duban.instructions.jobs import SCAN_SUFFIXES
from duban.instructions.models import Instruction
from duban.org.models import Unit
from duban.plans.choices import PlanStatus
from duban.plans.models import FrameworkNode, Plan

DATE = {"type": "date"}
DATE_ERRORS = {"invalid": _("日期格式应为 YYYY-MM-DD。")}


def _date(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        error_messages=DATE_ERRORS,
    )


def active_units() -> Any:
    return Unit.objects.filter(is_active=True).order_by("sort_order", "name")


class InstructionForm(forms.ModelForm):
    """登记 or 修改: the leader, the date, the source document, the words, units, deadline."""

    instructed_on = _date(_("批示日期"))
    reply_by = _date(_("反馈时限"))
    lead_unit = forms.ModelChoiceField(
        label=_("牵头单位"),
        queryset=Unit.objects.none(),
        error_messages={"required": _("请选择牵头单位。")},
    )
    co_units = forms.ModelMultipleChoiceField(
        label=_("配合单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("按住 Ctrl 可多选；牵头单位不必再选。"),
    )
    # The recognised scan this registration keeps (a job of ours); empty when typed.
    scan_job = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Instruction
        fields = [
            "leader_name",
            "leader_title",
            "instructed_on",
            "source_title",
            "source_number",
            "source_text",
            "content",
            "reply_by",
            "lead_unit",
            "co_units",
        ]
        widgets = {
            "source_text": forms.Textarea(attrs={"rows": 8}),
            "content": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "source_text": _("扫描件识别出的文字在此，请对照原件改正。"),
            "content": _("照原件录入领导手写的批示。"),
            "source_number": _("可不填。"),
        }
        error_messages = {
            "leader_name": {"required": _("请填写批示领导。")},
            "source_title": {"required": _("请填写来文标题。")},
            "content": {"required": _("请填写批示内容。")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = active_units()
        self.fields["co_units"].queryset = active_units()
        self.fields["instructed_on"].error_messages["required"] = _("请填写批示日期。")
        self.fields["reply_by"].error_messages["required"] = _("请填写反馈时限。")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("instructed_on"), data.get("reply_by")
        if start and end and end < start:
            self.add_error("reply_by", _("反馈时限不能早于批示日期。"))
        return data


class ScanForm(forms.Form):
    file = forms.FileField(
        label=_("批示件扫描件或照片"),
        help_text=_("PNG、JPEG、TIFF 或扫描的 PDF；识别第一页的印刷文字，手写批示保留为图像。"),
        error_messages={"required": _("请选择要上传的扫描件或照片。")},
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SCAN_SUFFIXES)}),
    )


class ReplyForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("办理单位"), coerce=int)
    text = forms.CharField(
        label=_("办理情况"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写办理情况。")},
    )
    replied_on = _date(_("反馈日期"), required=False)
    attachment = forms.FileField(label=_("附件"), required=False)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]


class TaskCreateForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("纳入方案"),
        queryset=Plan.objects.exclude(status=PlanStatus.ARCHIVED).order_by("-year", "-id"),
        error_messages={"required": _("请选择方案。")},
    )
    framework_node = forms.ModelChoiceField(
        label=_("所属框架"),
        queryset=FrameworkNode.objects.select_related("plan").order_by("plan", "sort_order"),
        required=False,
        help_text=_("可不选；所选框架须属于该方案。"),
    )
    text = forms.CharField(
        label=_("任务内容"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["framework_node"].label_from_instance = lambda n: (
            f"{n.plan} · {n.code} {n.name}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        plan, node = data.get("plan"), data.get("framework_node")
        if plan and node and node.plan_id != plan.pk:
            self.add_error("framework_node", _("所选框架不属于该方案。"))
        return data


class LinkForm(forms.Form):
    task = forms.CharField(
        label=_("任务编号或ID"),
        max_length=40,
        error_messages={"required": _("请填写要关联的任务编号。")},
    )


class RegionForm(forms.Form):
    x = forms.FloatField(label=_("左"), min_value=0, max_value=1)
    y = forms.FloatField(label=_("上"), min_value=0, max_value=1)
    w = forms.FloatField(label=_("宽"), min_value=0.01, max_value=1)
    h = forms.FloatField(label=_("高"), min_value=0.01, max_value=1)
    # Which page of the scan the handwriting is on (1-based).
    page = forms.IntegerField(min_value=1, widget=forms.HiddenInput, required=False)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("报结说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FilterForm(forms.Form):
    leader = forms.CharField(label=_("批示领导"), required=False)
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *InstructionStatus.choices], required=False
    )
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
    due = forms.ChoiceField(
        label=_("到期"), choices=[("", _("不限")), ("week", _("7天内到期"))], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = active_units()
