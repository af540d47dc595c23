"""The thread (page and fragment for the lead and customer pages), the composer, the list."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealership.accounts.access import staff_required

from . import selectors, services
from .forms import ComposerForm, ListFilterForm
from .sms import MAX_SEGMENTS


def _thread_context(request, customer, form=None) -> dict:
    thread = selectors.thread_for_customer(customer=customer)
    channels = selectors.composer_channels(customer=customer, suppressed=thread.suppressed)
    available = [c.channel for c in channels if c.available]
    templates = selectors.reply_templates()
    if form is None:
        initial = {"channel": request.GET.get("channel") or (available[0] if available else "")}
        chosen = _chosen_template(request, templates)
        if chosen is not None:
            initial["body"] = services.reply_template_render(
                template=chosen, customer=customer, by=request.user
            )
            initial["channel"] = (
                chosen.channel if chosen.channel in available else initial["channel"]
            )
        form = ComposerForm(initial=initial)
    return {
        "customer": customer,
        "location": customer.location,
        "entries": thread.entries,
        "has_unread": thread.has_unread,
        "channels": channels,
        "any_available": bool(available),
        "form": form,
        "reply_templates": templates,
        "max_segments": MAX_SEGMENTS,
        "now": timezone.now(),
    }


def _chosen_template(request, templates):
    wanted = request.GET.get("template", "")
    return next((t for t in templates if str(t.pk) == wanted), None)


@staff_required
@require_GET
def thread(request, customer_pk):
    customer = selectors.customer_for_user(user=request.user, pk=customer_pk)
    return render(request, "conversations/thread.html", _thread_context(request, customer))


@staff_required
@require_GET
def thread_fragment(request, customer_pk):
    """The thread and composer, loaded into the lead and customer pages (htmx)."""
    customer = selectors.customer_for_user(user=request.user, pk=customer_pk)
    context = _thread_context(request, customer)
    context["next"] = _safe_next(request, request.headers.get("HX-Current-URL", ""))
    return render(request, "conversations/partials/thread.html", context)


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@staff_required
@require_POST
def send(request, customer_pk):
    customer = selectors.customer_for_user(user=request.user, pk=customer_pk)
    form = ComposerForm(request.POST)
    if form.is_valid():
        try:
            services.message_send(
                customer=customer,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
                by=request.user,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Message queued for %(name)s.") % {"name": customer})
            target = _safe_next(request, request.POST.get("next", ""))
            return redirect(
                target or reverse("conversations:thread", kwargs={"customer_pk": customer.pk})
            )
    return render(
        request, "conversations/thread.html", _thread_context(request, customer, form), status=400
    )


@staff_required
@require_POST
def mark_read(request, customer_pk):
    """The customer's messages are read: posted by the thread as soon as it is shown (htmx),
    or with its button without JavaScript. A GET changes nothing (link prefetchers)."""
    customer = selectors.customer_for_user(user=request.user, pk=customer_pk)
    services.messages_mark_read(customer=customer)
    if request.htmx:
        return HttpResponse(status=204)
    return redirect("conversations:thread", customer_pk=customer.pk)


LIST_PAGE_SIZE = 50


@dataclass
class ListPage:
    """A page of the conversations list without a COUNT over the whole scope: one row more
    than a page is fetched to know whether there is a next one."""

    object_list: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _page_number(value) -> int:
    try:
        return max(1, min(int(value), 10_000))
    except (TypeError, ValueError):
        return 1


@staff_required
@require_GET
def conversation_list(request):
    form = ListFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    scope = filters.get("scope") or "mine"
    number = _page_number(request.GET.get("page"))
    start = (number - 1) * LIST_PAGE_SIZE
    rows = list(
        selectors.conversation_list_for_user(
            user=request.user, scope=scope, channel=filters.get("channel") or ""
        )[start : start + LIST_PAGE_SIZE + 1]
    )
    page = ListPage(rows[:LIST_PAGE_SIZE], number, len(rows) > LIST_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "conversations/list.html",
        {"form": form, "page": page, "scope": scope, "query": query.urlencode()},
    )


@staff_required
@require_GET
def unread_count(request):
    """The navigation's badge (loaded by htmx, so other pages pay no query for it)."""
    count = selectors.unread_count_for_user(user=request.user)
    return render(request, "conversations/partials/unread_count.html", {"count": count})
