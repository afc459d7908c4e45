"""URLs of the indicator pages (对标对表), mounted at /indicators/."""

from django.urls import path

from duban.indicators import views

urlpatterns = [
    path("", views.indicator_table, name="indicators"),
    path("generate/", views.generate, name="indicators-generate"),
    path("export.xlsx", views.export, name="indicators-export"),
    path("<int:pk>/", views.indicator_detail, name="indicator"),
]
