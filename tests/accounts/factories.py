import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from dealership.accounts.models import Location, OpeningHours, User


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Showroom Motors {n}")
    slug = factory.Sequence(lambda n: f"branch-{n}")
    street = "Gartenstraße 12"
    postal_code = "04107"
    city = "Leipzig"
    country = "DE"
    phone = "+49 341 555 0100"
    email = factory.LazyAttribute(lambda o: f"{o.slug}@showroom.example")
    time_zone = "Europe/Berlin"
    sales_tax_rate = Decimal("19.000")
    # The suite's figures were written for tax on top; VAT-included tests say so.
    tax_regime = "exclusive"
    documentation_fee = Decimal("249.00")

    @factory.post_generation
    def weekday_hours(self, create, extracted, **kwargs):
        """Monday to Friday 09:00–18:00 unless a dict {weekday: (opens, closes)} is given."""
        if not create:
            return
        hours = extracted if extracted is not None else dict.fromkeys(range(5), ("09:00", "18:00"))
        for weekday, (opens, closes) in hours.items():
            OpeningHours.objects.create(
                location=self,
                weekday=weekday,
                opens=datetime.time.fromisoformat(opens),
                closes=datetime.time.fromisoformat(closes),
            )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = "Anna"
    last_name = "Schmidt"
    email = factory.LazyAttribute(lambda o: f"{o.username}@showroom.example")
    is_staff = True
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups the migration made.
            self.groups.add(Group.objects.get_or_create(name=extracted.value)[0])

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)
