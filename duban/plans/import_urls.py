"""URLs of the task book page (``/taskbook/``): import in four steps, export each plan."""

from django.urls import path

from duban.plans import import_views as views

urlpatterns = [
    path("", views.taskbook_page, name="taskbook"),
    path("<str:token>/mapping/", views.mapping_page, name="taskbook-mapping"),
    path("<str:token>/preview/", views.preview_page, name="taskbook-preview"),
    path("<str:token>/commit/", views.commit_view, name="taskbook-commit"),
    path("job/<int:pk>/", views.job_status, name="taskbook-job"),
    path(
        "export/<int:plan_id>.<str:fmt>",
        views.export_view,
        name="taskbook-export",
    ),
]
