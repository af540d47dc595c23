"""Demo surveys: a standard survey per touchpoint, a monthly staff pulse, and six months of
answered invitations across the three locations (detractors with their follow-up tasks).
Idempotent: surveys by name, invitations by dedupe key, customers by email."""

import datetime

from django.utils import timezone

from dealership.accounts.models import Location, User
from dealership.accounts.roles import Role
from leads.models import Customer, Task
from leads.services.customers import customer_search_names

from .models import Invitation, Question, Survey, Touchpoint

SURVEYS = [
    ("After purchase", Touchpoint.PURCHASE, ("How satisfied were you with your consultant?",)),
    ("After test drive", Touchpoint.TEST_DRIVE, ("How satisfied were you with the test drive?",)),
    (
        "After delivery",
        Touchpoint.DELIVERY,
        ("How satisfied were you with the handover of your car?",),
    ),
    (
        "After service visit",
        Touchpoint.SERVICE,
        ("Was the work done right the first time?", "How satisfied were you with the price?"),
    ),
    ("After complaint", Touchpoint.COMPLAINT, ("How satisfied are you with the solution?",)),
    ("Staff pulse", Touchpoint.STAFF_PULSE, ("Do you have what you need to do your job well?",)),
]

FIRST_NAMES = ["Lukas", "Mia", "Jonas", "Sofia", "Elias", "Emma", "Noah", "Lea", "Ben", "Clara"]
LAST_NAMES = ["Müller", "Santos", "Lehtonen", "Weber", "Pereira", "Nieminen", "Fischer"]
# score, comment: a believable spread (NPS around +30).
ANSWERS = [
    (10, "Friendly and quick, the car was ready on time."),
    (9, "Good advice, fair price."),
    (3, "Waited too long at the handover and nobody called back."),
    (8, ""),
    (10, "Excellent consultant, very patient."),
    (6, "The price changed between offer and contract."),
    (9, ""),
    (7, "Fine, but the paperwork took long."),
    (2, "Nobody called back after the service visit."),
    (10, "Great test drive, no pressure."),
    (9, "Clear price from the start."),
    (5, "Waited too long for the car wash after service."),
]


def seed(*, locations: list[Location]) -> dict[str, int]:
    surveys = {}
    for name, touchpoint, csi in SURVEYS:
        survey = Survey.objects.filter(name=name).first()
        if survey is None:
            from .services import survey_create_standard

            survey = survey_create_standard(name=name, touchpoint=touchpoint, csi_questions=csi)
        surveys[touchpoint] = survey
    _seed_answers(surveys, locations)
    return {"surveys": len(surveys), "invitations": Invitation.objects.count()}


def _customer(n: int, location: Location) -> Customer:
    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    last = LAST_NAMES[n % len(LAST_NAMES)]
    search, reversed_ = customer_search_names(first, last)
    customer, _created = Customer.objects.get_or_create(
        email=f"survey.demo{n}@example.com",
        defaults={
            "first_name": first,
            "last_name": last,
            "location": location,
            "source": Customer.Source.WALK_IN,
            "search_name": search,
            "search_name_reversed": reversed_,
        },
    )
    return customer


def _seed_answers(surveys: dict, locations: list[Location]) -> None:
    from .services import invitation_submit

    consultants = {
        location.pk: list(
            User.objects.filter(groups__name=Role.CONSULTANT.value, locations=location).order_by(
                "pk"
            )
        )
        for location in locations
    }
    now = timezone.now()
    touchpoints = [Touchpoint.PURCHASE, Touchpoint.SERVICE, Touchpoint.DELIVERY]
    for n in range(36):
        dedupe_key = f"demo:{n}"
        if Invitation.objects.filter(dedupe_key=dedupe_key).exists():
            continue
        location = locations[n % len(locations)]
        survey = surveys[touchpoints[n % len(touchpoints)]]
        sent_at = now - datetime.timedelta(days=5 + n * 5)
        staff = consultants.get(location.pk) or [None]
        invitation = Invitation.objects.create(
            survey=survey,
            touchpoint=survey.touchpoint,
            source_id=f"demo-{n}",
            customer=_customer(n, location),
            location=location,
            consultant=staff[n % len(staff)],
            occurred_at=sent_at - datetime.timedelta(days=1),
            dedupe_key=dedupe_key,
            status=Invitation.Status.SENT,
            created_at=sent_at,
            expires_at=sent_at + datetime.timedelta(days=survey.valid_days),
        )
        if n % 6 == 5:
            continue  # not every customer answers
        score, comment = ANSWERS[n % len(ANSWERS)]
        questions = {q.kind: q for q in survey.questions.all()}
        answers = {questions[Question.Kind.NPS].pk: str(score)}
        if comment:
            answers[questions[Question.Kind.WHY].pk] = comment
        if Question.Kind.SCALE in questions:
            answers[questions[Question.Kind.SCALE].pk] = str(max(1, min(5, score // 2)))
        answered_at = sent_at + datetime.timedelta(hours=20)
        invitation = invitation_submit(invitation=invitation, answers=answers, now=answered_at)
        if invitation.follow_up_task_id and n > 6:
            # Older cases were followed up: the closed-the-loop rate has something to show.
            Task.objects.filter(pk=invitation.follow_up_task_id).update(
                completed_at=answered_at + datetime.timedelta(days=1)
            )
