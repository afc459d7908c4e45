"""URLs of the instruction pages (领导批示), mounted at /instructions/."""

from django.urls import path

from duban.instructions import views

urlpatterns = [
    path("", views.instruction_list, name="instructions"),
    path("new/", views.instruction_new, name="instruction-new"),
    path("scan/", views.instruction_scan, name="instruction-scan"),
    path("scan/<int:job_id>/", views.scan_status, name="instruction-scan-job"),
    path(
        "scan/<int:job_id>/pages/<int:number>.jpg",
        views.scan_page,
        name="instruction-scan-page",
    ),
    path("<int:pk>/", views.instruction_detail, name="instruction-detail"),
    path("<int:pk>/edit/", views.instruction_edit, name="instruction-edit"),
    path(
        "<int:pk>/pages/<int:number>.jpg",
        views.instruction_image,
        {"part": "page"},
        name="instruction-page",
    ),
    path(
        "<int:pk>/pages/<int:number>/annotation.png",
        views.instruction_image,
        {"part": "annotation"},
        name="instruction-annotation",
    ),
    path("<int:pk>/region/", views.instruction_region, name="instruction-region"),
    path("<int:pk>/task/", views.instruction_task, name="instruction-task"),
    path("<int:pk>/reply/", views.instruction_reply, name="instruction-reply"),
    path("<int:pk>/report.docx", views.instruction_report, name="instruction-report"),
    path("<int:pk>/close/", views.instruction_close, name="instruction-close"),
    path("notices/<int:notice_id>/reply/", views.notice_reply, name="instruction-notice-reply"),
    path("replies/<int:reply_id>/accept/", views.reply_accept, name="instruction-reply-accept"),
    path(
        "replies/<int:reply_id>/attachment",
        views.reply_attachment,
        name="instruction-reply-attachment",
    ),
]
