from django.urls import path

from . import views

app_name = "testdrives"

urlpatterns = [
    path("test-drives/", views.choose, name="choose"),
    path("test-drives/book/<int:vehicle_id>/", views.book, name="book"),
    path("test-drives/manage/<str:token>/", views.manage, name="manage"),
    path("test-drives/manage/<str:token>/reschedule/", views.reschedule, name="reschedule"),
    path("test-drives/manage/<str:token>/cancel/", views.cancel, name="cancel"),
    path("staff/test-drives/", views.calendar, name="calendar"),
    path("staff/test-drives/new/", views.staff_book, name="staff_book"),
    path("staff/test-drives/block/", views.block, name="block"),
    path("staff/test-drives/<int:pk>/", views.booking_detail, name="detail"),
    path("staff/test-drives/<int:pk>/status/", views.booking_status, name="status"),
    path("staff/test-drives/<int:pk>/complete/", views.booking_complete_view, name="complete"),
    path("staff/test-drives/<int:pk>/assign/", views.booking_assign_view, name="assign"),
    path(
        "staff/test-drives/<int:pk>/reschedule/",
        views.booking_reschedule_view,
        name="staff_reschedule",
    ),
]
