import factory
from django.utils import timezone

from dealership.messaging.models import Channel, Consent, OutboxMessage, Purpose, QuietHours
from tests.accounts.factories import LocationFactory


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A row as message_enqueue would store it; tests of enqueue itself call the service."""

    class Meta:
        model = OutboxMessage

    channel = Channel.EMAIL
    purpose = Purpose.TRANSACTIONAL
    to = factory.Sequence(lambda n: f"customer{n}@example.com")
    location = factory.SubFactory(LocationFactory)
    template_key = "tests.hello"
    subject = "Hello"
    body = "Hello there\n"
    status = OutboxMessage.Status.QUEUED
    send_after = factory.LazyFunction(timezone.now)
    dedupe_key = factory.Sequence(lambda n: f"test:{n}:hello")


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    channel = Channel.EMAIL
    address = factory.Sequence(lambda n: f"customer{n}@example.com")
    granted = True
    source = "web form"
    wording = "Send me offers and news by email"


class QuietHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuietHours

    location = factory.SubFactory(LocationFactory)
