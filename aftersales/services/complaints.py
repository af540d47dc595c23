"""Complaints: public and staff-logged, a handler, a resolution target by severity, statuses
with notes, the customer told of progress, overdue ones escalated to the managers."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.language import user_language
from dealership.accounts.models import Location, User
from dealership.accounts.phones import phone_local
from dealership.accounts.roles import Role
from dealership.accounts.templatetags.zones import in_zone
from dealership.messaging.models import Channel, Purpose
from dealership.messaging.services import message_enqueue
from leads.models import Customer, Task
from leads.services import customer_get_or_create_from_contact, task_create

from ..models import COMPLAINT_MACHINE, Complaint, OwnedVehicle, ServiceAppointment

Status = Complaint.Status


def complaint_target(*, severity: str, received_at: datetime.datetime) -> datetime.datetime:
    hours = settings.AFTERSALES_COMPLAINT_TARGET_HOURS[severity]
    return received_at + datetime.timedelta(hours=hours)


def _default_handler(location: Location, category: str) -> User | None:
    role = Role.SERVICE_ADVISOR if category == Complaint.Category.SERVICE else Role.SALES_MANAGER
    return (
        User.objects.filter(is_active=True, locations=location, groups__name=role.value)
        .order_by("id")
        .first()
    )


def _tell_customer(complaint: Complaint, *, key: str, note: str = "") -> None:
    customer = complaint.customer
    if not customer.email:
        return
    message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=customer.email,
        template_key="aftersales.complaint_update",
        context={
            "first_name": customer.first_name,
            "number": complaint.pk,
            "subject": complaint.subject,
            "status": str(complaint.get_status_display()),
            "note": note,
            "location": complaint.location.name,
            "location_phone": phone_local(complaint.location.phone, complaint.location),
        },
        dedupe_key=f"aftersales:complaint:{complaint.pk}:{key}",
        location=complaint.location,
        customer_id=customer.pk,
        language=customer.language,
    )


def _tell_manager_overdue(complaint: Complaint, manager: User) -> None:
    """The escalation email, in the manager's own language (User.language): its severity
    and due time are written in that language too."""
    language = user_language(manager)
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "number": complaint.pk,
            "subject": complaint.subject,
            "severity": str(complaint.get_severity_display()),
            "handler": complaint.handler.get_full_name() if complaint.handler else "",
            "target": in_zone(complaint.target_at, complaint.location, "SHORT_DATETIME_FORMAT"),
            "location": complaint.location.name,
        }
    message_enqueue(
        channel=Channel.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to=manager.email,
        template_key="aftersales.complaint_escalation",
        context=context,
        dedupe_key=f"aftersales:complaint:{complaint.pk}:escalation:{manager.pk}",
        location=complaint.location,
        language=language,
    )


@transaction.atomic
def complaint_create(
    *,
    customer: Customer,
    location: Location,
    channel: str,
    category: str,
    severity: str,
    subject: str,
    description: str,
    owned_vehicle: OwnedVehicle | None = None,
    appointment: ServiceAppointment | None = None,
    order_reference: str = "",
    handler: User | None = None,
    by: User | None = None,
    now: datetime.datetime | None = None,
) -> Complaint:
    """Log a complaint; assigned to `handler` or the branch's default handler; the customer
    gets an acknowledgement by email (transactional)."""
    now = now or timezone.now()
    if owned_vehicle is not None and owned_vehicle.customer_id != customer.pk:
        raise ValidationError({"owned_vehicle": _("This car belongs to another customer.")})
    complaint = Complaint(
        customer=customer,
        location=location,
        channel=channel,
        category=category,
        severity=severity,
        subject=subject.strip(),
        description=description.strip(),
        owned_vehicle=owned_vehicle,
        appointment=appointment,
        order_reference=order_reference.strip(),
        handler=handler or _default_handler(location, category),
        target_at=complaint_target(severity=severity, received_at=now)
        if severity in Complaint.Severity.values
        else now,
        created_at=now,
    )
    complaint.full_clean()
    complaint.save()
    COMPLAINT_MACHINE.record(complaint, "", by=by, at=now)
    _tell_customer(complaint, key="received")
    return complaint


def complaint_submit(
    *,
    location: Location,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    category: str,
    subject: str,
    description: str,
    order_reference: str = "",
    vin: str = "",
    language: str = "",
) -> Complaint:
    """The public form: find or create the customer, link their car by VIN if it is theirs.
    Severity starts at medium; the handler adjusts it."""
    with transaction.atomic():
        customer, _created = customer_get_or_create_from_contact(
            location=location,
            source=Customer.Source.WEBSITE,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            language=language,
        )
        owned_vehicle = None
        if vin:
            owned_vehicle = OwnedVehicle.objects.filter(
                vin=vin.strip().upper(), customer=customer, status=OwnedVehicle.Status.ACTIVE
            ).first()
        return complaint_create(
            customer=customer,
            location=location,
            channel=Complaint.Channel.WEB,
            category=category,
            severity=Complaint.Severity.MEDIUM,
            subject=subject,
            description=description,
            owned_vehicle=owned_vehicle,
            order_reference=order_reference,
        )


@transaction.atomic
def complaint_transition(
    *,
    complaint: Complaint,
    to_status: str,
    note: str,
    by: User,
    notify_customer: bool = True,
    now: datetime.datetime | None = None,
) -> Complaint:
    """Move a complaint along new → in progress → waiting for customer → resolved → closed,
    with a note; refuses other moves. The customer is emailed unless told otherwise."""
    now = now or timezone.now()

    def check(complaint: Complaint) -> None:
        if to_status == Status.RESOLVED and not note.strip():
            raise ValidationError({"note": _("Say how the complaint was resolved.")})

    def apply(complaint: Complaint, from_status: str) -> list[str]:
        if to_status != Status.RESOLVED:
            return []
        complaint.resolved_at = now
        return ["resolved_at"]

    locked, entry = COMPLAINT_MACHINE.transition(
        complaint,
        to_status,
        by,
        note.strip(),
        check=check,
        apply=apply,
        at=now,
        customer_notified=lambda row: notify_customer and bool(row.customer.email),
    )
    if notify_customer:
        _tell_customer(locked, key=f"note:{entry.pk}", note=note.strip())
    return locked


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint, handler: User, by: User, now: datetime.datetime | None = None
) -> Complaint:
    """Hand the complaint to a staff member of its branch; the move is noted in its history."""
    if not handler.is_active or not handler.locations.filter(pk=complaint.location_id).exists():
        raise ValidationError({"handler": _("Choose a colleague who works at this branch.")})
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    locked.handler = handler
    locked.save(update_fields=["handler"])
    COMPLAINT_MACHINE.record(
        locked,
        locked.status,
        note=_("Assigned to %(name)s.") % {"name": handler.get_full_name() or handler.username},
        by=by,
        at=now,
    )
    return locked


def managers_of(location_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, locations=location_id, groups__name=Role.SALES_MANAGER.value
        ).order_by("id")
    )


def complaints_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalate open complaints past their target to the branch's managers (a task and an
    email each). Each complaint once: it is claimed with SKIP LOCKED and marked escalated in
    the same transaction; the task and email carry dedupe keys, so a crash repeats nothing."""
    now = now or timezone.now()
    escalated = 0
    while True:
        with transaction.atomic():
            complaint = (
                Complaint.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("location", "customer", "handler")
                .filter(
                    status__in=Complaint.OPEN_STATUSES,
                    escalated_at__isnull=True,
                    target_at__lte=now,
                )
                .order_by("target_at", "id")
                .first()
            )
            if complaint is None:
                return escalated
            for manager in managers_of(complaint.location_id):
                task_create(
                    owner=manager,
                    title=_("Overdue complaint #%(number)s: %(subject)s")
                    % {"number": complaint.pk, "subject": complaint.subject},
                    due_at=now,
                    by=None,
                    customer=complaint.customer,
                    kind=Task.Kind.ESCALATION,
                    dedupe_key=f"aftersales:complaint-escalation:{complaint.pk}:{manager.pk}",
                )
                if manager.email:
                    _tell_manager_overdue(complaint, manager)
            complaint.escalated_at = now
            complaint.save(update_fields=["escalated_at"])
            escalated += 1
