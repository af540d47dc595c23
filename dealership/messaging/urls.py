from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("staff/outbox/", views.outbox, name="outbox"),
    path("staff/outbox/<int:pk>/cancel/", views.outbox_cancel, name="outbox-cancel"),
    path("messages/preferences/<str:token>/", views.preferences, name="preferences"),
    path(
        "messages/unsubscribe/<str:token>/",
        views.unsubscribe_one_click,
        name="unsubscribe-one-click",
    ),
    path("messages/sms/inbound/", views.sms_inbound, name="sms-inbound"),
    path("messages/sms/receipts/", views.sms_receipt, name="sms-receipt"),
]
