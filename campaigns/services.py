"""Writes: segments, campaigns (test send, launch, pause, resume, cancel), the dispatch in
batches through the outbox, clicks and consultants' group messages.

Dispatch (what can be relied on): each batch is one transaction holding the campaign row
(SELECT … FOR UPDATE), so pause and cancel wait for the batch in flight and take effect
before the next. Recipients are materialised first (in customer-id order, the cursor saved
with them; unique per campaign × customer × channel, inserted with ON CONFLICT DO NOTHING),
then handed to the outbox with the dedupe key "camp:<campaign>:<customer>:<channel>". A worker
killed halfway rolls its batch back; a second run, or a redelivered task, finds the rows
already queued (or the outbox's row by its dedupe key) and sends nothing twice.
"""

import contextlib
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import OwnedVehicle
from dealership.accounts.models import Location, User
from dealership.accounts.services import audit_record
from dealership.messaging.models import OutboxMessage, Purpose
from dealership.messaging.services import (
    message_enqueue,
    messages_cancel,
    messages_enqueue_many,
)
from inventory.models import Vehicle
from inventory.pricing import price_breakdown
from inventory.templatetags.inventory import money
from leads.models import Customer, Lead
from leads.selectors import customer_list_for_user

from . import selectors
from .audience import classify
from .conditions import condition_count, validate_tree
from .links import clean_link_path, click_url
from .merge import merge, unknown_fields
from .models import Campaign, CampaignMessage, Recipient, Segment

Status = Campaign.Status
TEMPLATE_KEY = "campaigns.campaign"


# --- Segments ------------------------------------------------------------------------------


