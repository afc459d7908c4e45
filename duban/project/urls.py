"""URL map: pages, the admin, the API and its schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from duban.org import account_views, twofactor
from duban.org.forms import LoginForm
from duban.project import views as core_views

admin.site.site_header = "督办 duban"
admin.site.site_title = "督办 duban"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/password/", account_views.password_change, name="password_change"),
    path("accounts/2fa/", twofactor.two_factor, name="two_factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("duban.project.api_urls")),
    path("documents/", include("duban.documents.urls")),
    path("taskbook/", include("duban.plans.import_urls")),
    path("", include("duban.plans.urls")),
    path("", include("duban.supervision.desk_urls")),
    path("manage/", include("duban.org.urls")),
    path("assessment/", include("duban.assessment.urls")),
    path("projects/", include("duban.projects.urls")),
    path("instructions/", include("duban.instructions.urls")),
    path("indicators/", include("duban.indicators.urls")),
    path("", include("duban.battlemap.urls")),
    path("", include("duban.supervision.urls")),
    path("", include("duban.bulletins.urls")),
]
# Uploads (MEDIA_ROOT) have no URL of their own, not even with DEBUG on: every file is
# served by a view that asks duban.plans.access first (evidence, documents, exports).

# A database that does not answer is a 503 and a full disk a 507, each with a sentence.
handler500 = "duban.project.views.server_error"
