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
        help_text=_(
            "支持 .txt .md .docx .doc .wps .pdf .ofd .html，以及扫描件和照片"
            "（.jpg .png .tif，自动识别文字，每页约需几秒）"
        ),
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
            ("", _("本系统的默认目录")),
            ("city", _("市级部门")),
            ("province", _("省级部门")),
            ("national", _("国家部委")),
            ("office", _("本单位上传的目录")),
            ("none", _("不建议牵头单位")),
        ],
    )
    plan = forms.ModelChoiceField(
        label=_("并入已有方案（修改稿重新上传）"),
        queryset=Plan.objects.order_by("-id"),
        required=False,
        empty_label=_("新建方案"),
    )

    def clean_catalog(self) -> str:
        from duban.documents.services import office_catalog_path

        value = self.cleaned_data.get("catalog") or ""
        if value == "office" and office_catalog_path() is None:
            raise forms.ValidationError(_("尚未上传本单位的单位目录。"))
        return value


class CatalogForm(forms.Form):
    file = forms.FileField(
        label=_("单位目录文件"),
        help_text=_(
            "CSV、XLSX 或 JSON：每行一个单位，列为 单位、简称、别名、职责、分管领导、类型"
            "（别名用顿号、职责用分号分隔）。上传后作为本系统牵头单位建议的默认目录。"
        ),
    )
