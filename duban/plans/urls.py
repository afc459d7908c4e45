"""URLs of the task page and the actions posted from it."""

from django.urls import path

from duban.plans import plan_views, views

urlpatterns = [
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/cascade/", plan_views.plan_cascade, name="plan-cascade"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task-edit"),
    path("tasks/<int:pk>/assign/", views.task_assign, name="task-assign"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task-cancel"),
    path("tasks/<int:pk>/milestones/", views.task_milestones, name="task-milestones"),
    path("tasks/<int:pk>/reporting/", views.task_reporting, name="task-reporting"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task-comment"),
    path("tasks/<int:pk>/subtask/", views.task_subtask, name="task-subtask"),
    path("milestones/<int:pk>/done/", views.milestone_done, name="milestone-done"),
    path("tasks/<int:pk>/closure/", views.task_closure, name="task-closure"),
    path("tasks/<int:pk>/notice/", views.task_notice, name="task-notice"),
    path("closures/<int:pk>/decide/", views.closure_decide, name="closure-decide"),
    path("notices/<int:pk>/reply/", views.notice_reply, name="notice-reply"),
]
