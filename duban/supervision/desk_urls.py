"""URLs of the unit desk (我的任务) and the office desk (督查台)."""

from django.urls import path

from duban.supervision import desk

urlpatterns = [
    path("desk/", desk.desk, name="desk"),
    path("desk/report/<int:task_id>/", desk.report_form, name="desk-report"),
    path("desk/approve/<int:report_id>/", desk.approve, name="desk-approve"),
    # Report sheets (报送表) and calendar links on the unit desk.
    path("desk/sheet/<int:unit_id>/", desk.report_sheet, name="desk-report-sheet"),
    path(
        "desk/sheet/<int:unit_id>/confirm/",
        desk.report_sheet_confirm,
        name="desk-report-sheet-confirm",
    ),
    path("desk/feed/", desk.calendar_link, name="desk-feed"),
    path("office/", desk.office_desk, name="office-desk"),
    path("office/review/<int:report_id>/", desk.review, name="office-review"),
    path("office/chase/", desk.chase_now, name="office-chase"),
    path("office/recompute/", desk.recompute_now, name="office-recompute"),
    path("office/notice/", desk.issue, name="office-notice"),
]
