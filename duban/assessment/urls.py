"""URLs of the assessment page (考核), mounted at /assessment/."""

from django.urls import path

from duban.assessment import views

urlpatterns = [
    path("", views.assessment, name="assessment"),
    path("export.xlsx", views.export, name="assessment-export"),
]
