"""The nightly service-reminder run.

Steps, each idempotent and safe to interrupt (a rerun finishes what a killed run left):

1. select the cars whose next service is within the reminder window (one indexed query over
   the stored next-due columns) and insert a first `ServiceReminder` per car, item and due
   date (`bulk_create(ignore_conflicts=True)` on the unique key: a rerun inserts nothing);
2. insert a second reminder for first reminders older than N days without a booking since;
3. queue the messages of every reminder not yet queued, one transaction per reminder, each
   message with the dedupe key "aftersales:reminder:<car>:<item>:<due date>:<n>:<channel>",
   and mark it queued in the same transaction;
4. give the service advisor a task for second reminders older than M days still unanswered.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.models import User
from dealership.accounts.phones import phone_local
from dealership.accounts.roles import Role
from dealership.messaging.models import Channel, Purpose
from dealership.messaging.services import message_enqueue
from leads.models import Customer, Task
from leads.services import task_create

from ..models import OwnedVehicle, ServiceAppointment, ServiceReminder
from ..tokens import add_vehicle_token, booking_token

logger = logging.getLogger(__name__)
BATCH = 1000


def _date(day, customer) -> str:
    """A date in the customer's language ("30.03.2026", "30/03/2026", "2026/3/30")."""
    with translation.override(customer.language or settings.LANGUAGE_CODE):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def reminders_due_selection(*, today: datetime.date) -> QuerySet[OwnedVehicle]:
    """Active cars of contactable customers whose next service is in the reminder window, that
    have no booking and no first reminder for that item and due date yet."""
    booked = ServiceAppointment.objects.filter(
        owned_vehicle=OuterRef("pk"), status__in=ServiceAppointment.ACTIVE_STATUSES
    )
    reminded = ServiceReminder.objects.filter(
        owned_vehicle=OuterRef("pk"),
        item=OuterRef("next_item"),
        due_on=OuterRef("next_due_on"),
        number=1,
    )
    return (
        OwnedVehicle.objects.filter(
            status=OwnedVehicle.Status.ACTIVE,
            reminders_opt_out=False,
            next_remind_on__lte=today,
            next_item__isnull=False,
            customer__do_not_contact=False,
            customer__merged_into__isnull=True,
        )
        .exclude(Exists(booked))
        .exclude(Exists(reminded))
        .order_by()  # no default ordering (it would join and sort by the customer)
    )


def _booked_since():
    """Bookings (not cancelled) made since the outer reminder was created."""
    return ServiceAppointment.objects.filter(
        owned_vehicle=OuterRef("owned_vehicle"), created_at__gte=OuterRef("created_at")
    ).exclude(status=ServiceAppointment.Status.CANCELLED)


def reminders_create_first(*, now: datetime.datetime) -> int:
    today = timezone.localdate(now)
    created = 0
    last_id = 0
    while True:
        rows = list(
            reminders_due_selection(today=today)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "next_item_id", "next_due_on")[:BATCH]
        )
        if not rows:
            return created
        last_id = rows[-1][0]
        made = ServiceReminder.objects.bulk_create(
            [
                ServiceReminder(
                    owned_vehicle_id=ov_id, item_id=item_id, due_on=due_on, number=1, created_at=now
                )
                for ov_id, item_id, due_on in rows
            ],
            ignore_conflicts=True,
        )
        created += len(made)


