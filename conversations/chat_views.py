"""Live chat over HTTP: the visitor's widget (JSON) and the staff chat pages.

Every write is a POST through a form (CSRF, rate limits); the WebSockets only push events
(conversations/consumers.py). Bad input answers 400 with the form's messages as JSON, too
many requests 429, a chat that is not the visitor's 404.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.location_cache import location_list_public_cached
from dealership.accounts.models import Location
from dealership.accounts.public_forms import PublicFormView, RateLimit
from dealership.accounts.ratelimit import rate_limit_hit, rate_limited
from inventory.selectors import vehicle_list_public

from . import chat, visitor
from .forms import (
    ChatDetailsForm,
    ChatMessageForm,
    ChatReplyForm,
    ChatStartForm,
    ChatTranscriptForm,
)

logger = logging.getLogger(__name__)


def _errors(form_or_error, status: int = 400) -> JsonResponse:
    if isinstance(form_or_error, ValidationError):
        if hasattr(form_or_error, "error_dict"):
            errors = {
                k: [str(m) for e in v for m in e.messages]
                for k, v in form_or_error.error_dict.items()
            }
        else:
            errors = {"__all__": [str(m) for m in form_or_error.messages]}
    else:
        errors = {k: [str(m) for m in v] for k, v in form_or_error.errors.items()}
    return JsonResponse({"errors": errors}, status=status)


def _too_many() -> JsonResponse:
    message = _("You are sending messages very fast. Please wait a minute and try again.")
    return JsonResponse({"errors": {"__all__": [message]}}, status=429)


def _visitor_session(request):
    return chat.chat_for_visitor(token=visitor.token_from_request(request))


# --- The visitor ----------------------------------------------------------------------------


@require_GET
def visitor_state(request):
    """The visitor's chat as JSON (none without a valid cookie)."""
    session = _visitor_session(request)
    response = JsonResponse(chat.chat_state(session=session))
    if session is None and visitor.HINT_COOKIE in request.COOKIES:
        visitor.clear_cookie(response)
    return response


class ChatStartView(PublicFormView):
    """The visitor's first message: JSON in, JSON out (201 and the chat's cookie)."""

    http_method_names = ["post"]
    form_class = ChatStartForm
    rate_limit = RateLimit("chat-start", "CHAT_START_RATE_LIMIT", "CHAT_START_RATE_PERIOD")
    log_name = "chat"

    def get_form_kwargs(self):
        pks = [loc.pk for loc in location_list_public_cached()]
        return {"locations": Location.objects.filter(pk__in=pks)}

    def form_limited(self, form):
        return _too_many()

    def form_spam(self, form):
        return JsonResponse({"status": "none", "lines": []})

    def form_invalid(self, form, **_context):
        return _errors(form)

    def service_error(self, form, error):
        return _errors(error)

    def submit(self, form):
        data = form.service_data()
        vehicle = None
        if data["vehicle"]:
            vehicle = (
                vehicle_list_public().select_related("location").filter(pk=data["vehicle"]).first()
            )
        location = vehicle.location if vehicle is not None else data["location"]
        if location is None:
            raise ValidationError({"location": _("Choose a location.")})
        session = chat.chat_start(
            location=location, body=data["body"], vehicle=vehicle, language=self.language
        )
        response = JsonResponse(chat.chat_state(session=session), status=201)
        visitor.set_cookie(response, session.visitor_token)
        return response


visitor_start = ChatStartView.as_view()


def _visitor_limited(request, session) -> bool:
    per_visitor = rate_limit_hit(
        scope="chat-message",
        key=session.visitor_token,
        limit=settings.CHAT_MESSAGE_RATE_LIMIT,
        period=60,
    )
    per_address = rate_limited(
        request, scope="chat-message-ip", limit=settings.CHAT_MESSAGE_RATE_LIMIT * 3, period=60
    )
    return per_visitor or per_address


