"""Surveys' writes: invite (customers by trigger, staff by cadence), remind, save answers,
submit, and the follow-up a detractor gets.

What callers can rely on:

* Every invitation has a unique dedupe key (one per customer per touchpoint event; one per
  staff member per pulse period). Creating it twice returns the first; the jobs can run twice
  or crash halfway and send nothing twice (the outbox message's dedupe key is derived from
  the invitation's id).
* The contact cap (one survey per customer per SURVEYS_CONTACT_CAP_DAYS) is checked with the
  customer's row locked, so two jobs at once cannot both send.
* A link's token (256 random bits) is stored only as its SHA-256; it works until the survey
  is submitted (then it shows the thank-you) or it expires.
* Submitting locks the invitation: a second submission changes nothing and a detractor gets
  exactly one follow-up task.
"""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dealership.accounts.language import user_language
from dealership.accounts.models import User
from dealership.accounts.phones import phone_local
from dealership.accounts.templatetags.zones import local_date
from dealership.messaging.models import Channel, OutboxMessage, Purpose
from dealership.messaging.services import message_enqueue
from leads.models import Activity, Customer
from leads.services import activity_log, task_create

from . import scoring
from .models import Answer, Invitation, Question, Survey, Touchpoint
from .selectors import follow_up_owner
from .triggers import TRIGGERS, Due

logger = logging.getLogger(__name__)

BATCH_LIMIT = 500
TEXT_MAX = 4000


# --- Tokens ---------------------------------------------------------------------------------


def token_new() -> tuple[str, str]:
    """(token for the link, hash to store): 32 random bytes, URL-safe."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_url(token: str) -> str:
    from django.urls import reverse

    return settings.SITE_URL.rstrip("/") + reverse("surveys:answer", kwargs={"token": token})


# --- Inviting -------------------------------------------------------------------------------


def _customer_address(customer: Customer) -> tuple[str, str] | None:
    if customer.email and not (customer.preferred_channel == "sms" and customer.mobile_phone):
        return Channel.EMAIL, customer.email
    if customer.mobile_phone:
        return Channel.SMS, customer.mobile_phone
    return None


def _message_context(invitation: Invitation, token: str, *, first_name: str) -> dict:
    """In the invitation's language: the customer's, or the staff member's (User.language)."""
    location = invitation.location
    language = invitation.language or getattr(invitation.customer, "language", "")
    with translation.override(language or settings.LANGUAGE_CODE):
        return {
            "first_name": first_name,
            "location": location.name,
            "location_phone": phone_local(location.phone, location),
            "url": survey_url(token),
            "touchpoint": str(Touchpoint(invitation.touchpoint).label),
            "valid_until": local_date(invitation.expires_at, location, language),
        }


def invitation_create_for_customer(
    *, survey: Survey, due: Due, now: datetime.datetime | None = None
) -> tuple[Invitation, bool]:
    """Invite one customer for one touchpoint event, or record why not (contact cap, no
    address, do-not-contact, suppressed). Returns (invitation, created). Idempotent."""
    now = now or timezone.now()
    dedupe_key = f"{survey.touchpoint}:{due.source_id}:{due.customer_id}"
    with transaction.atomic():
        # The lock serialises invitations to one customer: the cap holds under concurrency.
        customer = Customer.objects.select_for_update().get(pk=due.customer_id)
        existing = Invitation.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing, False
        invitation = Invitation(
            survey=survey,
            touchpoint=survey.touchpoint,
            source_id=due.source_id,
            customer=customer,
            location_id=due.location_id,
            consultant_id=due.consultant_id,
            occurred_at=due.occurred_at,
            dedupe_key=dedupe_key,
            status=Invitation.Status.SENT,
            language=customer.language,
            created_at=now,
            expires_at=now + datetime.timedelta(days=survey.valid_days),
        )
        cap_start = now - datetime.timedelta(days=settings.SURVEYS_CONTACT_CAP_DAYS)
        recently = Invitation.objects.filter(
            customer=customer,
            status__in=(Invitation.Status.SENT, Invitation.Status.COMPLETED),
            created_at__gt=cap_start,
        )
        address = _customer_address(customer)
        if customer.do_not_contact:
            _skip(invitation, Invitation.SkipReason.DO_NOT_CONTACT)
        elif recently.exists():
            _skip(invitation, Invitation.SkipReason.CAPPED)
        elif address is None:
            _skip(invitation, Invitation.SkipReason.NO_ADDRESS)
        token, invitation.token_hash = token_new()
        if survey.reminder_after_days and invitation.status == Invitation.Status.SENT:
            invitation.reminder_due_at = now + datetime.timedelta(days=survey.reminder_after_days)
        invitation.full_clean(validate_unique=False, validate_constraints=False)
        invitation.save()
        if invitation.status == Invitation.Status.SENT:
            channel, to = address
            try:
                message = _invitation_message_enqueue(
                    invitation, survey, token, channel=channel, to=to
                )
            except ValidationError:  # an address the outbox cannot use
                logger.info("survey invitation %s: unusable address", invitation.pk)
                message = None
            if message is None or message.status == OutboxMessage.Status.SUPPRESSED:
                reason = (
                    Invitation.SkipReason.SUPPRESSED
                    if message
                    else Invitation.SkipReason.NO_ADDRESS
                )
                _skip(invitation, reason)
                invitation.save(update_fields=["status", "skip_reason", "reminder_due_at"])
    return invitation, True