def reminders_create_second(*, now: datetime.datetime) -> int:
    cutoff = now - datetime.timedelta(days=settings.AFTERSALES_SECOND_REMINDER_DAYS)
    second = ServiceReminder.objects.filter(
        owned_vehicle=OuterRef("owned_vehicle"),
        item=OuterRef("item"),
        due_on=OuterRef("due_on"),
        number=2,
    )
    firsts = (
        ServiceReminder.objects.filter(
            number=1,
            created_at__lte=cutoff,
            owned_vehicle__status=OwnedVehicle.Status.ACTIVE,
            owned_vehicle__reminders_opt_out=False,
            owned_vehicle__customer__do_not_contact=False,
            owned_vehicle__next_due_on=F("due_on"),
        )
        .exclude(Exists(second))
        .exclude(Exists(_booked_since()))
        .values_list("owned_vehicle_id", "item_id", "due_on")
    )
    made = ServiceReminder.objects.bulk_create(
        [
            ServiceReminder(
                owned_vehicle_id=ov_id, item_id=item_id, due_on=due_on, number=2, created_at=now
            )
            for ov_id, item_id, due_on in firsts.iterator(chunk_size=BATCH)
        ],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    return len(made)


def reminder_channels(customer: Customer) -> list[tuple[str, str]]:
    """(channel, address) by the customer's preference; both when none is stated."""
    email = (Channel.EMAIL, customer.email) if customer.email else None
    sms = (Channel.SMS, customer.mobile_phone) if customer.mobile_phone else None
    preferred = {"email": email, "sms": sms}.get(customer.preferred_channel)
    if preferred:
        return [preferred]
    return [c for c in (email, sms) if c]


def reminder_dedupe_key(reminder: ServiceReminder, channel: str) -> str:
    return (
        f"aftersales:reminder:{reminder.owned_vehicle_id}:{reminder.item_id}:"
        f"{reminder.due_on.isoformat()}:{reminder.number}:{channel}"
    )


def reminder_queue_messages(*, reminder_id: int) -> bool:
    """Queue one reminder's messages and mark it queued, in one transaction. False when another
    run holds it or it was queued already."""
    with transaction.atomic():
        reminder = (
            ServiceReminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("owned_vehicle__customer", "owned_vehicle__location", "item")
            .filter(pk=reminder_id, queued_at__isnull=True)
            .first()
        )
        if reminder is None:
            return False
        ov = reminder.owned_vehicle
        customer = ov.customer
        if not customer.do_not_contact and ov.status == OwnedVehicle.Status.ACTIVE:
            url = settings.SITE_URL.rstrip("/") + reverse(
                "aftersales:book", kwargs={"token": booking_token(owned_vehicle=ov)}
            )
            context = {
                "first_name": customer.first_name,
                "vehicle": ov.label,
                "service": reminder.item.name,
                "due_on": _date(reminder.due_on, customer),
                "due_km": ov.next_due_km if ov.next_due_by == "km" else None,
                "second": reminder.number > 1,
                "booking_url": url,
                "add_vehicle_url": settings.SITE_URL.rstrip("/")
                + reverse(
                    "aftersales:vehicle_add",
                    kwargs={"token": add_vehicle_token(customer=customer)},
                ),
                "location": ov.location.name,
                "location_phone": phone_local(ov.location.phone, ov.location),
            }
            for channel, address in reminder_channels(customer):
                # A service reminder is part of looking after the car the customer owns, like
                # a recall notice: it goes without marketing consent, never to a suppressed
                # address, and the customer can switch it off per car or for every channel.
                message_enqueue(
                    channel=channel,
                    purpose=Purpose.TRANSACTIONAL,
                    to=address,
                    template_key="aftersales.service_reminder",
                    context=context,
                    dedupe_key=reminder_dedupe_key(reminder, channel),
                    location=ov.location,
                    customer_id=customer.pk,
                    language=customer.language,
                )
        reminder.queued_at = timezone.now()
        reminder.save(update_fields=["queued_at"])
        return True


def reminders_queue_pending() -> int:
    queued = 0
    ids = list(
        ServiceReminder.objects.filter(queued_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    for reminder_id in ids:
        queued += reminder_queue_messages(reminder_id=reminder_id)
    return queued


def service_advisor_for(location_id: int) -> User | None:
    return (
        User.objects.filter(
            is_active=True, locations=location_id, groups__name=Role.SERVICE_ADVISOR.value
        )
        .order_by("id")
        .first()
    )


def reminders_create_advisor_tasks(*, now: datetime.datetime) -> int:
    cutoff = now - datetime.timedelta(days=settings.AFTERSALES_ADVISOR_TASK_DAYS)
    pending = (
        ServiceReminder.objects.filter(
            number=2,
            created_at__lte=cutoff,
            task_created_at__isnull=True,
            owned_vehicle__status=OwnedVehicle.Status.ACTIVE,
        )
        .exclude(Exists(_booked_since()))
        .select_related("owned_vehicle__customer", "item")
        .order_by("id")
    )
    made = 0
    advisors: dict[int, User | None] = {}
    for reminder in pending:
        ov = reminder.owned_vehicle
        if ov.location_id not in advisors:
            advisors[ov.location_id] = service_advisor_for(ov.location_id)
        with transaction.atomic():
            task_create(
                owner=advisors[ov.location_id],
                title=_(
                    "Call about the %(service)s of the %(vehicle)s (no booking after two reminders)"
                )
                % {"service": reminder.item.name, "vehicle": ov.label},
                due_at=now,
                by=None,
                customer=ov.customer,
                kind=Task.Kind.CALL,
                dedupe_key=f"aftersales:reminder-task:{ov.pk}:{reminder.item_id}:{reminder.due_on}",
            )
            ServiceReminder.objects.filter(pk=reminder.pk).update(task_created_at=now)
        made += 1
    return made


def reminders_run(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The nightly job. Safe to run twice and to crash at any point."""
    now = now or timezone.now()
    result = {
        "first": reminders_create_first(now=now),
        "second": reminders_create_second(now=now),
    }
    result["queued"] = reminders_queue_pending()
    result["tasks"] = reminders_create_advisor_tasks(now=now)
    logger.info("service reminders: %s", result)
    return result
