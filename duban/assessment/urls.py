"""URLs of the assessment pages (考核), mounted at /assessment/."""

from django.urls import path

from duban.assessment import views

urlpatterns = [
    path("", views.assessment, name="assessment"),
    path("export.xlsx", views.export, name="assessment-export"),
    path("publish/", views.publish, name="assessment-publish"),
    path("releases/", views.releases, name="assessment-releases"),
    path("releases/<int:pk>/", views.release_detail, name="assessment-release"),
    path("releases/<int:pk>/object/", views.object_to, name="assessment-object"),
    path(
        "releases/<int:pk>/objections/<int:objection_pk>/decide/",
        views.decide,
        name="assessment-decide",
    ),
    path("releases/<int:pk>/export.xlsx", views.release_export, name="assessment-release-export"),
]
