import factory
from django.utils import timezone

from leads.models import Activity, CadenceStep, Customer, Lead, Task
from leads.services.customers import customer_search_names
from tests.accounts.factories import LocationFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    first_name = "Lena"
    last_name = factory.Sequence(lambda n: f"Hoffmann{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.de")
    mobile_phone = factory.Sequence(lambda n: f"+49151{n:08d}")
    location = factory.SubFactory(LocationFactory)
    source = Customer.Source.WEBSITE
    search_name = factory.LazyAttribute(
        lambda o: customer_search_names(o.first_name, o.last_name)[0]
    )
    search_name_reversed = factory.LazyAttribute(
        lambda o: customer_search_names(o.first_name, o.last_name)[1]
    )


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    customer = factory.SubFactory(CustomerFactory)
    location = factory.LazyAttribute(lambda o: o.customer.location)
    source = Lead.Source.WEBSITE
    type = Lead.Type.VEHICLE_ENQUIRY
    make = "Volkswagen"
    model = "Golf"
    year = 2022
    created_at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    customer = factory.SubFactory(CustomerFactory)
    kind = Activity.Kind.NOTE
    body = "Called about the Golf."
    occurred_at = factory.LazyFunction(timezone.now)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = "Call back"
    due_at = factory.LazyFunction(timezone.now)
    customer = factory.SubFactory(CustomerFactory)


class CadenceStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CadenceStep

    lead_type = Lead.Type.VEHICLE_ENQUIRY
    position = factory.Sequence(lambda n: n + 1)
    delay_minutes = 0
    action = CadenceStep.Action.EMAIL
    template_key = "leads.follow_up"
