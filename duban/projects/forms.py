"""The ledger's forms: a project, a month's entry with photos, a 板块, the filters, an import.

Forms check shape (a number, a date); the rules (who, which month, the plan under the total,
the photo really an image) are the services', whose messages the views put on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from duban.org.models import Unit
from duban.plans.models import Task
from duban.projects.choices import ProjectStatus
from duban.projects.models import Project, Sector
from duban.supervision.forms import MultipleFileField, MultipleFileInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY_ERRORS = {
    "invalid": _("请填写数字（万元），例如 1200 或 35.5。"),
    "min_value": _("金额不能为负数。"),
    "max_decimal_places": _("金额最多保留两位小数。"),
    "max_digits": _("金额超出范围。"),
    "max_whole_digits": _("金额超出范围。"),
    "required": _("请填写金额。"),
}


def _money(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        error_messages=MONEY_ERRORS,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "year",
            "code",
            "name",
            "sector",
            "lead_unit",
            "responsible",
            "location",
            "total_investment",
            "annual_plan",
            "planned_start",
            "planned_finish",
            "status",
            "image_progress",
            "task",
        ]
        widgets = {
            "planned_start": DATE,
            "planned_finish": DATE,
            "image_progress": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "planned_start": {"invalid": _("日期格式应为 YYYY-MM-DD。")},
            "planned_finish": {"invalid": _("日期格式应为 YYYY-MM-DD。")},
            "year": {"invalid": _("年度应为整数。")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["total_investment"] = _money(_("总投资（万元）"))
        self.fields["annual_plan"] = _money(_("年度计划投资（万元）"))
        self.fields["lead_unit"].queryset = Unit.objects.filter(is_active=True)
        self.fields["sector"].queryset = Sector.objects.order_by("sort_order", "id")
        # A city has thousands of tasks: the link is typed as the task's id (shown on its
        # page's address), not chosen from a list.
        self.fields["task"] = forms.ModelChoiceField(
            label=_("关联任务ID（可不填）"),
            queryset=Task.objects.all(),
            required=False,
            widget=forms.NumberInput(attrs={"min": 1}),
            error_messages={"invalid_choice": _("没有这个任务ID。")},
        )
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year

    def _post_clean(self) -> None:
        # The services check the rules and save; the model's own validation (and its
        # uniqueness query) is not needed twice.
        pass


class MonthForm(forms.Form):
    month = forms.TypedChoiceField(
        label=_("月份"),
        coerce=int,
        choices=[(m, format_lazy(_("{m}月"), m=m)) for m in range(1, 13)],
        error_messages={"invalid_choice": _("请选择 1 到 12 月。")},
    )
    completed = _money(_("当月完成投资（万元）"))
    image_progress = forms.CharField(
        label=_("形象进度"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("本月末工程的形象进度，例如“主体结构封顶，进行二次结构施工”。"),
    )
    photos = MultipleFileField(
        label=_("现场照片（可多选，JPEG 或 PNG）"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class SectorForm(forms.Form):
    name = forms.CharField(label=_("新板块名称"), max_length=30)


class LedgerFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)
    unit = forms.ModelChoiceField(
        label=_("责任单位"), queryset=Unit.objects.none(), required=False, empty_label=_("全部")
    )
    sector = forms.ModelChoiceField(
        label=_("板块"), queryset=Sector.objects.none(), required=False, empty_label=_("全部")
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *ProjectStatus.choices], required=False
    )
    ordering = forms.ChoiceField(
        label=_("排序"),
        required=False,
        choices=[
            ("code", _("项目编号")),
            ("-rate", _("完成率从高到低")),
            ("rate", _("完成率从低到高")),
            ("-plan", _("年度计划投资从高到低")),
            ("-done", _("累计完成投资从高到低")),
            ("unit", _("责任单位")),
            ("sector", _("板块")),
        ],
    )

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else Unit.objects.none()
        self.fields["sector"].queryset = Sector.objects.order_by("sort_order", "id")


class LedgerImportForm(forms.Form):
    file = forms.FileField(
        label=_("台账文件（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )
    year = forms.IntegerField(label=_("台账年度"), min_value=2000, max_value=2100)
    check_only = forms.BooleanField(label=_("只检查，不导入"), required=False)
