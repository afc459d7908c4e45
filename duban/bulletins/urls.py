from django.urls import path

from duban.bulletins import views

urlpatterns = [
    path("bulletins/", views.bulletin_list, name="bulletins"),
    path("bulletins/generate/", views.bulletin_generate, name="bulletin-generate"),
    path("bulletins/<int:pk>/publish/", views.bulletin_publish, name="bulletin-publish"),
    path(
        "bulletins/<int:pk>/file.<str:fmt>",
        views.bulletin_file,
        name="bulletin-file",
    ),
    path(
        "notices/<int:pk>/document.<str:fmt>",
        views.notice_document,
        name="notice-document",
    ),
]
