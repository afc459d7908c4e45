"""URLs of the key-project ledger (重点项目), mounted at /projects/."""

from django.urls import path

from duban.projects import views

urlpatterns = [
    path("", views.ledger, name="projects"),
    path("new/", views.project_new, name="project-new"),
    path("sectors/", views.add_sector, name="project-sector-add"),
    path("export.xlsx", views.export, name="projects-export"),
    path("import/", views.import_ledger, name="projects-import"),
    path("photos/<int:pk>/", views.photo, name="project-photo"),
    path("photos/<int:pk>/delete/", views.delete_photo, name="project-photo-delete"),
    path("<int:pk>/", views.project_detail, name="project-detail"),
    path("<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("<int:pk>/months/", views.enter_month, name="project-month"),
]
