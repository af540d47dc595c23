import factory
from django.utils import timezone

from conversations.models import Message, ReplyTemplate
from tests.leads.factories import CustomerFactory


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    customer = factory.SubFactory(CustomerFactory)
    location = factory.LazyAttribute(lambda o: o.customer.location)
    direction = Message.Direction.IN
    channel = Message.Channel.SMS
    body = "Is the Golf still available?"
    created_at = factory.LazyFunction(timezone.now)


class ReplyTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReplyTemplate

    name = "Still available"
    channel = ReplyTemplate.Channel.SMS
    body = "Hi {customer_first_name}, the {vehicle} at {price} EUR is still here. {consultant}"