def _invitation_message_enqueue(
    invitation: Invitation, survey: Survey, token: str, *, channel: str, to: str
) -> OutboxMessage:
    customer = invitation.customer
    return message_enqueue(
        channel=channel,
        purpose=Purpose.MARKETING if survey.requires_marketing_consent else Purpose.TRANSACTIONAL,
        to=to,
        template_key="surveys.invitation",
        context=_message_context(invitation, token, first_name=customer.first_name),
        dedupe_key=f"survey:{invitation.pk}:invitation",
        location=invitation.location,
        customer_id=customer.pk,
        language=customer.language,
    )


def _skip(invitation: Invitation, reason: str) -> None:
    invitation.status = Invitation.Status.SKIPPED
    invitation.skip_reason = reason
    invitation.reminder_due_at = None


def survey_invitations_create_due(
    *, now: datetime.datetime | None = None, limit: int = BATCH_LIMIT
) -> dict[str, int]:
    """The trigger job: for every active customer survey whose touchpoint is wired, invite
    what is due and has no invitation yet. Returns counts by outcome. Safe to run twice."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    surveys = Survey.objects.filter(
        is_active=True, audience=Survey.Audience.CUSTOMERS, touchpoint__in=list(TRIGGERS)
    )
    for survey in surveys:
        for due in TRIGGERS[survey.touchpoint].due(now=now, limit=limit):
            try:
                invitation, created = invitation_create_for_customer(
                    survey=survey, due=due, now=now
                )
            except IntegrityError:
                continue  # another run made it first
            if created:
                counts["sent" if invitation.status == Invitation.Status.SENT else "skipped"] += 1
    return counts


def pulse_period(survey: Survey, now: datetime.datetime) -> str:
    local = timezone.localtime(now)
    if survey.cadence == Survey.Cadence.WEEKLY:
        year, week, _weekday = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local:%Y-%m}"


def staff_pulse_invite_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Invite every active staff member with an email to this period's pulse survey, once
    per period (the dedupe key holds it). Safe to run twice."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0}
    for survey in Survey.objects.filter(is_active=True, audience=Survey.Audience.STAFF):
        period = pulse_period(survey, now)
        invited = Invitation.objects.filter(survey=survey, source_id=period).values(
            "staff_member_id"
        )
        staff = (
            User.objects.filter(is_active=True, is_staff=True, locations__isnull=False)
            .exclude(pk__in=invited)
            .distinct()
            .order_by("pk")
            .prefetch_related("locations")
        )
        for user in staff:
            if _staff_invitation_create(survey=survey, user=user, period=period, now=now):
                counts["sent" if user.email else "skipped"] += 1
    return counts


def _staff_invitation_create(
    *, survey: Survey, user: User, period: str, now: datetime.datetime
) -> bool:
    location = min(user.locations.all(), key=lambda loc: loc.pk)
    token, hashed = token_new()
    invitation = Invitation(
        survey=survey,
        touchpoint=Touchpoint.STAFF_PULSE,
        source_id=period,
        staff_member=user,
        location=location,
        language=user_language(user),
        occurred_at=now,
        dedupe_key=f"pulse:{survey.pk}:{period}:{user.pk}",
        status=Invitation.Status.SENT if user.email else Invitation.Status.SKIPPED,
        skip_reason="" if user.email else Invitation.SkipReason.NO_ADDRESS,
        token_hash=hashed,
        created_at=now,
        expires_at=now + datetime.timedelta(days=survey.valid_days),
    )
    try:
        with transaction.atomic():
            invitation.save()
            if user.email:
                message_enqueue(
                    channel=Channel.EMAIL,
                    purpose=Purpose.TRANSACTIONAL,
                    to=user.email,
                    template_key="surveys.staff_pulse",
                    context=_message_context(invitation, token, first_name=user.first_name),
                    dedupe_key=f"survey:{invitation.pk}:invitation",
                    location=location,
                    language=invitation.language,
                )
    except IntegrityError:
        return False
    return True


def survey_reminders_send(*, now: datetime.datetime | None = None, limit: int = BATCH_LIMIT) -> int:
    """Send the one reminder of every unanswered invitation whose reminder is due and whose
    link has not expired. The reminder carries a second token (the first keeps working).
    Rows are claimed with SKIP LOCKED and marked in the same transaction: safe to run twice,
    or two at once."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            Invitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("location", "customer", "staff_member")
            .filter(
                status=Invitation.Status.SENT,
                reminded_at__isnull=True,
                reminder_due_at__lte=now,
                expires_at__gt=now,
                submitted_at__isnull=True,
            )
            .order_by("reminder_due_at", "pk")[:limit]
        )
        for invitation in due:
            token, invitation.reminder_token_hash = token_new()
            invitation.reminded_at = now
            invitation.save(update_fields=["reminder_token_hash", "reminded_at"])
            recipient = invitation.customer or invitation.staff_member
            if invitation.customer is not None:
                address = _customer_address(invitation.customer)
            else:
                address = (Channel.EMAIL, recipient.email) if recipient.email else None
            if address is None:
                continue
            message_enqueue(
                channel=address[0],
                purpose=Purpose.MARKETING
                if invitation.survey.requires_marketing_consent
                else Purpose.TRANSACTIONAL,
                to=address[1],
                template_key="surveys.reminder",
                context=_message_context(invitation, token, first_name=recipient.first_name),
                dedupe_key=f"survey:{invitation.pk}:reminder",
                location=invitation.location,
                customer_id=invitation.customer_id,
                language=invitation.language,
            )
            sent += 1
    return sent