def _no_chat() -> JsonResponse:
    message = _("There is no chat to continue. Start a new one.")
    return JsonResponse({"errors": {"__all__": [message]}}, status=404)


@require_POST
def visitor_say(request):
    session = _visitor_session(request)
    if session is None:
        return _no_chat()
    form = ChatMessageForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    if _visitor_limited(request, session):
        return _too_many()
    try:
        message = chat.chat_visitor_say(session=session, body=form.cleaned_data["body"])
    except ValidationError as error:
        return _errors(error)
    return JsonResponse(chat.line_event(message), status=201)


@require_POST
def visitor_details(request):
    session = _visitor_session(request)
    if session is None:
        return _no_chat()
    form = ChatDetailsForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    if _visitor_limited(request, session):
        return _too_many()
    data = form.cleaned_data
    try:
        chat.chat_leave_details(
            session=session, first_name=data["first_name"], email=data["email"], phone=data["phone"]
        )
    except ValidationError as error:
        return _errors(error)
    session.refresh_from_db()
    return JsonResponse(chat.chat_state(session=session))


@require_POST
def visitor_transcript(request):
    session = _visitor_session(request)
    if session is None:
        return _no_chat()
    form = ChatTranscriptForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    if rate_limited(request, scope="chat-transcript", limit=5, period=600):
        return _too_many()
    try:
        chat.chat_transcript_send(session=session, email=form.cleaned_data["email"])
    except ValidationError as error:
        return _errors(error)
    return JsonResponse({"sent": True, "message": _("The transcript is on its way.")})


# --- Staff ----------------------------------------------------------------------------------


@staff_required
@require_GET
def board(request):
    context = {"board": chat.chat_board_for_user(user=request.user)}
    if request.GET.get("partial"):
        return render(request, "conversations/partials/chat_board.html", context)
    return render(request, "conversations/chats.html", context)


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


@staff_required
@require_GET
def detail(request, pk):
    session = chat.chat_for_user(user=request.user, pk=pk)
    return render(
        request,
        "conversations/chat_detail.html",
        {
            "session": session,
            "lines": chat.chat_lines(session=session),
            "form": ChatReplyForm(),
            "may_answer": session.accepted_by_id == request.user.pk
            and session.status == session.Status.ACTIVE,
        },
    )


@staff_required
@require_POST
def accept(request, pk):
    session = chat.chat_for_user(user=request.user, pk=pk)
    try:
        chat.chat_accept(session=session, by=request.user)
    except chat.ChatTaken as taken:
        owner = chat.staff_name(taken.session.accepted_by)
        if owner:
            text = _("Taken by %(name)s.") % {"name": owner}
        else:
            text = _("This chat is no longer waiting.")
        if _wants_json(request):
            return JsonResponse({"errors": {"__all__": [text]}}, status=409)
        messages.warning(request, text)
        return redirect("conversations:chats")
    if _wants_json(request):
        return JsonResponse({"accepted": True})
    return redirect("conversations:chat", pk=session.pk)


@staff_required
@require_POST
def reply(request, pk):
    session = chat.chat_for_user(user=request.user, pk=pk)
    form = ChatReplyForm(request.POST)
    if not form.is_valid():
        if _wants_json(request):
            return _errors(form)
        messages.error(request, _("Write a message."))
        return redirect("conversations:chat", pk=session.pk)
    try:
        message = chat.chat_staff_say(
            session=session, by=request.user, body=form.cleaned_data["body"]
        )
    except PermissionDenied as error:
        if _wants_json(request):
            return JsonResponse({"errors": {"__all__": [str(error)]}}, status=403)
        raise
    if _wants_json(request):
        return JsonResponse(chat.line_event(message), status=201)
    return redirect("conversations:chat", pk=session.pk)


@staff_required
@require_POST
def close(request, pk):
    session = chat.chat_for_user(user=request.user, pk=pk)
    chat.chat_close(session=session, by=request.user)
    messages.success(request, _("The chat has ended."))
    return redirect("conversations:chats")
