import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dealership.accounts.access import staff_required
from dealership.accounts.ratelimit import rate_limit_hit
from dealership.accounts.roles import MANAGER_ROLES
from dealership.accounts.selectors import location_list_for_user

from . import builder as b
from . import selectors, services
from .audience import audience_summary
from .conditions import validate_tree
from .forms import CampaignForm, GroupMessageForm, SegmentMetaForm, message_forms
from .links import click_token_recipient_id
from .models import Campaign
from .results import campaign_results

manager_required = staff_required(roles=MANAGER_ROLES)


# --- Segments ------------------------------------------------------------------------------


@manager_required
@require_GET
def segment_list(request):
    segments = list(selectors.segment_list_for_user(user=request.user))
    return render(request, "campaigns/segment_list.html", {"segments": segments})


def _builder_context(request, builder, *, segment=None, meta=None, errors=()):
    return {
        "builder": builder,
        "segment": segment,
        "meta": meta,
        "tree_errors": list(errors),
    }


@manager_required
@require_http_methods(["GET", "POST"])
def segment_edit(request, pk=None):
    segment = selectors.segment_for_user(user=request.user, pk=pk) if pk else None
    locations = location_list_for_user(user=request.user)
    if request.method == "GET":
        builder = b.from_tree(segment.conditions if segment else {})
        meta = SegmentMetaForm(
            locations=locations,
            initial={"name": segment.display_name, "location": segment.location}
            if segment
            else None,
        )
        return render(
            request,
            "campaigns/segment_edit.html",
            _builder_context(request, builder, segment=segment, meta=meta),
        )
    builder = b.from_post(request.POST)
    meta = SegmentMetaForm(request.POST, locations=locations)
    action = request.POST.get("action", "save")
    if action != "save":
        b.apply_action(builder, action)
        return render(
            request,
            "campaigns/segment_edit.html",
            _builder_context(request, builder, segment=segment, meta=meta),
        )
    rows_ok = builder.check_rows()
    errors = []
    if meta.is_valid() and rows_ok:
        try:
            segment = services.segment_save(
                user=request.user,
                segment=segment,
                name=meta.cleaned_data["name"],
                location=meta.cleaned_data["location"],
                conditions=builder.tree(),
            )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Segment saved."))
            return redirect(segment.get_absolute_url())
    elif not rows_ok:
        errors = [_("Correct the conditions marked below.")]
    context = _builder_context(request, builder, segment=segment, meta=meta, errors=errors)
    return render(request, "campaigns/segment_edit.html", context, status=400)


@manager_required
@require_POST
def segment_builder(request):
    """htmx: the builder re-rendered after a change (add, remove, another condition type)."""
    builder = b.from_post(request.POST)
    b.apply_action(builder, request.POST.get("action", ""))
    response = render(request, "campaigns/partials/builder.html", {"builder": builder})
    response["HX-Trigger"] = "segment-changed"
    return response


@manager_required
@require_POST
def segment_count(request):
    """htmx: the live count of the conditions being edited (debounced on the page)."""
    builder = b.from_post(request.POST)
    location_id = request.POST.get("location") or None
    allowed = {
        str(pk) for pk in location_list_for_user(user=request.user).values_list("pk", flat=True)
    }
    if location_id and location_id not in allowed:
        return HttpResponse(_("Unknown location."), status=400)
    try:
        tree = validate_tree(builder.tree())
    except ValidationError as exc:
        return render(request, "campaigns/partials/count.html", {"errors": exc.messages})
    count = selectors.segment_count(conditions=tree, location_id=location_id, user=request.user)
    return render(request, "campaigns/partials/count.html", {"count": count})


@manager_required
@require_GET
def segment_preview(request, pk):
    segment = selectors.segment_for_user(user=request.user, pk=pk)
    kwargs = {
        "conditions": segment.conditions,
        "location_id": segment.location_id,
        "user": request.user,
    }
    context = {
        "segment": segment,
        "count": selectors.segment_count(**kwargs),
        "customers": selectors.segment_preview(**kwargs),
    }
    return render(request, "campaigns/segment_preview.html", context)


class _Echo:
    def write(self, value):
        return value


@manager_required
@require_GET
def segment_export(request, pk):
    """The segment's customers as CSV; every export is in the audit trail."""
    segment = selectors.segment_for_user(user=request.user, pk=pk)
    qs = selectors.segment_customers(
        conditions=segment.conditions, location_id=segment.location_id, user=request.user
    ).select_related("location")
    with transaction.atomic():
        services.segment_export_audit(user=request.user, segment=segment, rows=qs.count())
    writer = csv.writer(_Echo())
    header = [
        _("Customer number"),
        _("First name"),
        _("Last name"),
        _("Email"),
        _("Mobile phone"),
        _("Location"),
        _("Preferred channel"),
        _("Language"),
    ]

    def lines():
        yield writer.writerow(header)
        for c in qs.order_by("pk").iterator(chunk_size=1000):
            yield writer.writerow(
                [
                    c.pk,
                    c.first_name,
                    c.last_name,
                    c.email,
                    c.mobile_phone,
                    c.location.name,
                    c.preferred_channel,
                    c.language,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}.csv"'
    return response


# --- Campaigns -----------------------------------------------------------------------------


@manager_required
@require_GET
def campaign_list(request):
    campaigns = list(selectors.campaign_list_for_user(user=request.user)[:200])
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns})


