"""The REST API under /api/, its OpenAPI 3 schema and the offline interactive docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from duban.assessment.api import AssessmentReleaseViewSet, AssessmentViewSet, ObjectionViewSet
from duban.bulletins.api import BulletinViewSet
from duban.core.api import not_found
from duban.documents.api import DocumentViewSet, JobViewSet
from duban.indicators.api import IndicatorViewSet
from duban.instructions.api import InstructionViewSet
from duban.plans.api import PlanViewSet, TaskViewSet
from duban.plans.audit_api import AuditViewSet
from duban.plans.units_api import UnitAdminViewSet
from duban.projects.api import ProjectPhotoViewSet, ProjectViewSet
from duban.supervision.api import ClosureViewSet, NoticeViewSet, ReportViewSet, WebhookViewSet
from duban.supervision.cascade_api import CascadeInboundView, CascadeProgressView

router = DefaultRouter(trailing_slash=True)
router.register("plans", PlanViewSet, basename="plan")
router.register("tasks", TaskViewSet, basename="task")
router.register("reports", ReportViewSet, basename="report")
router.register("notices", NoticeViewSet, basename="notice")
router.register("closures", ClosureViewSet, basename="closure")
router.register("units", UnitAdminViewSet, basename="unit")
router.register("bulletins", BulletinViewSet, basename="bulletin")
router.register("audit", AuditViewSet, basename="audit")
router.register("documents", DocumentViewSet, basename="document")
router.register("jobs", JobViewSet, basename="job")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("assessments/releases", AssessmentReleaseViewSet, basename="assessment-release")
router.register("assessments/objections", ObjectionViewSet, basename="assessment-objection")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("projects", ProjectViewSet, basename="project")
router.register("project-photos", ProjectPhotoViewSet, basename="project-photo")
router.register("instructions", InstructionViewSet, basename="instruction")
router.register("indicators", IndicatorViewSet, basename="indicator")

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("cascade/inbound/", CascadeInboundView.as_view(), name="cascade-inbound"),
    path("cascade/progress/", CascadeProgressView.as_view(), name="cascade-progress"),
    path("", include(router.urls)),
    # Whatever else is asked under /api/ gets the API's JSON 404, never the HTML page.
    re_path(r"^.*$", not_found),
]