# --- Answering ------------------------------------------------------------------------------


def _clean_value(question: Question, value: str) -> tuple[int | None, str]:
    """(score, text) for a raw answer; raises ValidationError with a message for people."""
    # PostgreSQL text cannot hold NUL; nobody types one.
    value = (value or "").replace("\x00", "").strip()
    if question.kind in (Question.Kind.NPS, Question.Kind.SCALE):
        low, high = (0, 10) if question.kind == Question.Kind.NPS else (1, 5)
        try:
            score = int(value)
        except ValueError:
            score = None
        if score is None or not low <= score <= high:
            raise ValidationError(
                _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return score, ""
    if question.kind == Question.Kind.CHOICE:
        if value not in question.choices:
            raise ValidationError(_("Choose one of the options."))
        return None, value
    if len(value) > TEXT_MAX:
        raise ValidationError(
            _("Please keep your answer under %(max)s characters.") % {"max": TEXT_MAX}
        )
    return None, value


def _check_open(invitation: Invitation, now: datetime.datetime) -> None:
    if invitation.submitted_at is not None:
        raise ValidationError(_("This survey has already been submitted. Thank you!"))
    if invitation.expires_at <= now:
        raise ValidationError(_("This survey link has expired."))


def answer_save(
    *, invitation: Invitation, question: Question, value: str, now: datetime.datetime | None = None
) -> Answer | None:
    """Save (or, with an empty value, clear) one answer as the respondent goes, so a closed
    tab loses nothing. Refuses answers to a submitted or expired survey."""
    now = now or timezone.now()
    if question.survey_id != invitation.survey_id:
        raise ValidationError(_("This question belongs to another survey."))
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        _check_open(locked, now)
        return _answer_write(locked, question, value, now)


def _answer_write(
    invitation: Invitation, question: Question, value: str, now: datetime.datetime
) -> Answer | None:
    if not (value or "").replace("\x00", "").strip():
        Answer.objects.filter(invitation=invitation, question=question).delete()
        return None
    score, text = _clean_value(question, value)
    answer, _created = Answer.objects.update_or_create(
        invitation=invitation,
        question=question,
        defaults={"score": score, "text": text, "answered_at": now},
    )
    if invitation.first_answer_at is None:
        invitation.first_answer_at = now
        invitation.save(update_fields=["first_answer_at"])
    return answer


def invitation_submit(
    *, invitation: Invitation, answers: dict[int, str], now: datetime.datetime | None = None
) -> Invitation:
    """Save the given answers (question id → raw value) and submit. Raises ValidationError
    (a dict by question field name) and saves nothing of this call when an answer is
    invalid or a required one is missing. A detractor (or a CSI answer ≤ 2) gets exactly one
    follow-up task for the location's manager. A second submission returns unchanged."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("survey", "location", "customer")
            .get(pk=invitation.pk)
        )
        if locked.submitted_at is not None:
            return locked
        _check_open(locked, now)
        questions = list(locked.survey.questions.all())
        saved = {a.question_id: a for a in locked.answers.all()}
        errors = {}
        cleaned = {}
        for question in questions:
            if question.pk in answers:
                raw = answers[question.pk]
                try:
                    blank = not raw.replace("\x00", "").strip()
                    cleaned[question.pk] = None if blank else _clean_value(question, raw)
                except ValidationError as error:
                    errors[question.field_name] = error.messages
                    continue
            present = (
                cleaned.get(question.pk) is not None
                if question.pk in answers
                else question.pk in saved
            )
            if (question.required or question.kind == Question.Kind.NPS) and not present:
                errors[question.field_name] = [_("Please answer this question.")]
        if errors:
            raise ValidationError(errors)
        for question in questions:
            if question.pk in answers:
                _answer_write(locked, question, answers[question.pk], now)
        final = {a.question_id: a for a in locked.answers.select_related("question")}
        nps_answer = next((a for a in final.values() if a.question.kind == Question.Kind.NPS), None)
        csi = [a.score for a in final.values() if a.question.kind == Question.Kind.SCALE]
        locked.nps_score = nps_answer.score if nps_answer else None
        locked.lowest_csi = min(csi) if csi else None
        locked.submitted_at = now
        locked.status = Invitation.Status.COMPLETED
        locked.first_answer_at = locked.first_answer_at or now
        locked.save(
            update_fields=["nps_score", "lowest_csi", "submitted_at", "status", "first_answer_at"]
        )
        if locked.customer_id:
            comment = _comment(final.values())
            _timeline_note(locked, comment, now)
            if scoring.needs_follow_up(nps_score=locked.nps_score, lowest_csi=locked.lowest_csi):
                _follow_up_create(locked, comment, now)
    return locked


def _comment(answers) -> str:
    texts = [
        a.text
        for a in sorted(answers, key=lambda a: (a.question.position, a.question_id))
        if a.question.kind in (Question.Kind.WHY, Question.Kind.TEXT) and a.text
    ]
    return "\n".join(texts)


def _headline(invitation: Invitation) -> str:
    if invitation.nps_score is not None and invitation.nps_score <= scoring.DETRACTOR_MAX:
        return _("Detractor %(score)s/10") % {"score": invitation.nps_score}
    if invitation.lowest_csi is not None and invitation.lowest_csi <= scoring.CSI_FOLLOW_UP_MAX:
        return _("Low satisfaction %(score)s/5") % {"score": invitation.lowest_csi}
    return _("Score %(score)s/10") % {"score": invitation.nps_score}


def _timeline_note(invitation: Invitation, comment: str, now: datetime.datetime) -> None:
    """Every answered customer survey goes on the customer's timeline, comment and all."""
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Survey %(touchpoint)s: %(headline)s.") % {
            "touchpoint": Touchpoint(invitation.touchpoint).label,
            "headline": _headline(invitation),
        }
        activity_log(
            customer=invitation.customer,
            kind=Activity.Kind.NOTE,
            direction=Activity.Direction.INBOUND,
            by=None,
            body=body + (f"\n{comment}" if comment else ""),
            occurred_at=now,
        )


