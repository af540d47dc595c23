from django.urls import path

from . import chat_views, views, views_email

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
    # Live chat: the visitor's widget (JSON), the staff chat pages
    path("chat/", chat_views.visitor_state, name="chat-state"),
    path("chat/start/", chat_views.visitor_start, name="chat-start"),
    path("chat/send/", chat_views.visitor_say, name="chat-send"),
    path("chat/details/", chat_views.visitor_details, name="chat-details"),
    path("chat/transcript/", chat_views.visitor_transcript, name="chat-transcript"),
    path("staff/chats/", chat_views.board, name="chats"),
    path("staff/chats/<int:pk>/", chat_views.detail, name="chat"),
    path("staff/chats/<int:pk>/accept/", chat_views.accept, name="chat-accept"),
    path("staff/chats/<int:pk>/send/", chat_views.reply, name="chat-reply"),
    path("staff/chats/<int:pk>/close/", chat_views.close, name="chat-close"),
]
