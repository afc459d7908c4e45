"""Supervision URLs, included at the site root by ``duban.project.urls``."""

from django.urls import path

from duban.supervision import views

urlpatterns = [
    # token_urlsafe tokens are exactly the slug alphabet (letters, digits, - and _).
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence-file"),
    path("workbench/accept/", views.workbench_accept, name="workbench-accept"),
    path("workbench/chase/", views.workbench_chase, name="workbench-chase"),
]