def _follow_up_create(invitation: Invitation, comment: str, now: datetime.datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(headline)s (%(touchpoint)s): call %(customer)s") % {
            "headline": _headline(invitation),
            "touchpoint": Touchpoint(invitation.touchpoint).label,
            "customer": invitation.customer,
        }
        if comment:
            title = f"{title} – “{comment}”"
        title = title if len(title) <= 200 else title[:199] + "…"
        task = task_create(
            owner=follow_up_owner(location_id=invitation.location_id),
            title=title,
            due_at=now + datetime.timedelta(days=1),
            by=None,
            customer=invitation.customer,
            dedupe_key=f"survey:{invitation.pk}:follow-up",
        )
    invitation.follow_up_task = task
    invitation.save(update_fields=["follow_up_task"])


# --- Definitions ----------------------------------------------------------------------------


def survey_create_standard(
    *,
    name: str,
    touchpoint: str,
    csi_questions: tuple[str, ...] = (),
    requires_marketing_consent: bool = False,
    cadence: str = Survey.Cadence.MONTHLY,
) -> Survey:
    """A survey with the standard score and "why" questions, plus CSI 1–5 questions."""
    staff = touchpoint == Touchpoint.STAFF_PULSE
    if staff and 2 + len(csi_questions) > Survey.MAX_STAFF_QUESTIONS:
        raise ValidationError(
            _("A staff pulse has at most %(max)s questions.") % {"max": Survey.MAX_STAFF_QUESTIONS}
        )
    with transaction.atomic():
        survey = Survey(
            name=name,
            touchpoint=touchpoint,
            audience=Survey.Audience.STAFF if staff else Survey.Audience.CUSTOMERS,
            requires_marketing_consent=requires_marketing_consent,
            cadence=cadence,
        )
        survey.full_clean()
        survey.save()
        Question.objects.create(survey=survey, position=1, kind=Question.Kind.NPS, required=True)
        Question.objects.create(survey=survey, position=2, kind=Question.Kind.WHY)
        for position, text in enumerate(csi_questions, start=3):
            Question.objects.create(
                survey=survey, position=position, kind=Question.Kind.SCALE, text=text
            )
    return survey
