"""A scan keeps every page: one InstructionPage per page, each with its own region.

The single image of an instruction registered before (and its region) becomes its page 1.
"""

import django.db.models.deletion
from django.db import migrations, models


def first_pages(apps, schema_editor):
    Instruction = apps.get_model("instructions", "Instruction")
    Page = apps.get_model("instructions", "InstructionPage")
    for old in Instruction.objects.exclude(scan="").exclude(scan__isnull=True):
        Page.objects.create(
            instruction=old,
            number=1,
            image=old.scan.name,
            width=old.scan_width or 1,
            height=old.scan_height or 1,
            region=old.region,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("instructions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="InstructionPage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "version",
                    models.PositiveIntegerField(default=1, editable=False, verbose_name="版本"),
                ),
                ("number", models.PositiveSmallIntegerField(verbose_name="页码")),
                (
                    "image",
                    models.FileField(upload_to="instructions/%Y/%m/", verbose_name="页面图像"),
                ),
                ("width", models.PositiveIntegerField(verbose_name="图像宽度")),
                ("height", models.PositiveIntegerField(verbose_name="图像高度")),
                ("region", models.JSONField(blank=True, null=True, verbose_name="批示区域")),
                (
                    "instruction",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pages",
                        to="instructions.instruction",
                        verbose_name="领导批示",
                    ),
                ),
            ],
            options={
                "verbose_name": "批示件页面",
                "verbose_name_plural": "批示件页面",
                "ordering": ["instruction", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("instruction", "number"), name="instruction_page_number_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(first_pages, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="instruction",
            name="region",
        ),
        migrations.RemoveField(
            model_name="instruction",
            name="scan",
        ),
        migrations.RemoveField(
            model_name="instruction",
            name="scan_height",
        ),
        migrations.RemoveField(
            model_name="instruction",
            name="scan_width",
        ),
    ]
