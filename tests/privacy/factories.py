import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from dealership.messaging.models import Channel, InboundSms, Suppression
from inventory.models import SavedSearch
from leads.models import AdfDocument, TradeInPhoto


class TradeInPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TradeInPhoto

    image = factory.LazyFunction(lambda: ContentFile(b"\xff\xd8\xff\xe0 not really", "golf.jpg"))


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Suppression

    channel = Channel.EMAIL
    reason = Suppression.Reason.UNSUBSCRIBED


class InboundSmsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboundSms

    provider_id = factory.Sequence(lambda n: f"sms-{n}")
    body = "Can I come by on Saturday?"


class SavedSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSearch

    query = "make=Volkswagen"
    last_checked_at = factory.LazyFunction(timezone.now)


class AdfDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdfDocument

    received_at = factory.LazyFunction(timezone.now)
    channel = "http"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    raw = b"<adf><prospect><customer><contact>Lena</contact></customer></prospect></adf>"
    status = AdfDocument.Status.IMPORTED
