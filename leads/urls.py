from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("enquiries/new/", views.enquiry_new, name="enquiry"),
    path("enquiries/vehicle/<int:vehicle_id>/", views.vehicle_enquiry, name="vehicle-enquiry"),
    path("enquiries/contact/", views.contact, name="contact"),
    path("enquiries/form/", views.enquiry_form_partial, name="enquiry_form"),
    path("enquiries/thanks/", views.enquiry_thanks, name="enquiry_thanks"),
    path("enquiries/adf/", views.adf_receive, name="adf_receive"),
    path("staff/leads/", views.inbox, name="inbox"),
    path("staff/leads/clocks/", views.inbox_clocks, name="inbox_clocks"),
    path("staff/leads/bulk-assign/", views.bulk_assign, name="bulk_assign"),
    path("staff/leads/availability/", views.availability, name="availability"),
    path("staff/leads/pipeline/", views.pipeline, name="pipeline"),
    path("staff/leads/<int:pk>/move/", views.pipeline_move, name="pipeline_move"),
    path("staff/leads/tasks/", views.task_list, name="tasks"),
    path("staff/leads/tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("staff/leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("staff/leads/<int:pk>/activity/", views.lead_activity, name="lead_activity"),
    path("staff/leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("staff/leads/<int:pk>/assign/", views.lead_reassign, name="lead_assign"),
    path("staff/leads/<int:pk>/hand-back/", views.lead_hand_back_view, name="lead_hand_back"),
    path("staff/leads/<int:pk>/transfer/", views.lead_transfer_request, name="lead_transfer"),
    path("staff/leads/transfers/", views.transfer_list, name="transfers"),
    path(
        "staff/leads/transfers/<int:pk>/approve/", views.transfer_approve, name="transfer_approve"
    ),
    path("staff/leads/transfers/<int:pk>/refuse/", views.transfer_refuse, name="transfer_refuse"),
    path("staff/leads/<int:pk>/task/", views.lead_task, name="lead_task"),
    path("staff/leads/<int:pk>/cadence/pause/", views.lead_cadence_pause, name="cadence_pause"),
    path("staff/leads/<int:pk>/cadence/resume/", views.lead_cadence_resume, name="cadence_resume"),
    path("staff/leads/<int:pk>/cadence/stop/", views.lead_cadence_stop, name="cadence_stop"),
    path("staff/customers/duplicates/", views.duplicates, name="duplicates"),
    path("staff/customers/merge/", views.merge, name="merge"),
    path("staff/customers/<int:pk>/", views.customer_detail, name="customer_detail"),
]
