import secrets

import factory
from django.utils import timezone

from conversations.models import ChatSession, Message, ReplyTemplate
from tests.accounts.factories import LocationFactory
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


class ChatSessionFactory(factory.django.DjangoModelFactory):
    """A waiting chat with the visitor's first line."""

    class Meta:
        model = ChatSession
        skip_postgeneration_save = True

    location = factory.SubFactory(LocationFactory)
    visitor_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    status = ChatSession.Status.WAITING
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def first_line(self, create, extracted, **kwargs):
        if create:
            Message.objects.create(
                chat_session=self,
                location=self.location,
                direction=Message.Direction.IN,
                channel=Message.Channel.CHAT,
                body=extracted or "Hello, is the Golf still for sale?",
                created_at=self.created_at,
            )
