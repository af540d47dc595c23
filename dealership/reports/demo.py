"""Demo history for the dashboards: 90 days of leads at every location, at different stages,
answered after different business delays, so each panel has figures to show.

Idempotent: the leads carry external ids ("demo-history" / "h-<n>"), customers their email;
a second run adds nothing. Rows are bulk-inserted (it is history, not new enquiries: no
assignment rotation, cadences or confirmations run).
"""

import datetime
import random

from django.utils import timezone

from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from inventory.models import Vehicle
from leads.business_hours import add_business_minutes, business_minutes_between
from leads.models import Customer, Lead

from .services import rollup_backfill, rollup_refresh

SOURCE = "demo-history"
PER_LOCATION = 40
DAYS = 90
FIRST_NAMES = ["Lena", "Paul", "Marta", "Aino", "Jonas", "Sofia", "Mikael", "Clara"]
LAST_NAMES = ["Weber", "Santos", "Laine", "Fischer", "Costa", "Nieminen", "Braun", "Lopes"]
MODELS = [("Volkswagen", "Golf"), ("Skoda", "Octavia"), ("Toyota", "Yaris"), ("BMW", "320d")]


def _stages(rng: random.Random) -> tuple[str, list[str]]:
    r = rng.random()
    if r < 0.12:
        return Lead.Status.WON, ["contacted", "qualified", "appointment", "negotiation", "won"]
    if r < 0.30:
        return Lead.Status.APPOINTMENT, ["contacted", "qualified", "appointment"]
    if r < 0.50:
        return Lead.Status.QUALIFIED, ["contacted", "qualified"]
    if r < 0.75:
        return Lead.Status.CONTACTED, ["contacted"]
    if r < 0.93:
        return Lead.Status.LOST, ["contacted", "lost"]
    return Lead.Status.NEW, []


def seed(*, locations: list[Location]) -> int:
    """Returns how many history leads were added (0 on a second run)."""
    now = timezone.now()
    existing = set(
        Lead.objects.filter(external_source=SOURCE).values_list("external_id", flat=True)
    )
    consultants = {
        loc.pk: list(
            User.objects.filter(groups__name=Role.CONSULTANT.value, locations=loc).order_by("pk")
        )
        for loc in locations
    }
    locations = list(
        Location.objects.filter(pk__in=[loc.pk for loc in locations])
        .prefetch_related("opening_hours")
        .order_by("pk")
    )
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible
    new_leads, new_customers = [], []
    for location in locations:
        for i in range(PER_LOCATION):
            external_id = f"h-{location.slug}-{i}"
            status, stages = _stages(rng)
            created = now - datetime.timedelta(days=rng.uniform(1, DAYS))
            # Business minutes to the first answer: an enquiry of the night or the weekend
            # is answered after opening, as a consultant would.
            wait = rng.choice([3, 8, 12, 20, 35, 60, 180])
            make, model = rng.choice(MODELS)
            if external_id in existing:
                continue
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{external_id}@example.com"
            team = consultants.get(location.pk) or [None]
            customer = Customer(
                owner=team[i % len(team)],
                first_name=first,
                last_name=last,
                email=email,
                location=location,
                source=Customer.Source.WEBSITE,
                search_name=f"{first} {last}".lower(),
                search_name_reversed=f"{last} {first}".lower(),
            )
            new_customers.append(customer)
            responded = add_business_minutes(location, created, wait) if stages else None
            lead = Lead(
                location=location,
                source=rng.choice([Lead.Source.WEBSITE, Lead.Source.PHONE, Lead.Source.WALK_IN]),
                type=Lead.Type.VEHICLE_ENQUIRY,
                status=status,
                lost_reason=Lead.LostReason.PRICE if status == Lead.Status.LOST else "",
                make=make,
                model=model,
                year=2022,
                assigned_to=team[i % len(team)],
                response_due_at=add_business_minutes(location, created, 15),
                first_response_at=responded,
                first_response_minutes=(
                    business_minutes_between(location, created, responded) if responded else None
                ),
                external_source=SOURCE,
                external_id=external_id,
                created_at=created,
            )
            for day, stage in enumerate(stages, start=1):
                setattr(lead, f"{stage}_at", created + datetime.timedelta(days=day))
            new_leads.append((lead, email))
    emails = [c.email for c in new_customers]
    known = set(Customer.objects.filter(email__in=emails).values_list("email", flat=True))
    Customer.objects.bulk_create([c for c in new_customers if c.email not in known])
    by_email = dict(Customer.objects.filter(email__in=emails).values_list("email", "pk"))
    for lead, email in new_leads:
        lead.customer_id = by_email[email]
    Lead.objects.bulk_create([lead for lead, _email in new_leads])
    _sales_history(now)
    # The dashboards read closed days from the summary tables: fill them for the history
    # (and whatever the other apps' demo data added), as the rollup job would.
    today = timezone.now().date()
    rollup_backfill(first=today - datetime.timedelta(days=DAYS + 2), last=today)
    rollup_refresh()
    return len(new_leads)


def _sales_history(now: datetime.datetime) -> None:
    """For the history leads that got that far: a completed test drive on the appointment
    day and, for a won lead, an order of an available car of the location, bought, paid,
    signed and handed over through the orders' services (`orders.demo.sell`) and dated from
    the day it was won to three days later, so the funnel and the leaderboard have every
    stage. Idempotent: a lead with a booking has its history."""
    from orders import demo as orders_demo
    from testdrives.models import Booking

    leads = list(
        Lead.objects.filter(external_source=SOURCE, appointment_at__lte=now)
        .exclude(testdrive_bookings__isnull=False)
        .select_related("customer", "assigned_to")
        .order_by("pk")
    )
    if not leads:
        return
    cars: dict[int, list[int]] = {}
    for pk, location_id in Vehicle.objects.filter(status=Vehicle.Status.SOLD).values_list(
        "pk", "location_id"
    ):
        cars.setdefault(location_id, []).append(pk)
    busy: set[tuple] = set()
    for n, lead in enumerate(leads):
        fleet = cars.get(lead.location_id)
        if not fleet:
            continue
        vehicle_id = fleet[n % len(fleet)]
        start = lead.appointment_at.replace(minute=0, second=0, microsecond=0)
        while {("car", vehicle_id, start), ("who", lead.assigned_to_id, start)} & busy:
            start += datetime.timedelta(hours=1)
        busy |= {("car", vehicle_id, start), ("who", lead.assigned_to_id, start)}
        Booking.objects.create(
            kind=Booking.Kind.DRIVE,
            location_id=lead.location_id,
            vehicle_id=vehicle_id,
            consultant_id=lead.assigned_to_id,
            customer_id=lead.customer_id,
            lead=lead,
            start_at=start,
            end_at=start + datetime.timedelta(minutes=45),
            busy_until=start + datetime.timedelta(hours=1),
            status=Booking.Status.COMPLETED,
            channel=Booking.Channel.STAFF,
            outcome=Booking.Outcome.WANTS_OFFER if lead.won_at else Booking.Outcome.INTERESTED,
        )
        if lead.won_at is None or lead.won_at > now:
            continue
        car = (
            Vehicle.objects.filter(
                location_id=lead.location_id,
                status=Vehicle.Status.AVAILABLE,
                stock_number__startswith="D",
                bookings__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        if car is None or lead.assigned_to is None:
            continue
        orders_demo.sell(
            customer=lead.customer,
            vehicle=car,
            consultant=lead.assigned_to,
            ordered_at=lead.won_at,
            delivered_at=min(lead.won_at + datetime.timedelta(days=3), now),
        )
