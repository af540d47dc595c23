import datetime

import factory
from django.utils import timezone

from surveys.models import Invitation, Survey, Touchpoint
from surveys.services import survey_create_standard, token_new
from tests.leads.factories import CustomerFactory


def standard_survey(
    touchpoint: str = Touchpoint.PURCHASE, *, csi: tuple[str, ...] = (), **kwargs
) -> Survey:
    return survey_create_standard(
        name=f"Survey {touchpoint}", touchpoint=touchpoint, csi_questions=csi, **kwargs
    )


class InvitationFactory(factory.django.DjangoModelFactory):
    """A sent invitation. Use invitation_with_token() when the test needs the link."""

    class Meta:
        model = Invitation

    survey = factory.LazyFunction(lambda: Survey.objects.filter(touchpoint="purchase").first())
    touchpoint = factory.LazyAttribute(lambda o: o.survey.touchpoint)
    source_id = factory.Sequence(str)
    customer = factory.SubFactory(CustomerFactory)
    location = factory.LazyAttribute(lambda o: o.customer.location)
    occurred_at = factory.LazyFunction(timezone.now)
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    status = Invitation.Status.SENT
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + datetime.timedelta(days=14))
    token_hash = factory.LazyFunction(lambda: token_new()[1])


def invitation_with_token(**kwargs) -> tuple[Invitation, str]:
    token, hashed = token_new()
    return InvitationFactory(token_hash=hashed, **kwargs), token