@manager_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk=None):
    campaign = selectors.campaign_for_user(user=request.user, pk=pk) if pk else None
    if campaign is not None and not campaign.is_editable:
        messages.error(request, _("Only a draft campaign can be changed."))
        return redirect(campaign.get_absolute_url())
    segments = selectors.segment_list_for_user(user=request.user)
    initial = {"segment": request.GET.get("segment")} if campaign is None else None
    form = CampaignForm(request.POST or None, instance=campaign, segments=segments, initial=initial)
    texts = message_forms(campaign, request.POST or None)
    if request.method == "POST":
        if form.is_valid() and all(f.is_valid() for _c, _l, f in texts):
            with transaction.atomic():
                campaign = form.save(commit=False)
                if campaign.pk is None:
                    campaign.created_by = request.user
                campaign.location = campaign.segment.location
                campaign.save()
                for code, _label, text_form in texts:
                    data = text_form.cleaned_data
                    if code and not any(data.get(k) for k in ("subject", "email_body", "sms_body")):
                        campaign.messages.filter(language=code).delete()
                        continue
                    services.campaign_message_save(campaign=campaign, language=code, **data)
            messages.success(request, _("Campaign saved."))
            return redirect(campaign.get_absolute_url())
        status = 400
    else:
        status = 200
    return render(
        request,
        "campaigns/campaign_edit.html",
        {"form": form, "texts": texts, "campaign": campaign},
        status=status,
    )


@manager_required
@require_GET
def campaign_detail(request, pk):
    campaign = selectors.campaign_for_user(user=request.user, pk=pk)
    context = {"campaign": campaign, "progress": selectors.campaign_progress(campaign=campaign)}
    if campaign.status == Campaign.Status.DRAFT:
        context["summary"] = audience_summary(
            services.campaign_audience(campaign), campaign=campaign, now=timezone.now()
        )
        context["problems"] = services.campaign_texts_check(campaign, list(campaign.messages.all()))
    else:
        context["results"] = campaign_results(campaign=campaign)
    return render(request, "campaigns/campaign_detail.html", context)


@manager_required
@require_GET
def campaign_progress(request, pk):
    campaign = selectors.campaign_for_user(user=request.user, pk=pk)
    context = {"campaign": campaign, "progress": selectors.campaign_progress(campaign=campaign)}
    return render(request, "campaigns/partials/progress.html", context)


ACTIONS = {"test", "launch", "pause", "resume", "cancel"}


@manager_required
@require_POST
def campaign_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    campaign = selectors.campaign_for_user(user=request.user, pk=pk)
    try:
        if action == "test":
            if rate_limit_hit(
                scope="campaign-test", key=str(request.user.pk), limit=10, period=3600
            ):
                return HttpResponse(_("Too many test messages; try again later."), status=429)
            services.campaign_test_send(campaign=campaign, user=request.user)
            messages.success(
                request, _("A test is on its way to %(email)s.") % {"email": request.user.email}
            )
        elif action == "launch":
            services.campaign_launch(campaign=campaign, user=request.user)
            messages.success(request, _("The campaign is launched."))
        else:
            services.campaign_transition(campaign=campaign, user=request.user, action=action)
            messages.success(request, _("Done."))
    except ValidationError as exc:
        context = {"campaign": campaign, "errors": exc.messages}
        return render(request, "campaigns/action_refused.html", context, status=400)
    return redirect(campaign.get_absolute_url())


# --- Group messages ------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def group_message(request):
    """A consultant picks up to 50 customers of a segment's preview and writes to them."""
    segments = selectors.segment_list_for_user(user=request.user)
    segment_id = request.POST.get("segment") or request.GET.get("segment")
    segment = segments.filter(pk=segment_id).first() if str(segment_id or "").isdigit() else None
    customers = []
    if segment is not None:
        customers = selectors.segment_preview(
            conditions=segment.conditions, location_id=segment.location_id, user=request.user
        )
    form = GroupMessageForm(
        request.POST if request.method == "POST" else None,
        segments=segments,
        customers=customers,
        initial={"segment": segment, "channel": "email"},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                campaign = services.group_message_send(
                    user=request.user,
                    customer_ids=data["customers"],
                    channel=data["channel"],
                    subject=data["subject"],
                    email_body=data["email_body"],
                    sms_body=data["sms_body"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Your message is on its way to the customers who agreed to hear from us."),
                )
                return redirect(f"{request.path}?sent={campaign.pk}")
        status = 400
    context = {
        "form": form,
        "segment": segment,
        "customers": customers,
        "max": settings.CAMPAIGNS_GROUP_MESSAGE_MAX,
    }
    return render(request, "campaigns/group_message.html", context, status=status)


# --- The click link ------------------------------------------------------------------------


@require_GET
def click(request, token):
    recipient_id = click_token_recipient_id(token)
    target = services.recipient_click(recipient_id=recipient_id) if recipient_id else None
    if target is None:
        raise Http404
    return HttpResponseRedirect(target)


# --- Upgrade opportunities --------------------------------------------------------------


@staff_required
@require_GET
def customer_upgrade(request, customer_pk):
    """The customer page's upgrade opportunity (htmx fragment; empty when there is none)."""
    opportunity = selectors.upgrade_opportunity_for_customer(user=request.user, pk=customer_pk)
    return render(request, "campaigns/partials/customer_upgrade.html", {"opportunity": opportunity})
