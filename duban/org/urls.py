"""URLs of the office's manage pages (mounted under /manage/)."""

from django.urls import path

from duban.org import views

urlpatterns = [
    path("", views.manage, name="manage"),
    path("units/add/", views.unit_edit, name="manage-unit-add"),
    path("units/<int:pk>/", views.unit_edit, name="manage-unit-edit"),
    path("users/", views.users, name="manage-users"),
    path("users/add/", views.user_create, name="manage-user-add"),
    path("users/<int:pk>/", views.user_detail, name="manage-user"),
    path("users/<int:pk>/roles/add/", views.role_add, name="manage-role-add"),
    path(
        "users/<int:pk>/roles/<int:membership_id>/remove/",
        views.role_remove,
        name="manage-role-remove",
    ),
    path("users/<int:pk>/password/", views.password_reset, name="manage-password"),
    path("users/<int:pk>/unlock/", views.unlock, name="manage-unlock"),
    path("users/<int:pk>/2fa/reset/", views.two_factor_reset, name="manage-2fa-reset"),
    path("calendar/", views.calendar, name="manage-calendar"),
    path("calendar/notice/", views.calendar_notice, name="manage-calendar-notice"),
    path("calendar/<int:pk>/delete/", views.calendar_delete, name="manage-calendar-delete"),
    path("settings/", views.thresholds, name="manage-settings"),
]
