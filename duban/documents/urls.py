"""Document upload and the review of extracted tasks, under ``/documents/``."""

from django.urls import path

from duban.documents import views

urlpatterns = [
    path("", views.document_list, name="documents"),
    path("jobs/<int:pk>/", views.job_status, name="document-job"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="document-job-cancel"),
    path("catalog/", views.catalog_page, name="document-catalog"),
    path("<int:pk>/review/", views.review, name="document-review"),
    path(
        "<int:pk>/review/tasks/<int:task_id>/<slug:action>/",
        views.review_task,
        name="document-review-task",
    ),
    path(
        "<int:pk>/review/tasks/<int:task_id>/region.png",
        views.task_region,
        name="document-task-region",
    ),
    path("<int:pk>/review/merge/", views.review_merge, name="document-review-merge"),
    path("<int:pk>/review/add/", views.review_add, name="document-review-add"),
    path("<int:pk>/review/confirm/", views.review_confirm, name="document-review-confirm"),
]
