"""Forms of the upload and review pages: parsing only, the rules are in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.plans.models import Plan


class UploadForm(forms.Form):
    # Empty files pass the form: the engine's own message (E001) explains them.
    file = forms.FileField(
        label=_("报告文件"),
        allow_empty_file=True,
        help_text=_("支持 .txt .md .docx .doc .wps .pdf（有文字层）.ofd .html"),
    )
    title = forms.CharField(label=_("标题（可选）"), required=False, max_length=300)
    date = forms.DateField(
        label=_("文件日期（文中没有日期时必填，用于推算“年底前”等时限）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    catalog = forms.ChoiceField(
        label=_("牵头单位建议所用的单位目录"),
        required=False,
        choices=[
            ("", _("本系统的层级（默认）")),
            ("city", _("市级部门")),
            ("province", _("省级部门")),
            ("national", _("国家部委")),
            ("none", _("不建议牵头单位")),
        ],
    )
    plan = forms.ModelChoiceField(
        label=_("并入已有方案（修改稿重新上传）"),
        queryset=Plan.objects.order_by("-id"),
        required=False,
        empty_label=_("新建方案"),
    )