def segment_save(
    *,
    user: User,
    name: str,
    conditions: dict,
    location: Location | None = None,
    segment: Segment | None = None,
) -> Segment:
    """Create or update a segment from a condition tree; ValidationError for a bad tree."""
    cleaned = validate_tree(conditions)
    if not condition_count(cleaned):
        raise ValidationError(_("Add at least one condition."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the segment a name."))
    segment = segment or Segment(created_by=user)
    segment.name = name[:120]
    segment.location = location
    segment.conditions = cleaned
    segment.full_clean(exclude=["created_by", "location"])
    segment.save()
    return segment


def segment_export_audit(*, user: User, segment: Segment, rows: int) -> None:
    audit_record(actor=user, action="export", obj=segment, changes={"format": "csv", "rows": rows})


# --- Campaign texts ------------------------------------------------------------------------


def campaign_texts_check(campaign: Campaign, messages: list[CampaignMessage]) -> list[str]:
    """What stops the campaign from being sent: missing texts, unknown merge fields."""
    problems = []
    default = next((m for m in messages if not m.language), None)
    channels = {"email", "sms"} if campaign.channel in ("both", "preferred") else {campaign.channel}
    if default is None:
        problems.append(_("Write the text for every language (the default text)."))
    else:
        if "email" in channels and not (default.subject.strip() and default.email_body.strip()):
            problems.append(_("The email needs a subject and a text."))
        if "sms" in channels and not default.sms_body.strip():
            problems.append(_("The SMS needs a text."))
    for message in messages:
        for text in (message.subject, message.email_body, message.sms_body):
            for name in unknown_fields(text):
                problems.append(_("Unknown merge field {%(name)s}.") % {"name": name})
    return sorted(set(problems), key=problems.index)


def campaign_message_save(*, campaign: Campaign, language: str, **texts) -> CampaignMessage:
    if not campaign.is_editable:
        raise ValidationError(_("Only a draft campaign can be changed."))
    message, _created = CampaignMessage.objects.update_or_create(
        campaign=campaign, language=language, defaults=texts
    )
    return message


# --- Rendering -----------------------------------------------------------------------------


class _Context:
    """Per dispatch run: the data merge fields need, fetched once per batch."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign
        self.messages = {m.language: m for m in campaign.messages.all()}
        self.stock: dict[tuple[int, str], Vehicle | None] = {}
        self.offers: dict[tuple[int, str], tuple[str, str]] = {}

    def load(self, customers: list[Customer]) -> None:
        ids = [c.pk for c in customers]
        self.cars = {}
        for car in OwnedVehicle.objects.filter(
            customer_id__in=ids, status=OwnedVehicle.Status.ACTIVE
        ).order_by("customer_id", "-delivered_on", "-id"):
            self.cars.setdefault(car.customer_id, car)
        self.interest = dict(
            Lead.objects.filter(customer_id__in=ids)
            .exclude(make="")
            .order_by("customer_id", "-created_at", "-id")
            .distinct("customer_id")
            .values_list("customer_id", "make")
        )

    def _matching(self, customer: Customer) -> Vehicle | None:
        car = self.cars.get(customer.pk)
        make = self.interest.get(customer.pk) or (car.make if car else "")
        if not make:
            return None
        key = (customer.location_id, make.lower())
        if key not in self.stock:
            self.stock[key] = (
                Vehicle.objects.select_related("location")
                .filter(
                    status=Vehicle.Status.AVAILABLE,
                    location_id=customer.location_id,
                    make__iexact=make,
                )
                .order_by("price", "pk")
                .first()
            )
        return self.stock[key]

    def text(self, language: str) -> CampaignMessage:
        return self.messages.get(language) or self.messages.get("") or CampaignMessage()

    def values(self, customer: Customer | None, recipient_id: int | None) -> dict:
        values = {"booking_link": click_url(recipient_id) if recipient_id else settings.SITE_URL}
        if customer is None:
            return values
        car = self.cars.get(customer.pk)
        vehicle = self._matching(customer)
        values["first_name"] = customer.first_name
        values["their_car"] = car.label if car else ""
        if customer.owner_id:
            values["consultant"] = customer.owner.get_full_name() or ""
        if vehicle is not None:
            values["matching_vehicle"], values["price"] = self._offer(vehicle)
        return values

    def _offer(self, vehicle: Vehicle) -> tuple[str, str]:
        """The matching car's name and all-in price, worked out once per car and language
        (the same few cars match thousands of recipients)."""
        key = (vehicle.pk, translation.get_language())
        if key not in self.offers:
            location = vehicle.location
            breakdown = price_breakdown(
                price=vehicle.price,
                documentation_fee=location.documentation_fee,
                tax_rate=location.sales_tax_rate,
                registration=settings.VEHICLE_REGISTRATION_ESTIMATE,
                currency=settings.CURRENCY,
                tax_included=location.prices_include_tax,
                margin_scheme=vehicle.margin_scheme,
            )
            name = " ".join(
                str(p) for p in (vehicle.model_year, vehicle.make, vehicle.model, vehicle.trim) if p
            )
            self.offers[key] = (name, money(breakdown.total))
        return self.offers[key]

    def render(self, channel: str, language: str, values: dict) -> dict:
        text = self.text(language)
        if channel == "sms":
            return {"subject": "", "body": merge(text.sms_body, values)}
        return {"subject": merge(text.subject, values), "body": merge(text.email_body, values)}


def _language(customer: Customer | None) -> str:
    language = (customer.language if customer else "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# --- Test send, launch, pause, cancel ---------------------------------------------------------


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_test_send(*, campaign: Campaign, user: User) -> list[OutboxMessage]:
    """The campaign as the first customer of its segment would get it, to the manager's own
    email (and mobile number, if the profile has one for an SMS campaign)."""
    if not user.email:
        raise ValidationError(_("Your staff account has no email address for the test."))
    problems = campaign_texts_check(campaign, list(campaign.messages.all()))
    if problems:
        raise ValidationError(problems)
    sample = _audience(campaign).select_related("location", "owner").order_by("pk").first()
    context = _Context(campaign)
    if sample is not None:
        context.load([sample])
    else:
        context.cars, context.interest = {}, {}
    language = _language(sample)
    now = timezone.now()
    sent = []
    with translation.override(language):
        values = context.values(sample, None)
        channels = ["email"]
        phone = getattr(user, "mobile_phone", "") or getattr(user, "phone", "")
        if campaign.channel != "email" and phone:
            channels.append("sms")
        for channel in channels:
            rendered = context.render(channel, language, values)
            if channel == "email" and campaign.channel == Campaign.ChannelChoice.SMS:
                # An SMS campaign's test by email shows the SMS text.
                rendered = context.render("sms", language, values)
                rendered["subject"] = _("[Test] SMS text")
            elif channel == "email":
                rendered["subject"] = _("[Test] %(subject)s") % {"subject": rendered["subject"]}
            sent.append(
                message_enqueue(
                    channel=channel,
                    purpose=Purpose.TRANSACTIONAL,
                    to=user.email if channel == "email" else phone,
                    template_key=TEMPLATE_KEY,
                    context=rendered,
                    dedupe_key=f"camp:{campaign.pk}:test:{user.pk}:{channel}:{now.timestamp()}",
                    location=campaign.location,
                    language=language,
                )
            )
    Campaign.objects.filter(pk=campaign.pk).update(test_sent_at=now)
    campaign.test_sent_at = now
    return sent


def _audience(campaign: Campaign):
    if campaign.kind == Campaign.Kind.GROUP:
        return selectors.customers_base().filter(pk__in=campaign.selected_customer_ids)
    segment = campaign.segment
    # A segment for "all my locations" reaches the locations of the manager who made the
    # campaign, not every location of the dealership.
    return selectors.segment_customers(
        conditions=segment.conditions,
        location_id=segment.location_id,
        user=campaign.created_by if segment.location_id is None else None,
    )


def campaign_audience(campaign: Campaign):
    """The customers the campaign would reach now (before consent and cap)."""
    return _audience(campaign)


def _dispatch_on_commit(campaign_id: int) -> None:
    def wake():
        from kombu.exceptions import OperationalError

        from .tasks import campaign_dispatch_task

        with contextlib.suppress(OperationalError):  # the periodic job picks it up
            campaign_dispatch_task.delay(campaign_id)

    transaction.on_commit(wake)


@transaction.atomic
def campaign_launch(*, campaign: Campaign, user: User) -> Campaign:
    campaign = _lock(campaign)
    if campaign.status != Status.DRAFT:
        raise ValidationError(_("This campaign has been launched already."))
    problems = campaign_texts_check(campaign, list(campaign.messages.all()))
    if problems:
        raise ValidationError(problems)
    if campaign.kind == Campaign.Kind.CAMPAIGN and campaign.test_sent_at is None:
        raise ValidationError(_("Send yourself a test first."))
    if not _audience(campaign).exists():
        raise ValidationError(_("The segment is empty: there is nobody to send to."))
    now = timezone.now()
    campaign.status = Status.SCHEDULED
    campaign.launched_at = now
    campaign.send_at = max(campaign.send_at or now, now)
    campaign.save(update_fields=["status", "launched_at", "send_at"])
    audit_record(
        actor=user, action="update", obj=campaign, changes={"status": ["draft", "scheduled"]}
    )
    _dispatch_on_commit(campaign.pk)
    return campaign


_MOVES = {
    "pause": ({Status.SCHEDULED, Status.SENDING}, Status.PAUSED),
    "resume": ({Status.PAUSED}, Status.SCHEDULED),
    "cancel": ({Status.DRAFT, Status.SCHEDULED, Status.SENDING, Status.PAUSED}, Status.CANCELLED),
}


@transaction.atomic
def campaign_transition(*, campaign: Campaign, user: User, action: str) -> Campaign:
    """Pause, resume or cancel. Waits for the batch being sent (it holds the row)."""
    if action not in _MOVES:
        raise ValidationError(_("Unknown action."))
    allowed, target = _MOVES[action]
    campaign = _lock(campaign)
    if campaign.status not in allowed:
        raise ValidationError(
            _("A campaign that is “%(status)s” can't do that.")
            % {"status": campaign.get_status_display()}
        )
    before = campaign.status
    campaign.status = target
    fields = ["status"]
    if target == Status.CANCELLED:
        campaign.finished_at = timezone.now()
        fields.append("finished_at")
        campaign.recipients.filter(status=Recipient.Status.PENDING).update(
            status=Recipient.Status.CANCELLED
        )
        messages_cancel(dedupe_key_prefix=f"camp:{campaign.pk}:", reason=_("Campaign cancelled"))
    campaign.save(update_fields=fields)
    audit_record(actor=user, action="update", obj=campaign, changes={"status": [before, target]})
    if target == Status.SCHEDULED:
        _dispatch_on_commit(campaign.pk)
    return campaign


# --- Dispatch ------------------------------------------------------------------------------


def campaign_dispatch(
    *, campaign_id: int, batch_size: int | None = None, max_batches: int | None = None
) -> int:
    """Materialise and send the campaign's recipients, one batch per transaction, until it is
    done, paused or cancelled. Returns how many messages it handed to the outbox. Safe to
    run twice and concurrently (the second waits for nothing: it skips a locked campaign)."""
    batch_size = batch_size or settings.CAMPAIGNS_BATCH_SIZE
    queued = 0
    batches = 0
    context = None
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("segment")
                .filter(pk=campaign_id)
                .first()
            )
            if campaign is None:
                break  # another worker holds it (or it is gone)
            now = timezone.now()
            if campaign.status not in (Status.SCHEDULED, Status.SENDING):
                break
            if campaign.send_at and campaign.send_at > now:
                break
            if campaign.status == Status.SCHEDULED:
                campaign.status = Status.SENDING
                campaign.save(update_fields=["status"])
            if not campaign.materialised:
                _materialise(campaign, batch_size, now)
                continue
            context = context or _Context(campaign)
            count = _send_batch(campaign, context, batch_size, now)
            if count == 0:
                campaign.status = Status.SENT
                campaign.finished_at = now
                campaign.save(update_fields=["status", "finished_at"])
                break
            queued += count
    return queued


def _materialise(campaign: Campaign, batch_size: int, now: datetime.datetime) -> None:
    customers = list(
        _audience(campaign)
        .filter(pk__gt=campaign.materialised_through)
        .select_related("location")
        .order_by("pk")[:batch_size]
    )
    Recipient.objects.bulk_create(
        [
            Recipient(
                campaign=campaign,
                customer=d.customer,
                channel=d.channel,
                status=d.status,
                exclusion=d.exclusion,
                is_control=d.is_control,
            )
            for d in classify(customers, campaign=campaign, now=now)
        ],
        ignore_conflicts=True,
    )
    if customers:
        campaign.materialised_through = customers[-1].pk
    campaign.materialised = len(customers) < batch_size
    campaign.save(update_fields=["materialised_through", "materialised"])


def _send_batch(campaign: Campaign, context: _Context, batch_size: int, now) -> int:
    recipients = list(
        Recipient.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "customer__location", "customer__owner")
        .filter(campaign=campaign, status=Recipient.Status.PENDING)
        .order_by("pk")[:batch_size]
    )
    if not recipients:
        return 0
    context.load([r.customer for r in recipients])
    from .audience import address_for

    items = []
    for recipient in recipients:
        customer = recipient.customer
        language = _language(customer)
        with translation.override(language):
            rendered = context.render(
                recipient.channel, language, context.values(customer, recipient.pk)
            )
        items.append(
            {
                "channel": recipient.channel,
                "purpose": Purpose.MARKETING,
                "to": address_for(customer, recipient.channel),
                "template_key": TEMPLATE_KEY,
                "context": rendered,
                "dedupe_key": f"camp:{campaign.pk}:{customer.pk}:{recipient.channel}",
                "location": customer.location,
                "customer_id": customer.pk,
                "language": language,
                "send_after": campaign.send_at,
            }
        )
    # The whole batch in a few queries, in this transaction: a crash rolls all of it back,
    # and a rerun finds the committed rows by their dedupe keys.
    for recipient, result in zip(recipients, messages_enqueue_many(items), strict=True):
        recipient.outbox_message = result.message
        recipient.status = Recipient.Status.QUEUED
        recipient.queued_at = now
    _recipients_queued(recipients, now)
    return len(recipients)


def _recipients_queued(recipients: list[Recipient], now: datetime.datetime) -> None:
    """Mark the batch queued with its outbox rows: one UPDATE … FROM (VALUES …) (bulk_update's
    CASE over every id costs more than the whole outbox insert)."""
    table = connection.ops.quote_name(Recipient._meta.db_table)
    rows = ", ".join(["(%s::bigint, %s::bigint)"] * len(recipients))
    params = [v for r in recipients for v in (r.pk, r.outbox_message_id)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET outbox_message_id = v.message, status = %s, "  # noqa: S608 # nosec B608 - names from the model
            f"queued_at = %s FROM (VALUES {rows}) AS v(id, message) WHERE r.id = v.id",
            [Recipient.Status.QUEUED, now, *params],
        )


def campaigns_dispatch_due() -> int:
    """The periodic job: continue every campaign that is due (a lost task, a resumed one)."""
    due = Campaign.objects.filter(
        status__in=(Status.SCHEDULED, Status.SENDING), send_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(campaign_dispatch(campaign_id=pk) for pk in list(due))


# --- Clicks --------------------------------------------------------------------------------


def recipient_click(*, recipient_id: int) -> str | None:
    """Count the click and return the campaign's target path; None for an unknown recipient."""
    recipient = Recipient.objects.select_related("campaign").filter(pk=recipient_id).first()
    if recipient is None:
        return None
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk).update(
        clicks=F("clicks") + 1, clicked_at=Coalesce(F("clicked_at"), now)
    )
    try:
        return clean_link_path(recipient.campaign.link_path)
    except ValidationError:
        return "/"


# --- Group messages ------------------------------------------------------------------------


@transaction.atomic
def group_message_send(
    *,
    user: User,
    customer_ids: list[int],
    channel: str,
    subject: str = "",
    email_body: str = "",
    sms_body: str = "",
) -> Campaign:
    """A consultant's message to up to CAMPAIGNS_GROUP_MESSAGE_MAX customers they may see,
    under the campaigns' rules (consent, suppression, cap), sent at once."""
    limit = settings.CAMPAIGNS_GROUP_MESSAGE_MAX
    ids = sorted({int(pk) for pk in customer_ids})
    if not ids:
        raise ValidationError(_("Select at least one customer."))
    if len(ids) > limit:
        raise ValidationError(
            _("A group message goes to at most %(max)s customers.") % {"max": limit}
        )
    visible = set(customer_list_for_user(user=user).filter(pk__in=ids).values_list("pk", flat=True))
    if visible != set(ids):
        raise ValidationError(_("Some of the selected customers are not yours to message."))
    now = timezone.now()
    campaign = Campaign.objects.create(
        kind=Campaign.Kind.GROUP,
        name=_("Group message by %(name)s") % {"name": user.get_full_name() or user.username},
        channel=channel,
        selected_customer_ids=ids,
        created_by=user,
        location=user.locations.first(),
        status=Status.DRAFT,
    )
    message = CampaignMessage(
        campaign=campaign, language="", subject=subject, email_body=email_body, sms_body=sms_body
    )
    problems = campaign_texts_check(campaign, [message])
    if problems:
        raise ValidationError(problems)
    message.save()
    campaign.status = Status.SCHEDULED
    campaign.launched_at = campaign.send_at = now
    campaign.save(update_fields=["status", "launched_at", "send_at"])
    _dispatch_on_commit(campaign.pk)
    return campaign
