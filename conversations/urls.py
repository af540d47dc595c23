from django.urls import path

from . import views, views_email

app_name = "conversations"

urlpatterns = [
    path("staff/conversations/", views.conversation_list, name="list"),
    path("staff/conversations/unread/", views.unread_count, name="unread-count"),
    path("staff/conversations/<int:customer_pk>/", views.thread, name="thread"),
    path(
        "staff/conversations/<int:customer_pk>/fragment/",
        views.thread_fragment,
        name="thread-fragment",
    ),
    path("staff/conversations/<int:customer_pk>/send/", views.send, name="send"),
    path("staff/conversations/<int:customer_pk>/read/", views.mark_read, name="mark-read"),
    path(
        "staff/conversations/attachments/<int:pk>/",
        views_email.attachment_download,
        name="attachment",
    ),
    path("messages/email/inbound/", views_email.email_inbound, name="email-inbound"),
]
