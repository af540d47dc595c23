from django.urls import path

from . import views

app_name = "aftersales"

urlpatterns = [
    path("service/book/<str:token>/", views.book, name="book"),
    path("service/appointment/<str:token>/", views.appointment, name="appointment"),
    path("service/book/", views.book_website, name="book_website"),
    path("service/vehicles/add/<str:token>/", views.vehicle_add, name="vehicle_add"),
    path("service/complaints/new/", views.complaint_new, name="complaint_new"),
    path("service/complaints/thanks/", views.complaint_thanks, name="complaint_thanks"),
    path("staff/service/", views.workshop, name="workshop"),
    path("staff/service/appointments/new/", views.appointment_new, name="appointment_new"),
    path(
        "staff/service/appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"
    ),
    path("staff/service/appointments/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("staff/service/appointments/<int:pk>/complete/", views.complete, name="complete"),
    path("staff/service/recalls/", views.recall_report, name="recall_report"),
    path("staff/service/recalls/import/", views.recall_import, name="recall_import"),
    path("staff/service/vehicles/new/", views.vehicle_new, name="vehicle_new"),
    path("staff/service/complaints/new/", views.complaint_log, name="complaint_log"),
    path("staff/service/complaints/", views.complaint_list, name="complaints"),
    path("staff/service/complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
]
