import pytest
from django.core.cache import cache

from leads.models import Lead
from leads.services import lead_create
from tests.inventory.factories import VehicleFactory
from tests.leads.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_lead_matches_the_stock_car_by_vin(location):
    car = VehicleFactory(location=location, make="Skoda", model="Octavia", model_year=2023)

    lead = lead_create(
        customer=CustomerFactory(location=location),
        source="adf",
        type="vehicle_enquiry",
        location=location,
        vin=car.vin.lower(),
        make="SKODA",
    )

    assert lead.vehicle == car
    assert (lead.vin, lead.stock_number, lead.year, lead.make, lead.model) == (
        car.vin,
        car.stock_number,
        2023,
        "Skoda",
        "Octavia",
    )


def test_a_lead_matches_the_stock_car_by_stock_number(location):
    car = VehicleFactory(location=location, stock_number="G2207")

    lead = lead_create(
        customer=CustomerFactory(location=location),
        source="website",
        type="e_price",
        location=location,
        stock_number="g2207",
    )

    assert lead.vehicle == car


def test_an_unknown_car_keeps_the_plain_details(location):
    lead = lead_create(
        customer=CustomerFactory(location=location),
        source="adf",
        type="vehicle_enquiry",
        location=location,
        stock_number="NOPE1",
        make="Volkswagen",
        model="Golf",
    )

    assert lead.vehicle is None
    assert (lead.stock_number, lead.make, lead.model) == ("NOPE1", "Volkswagen", "Golf")


def test_the_vehicle_page_links_to_a_prefilled_enquiry(client, location):
    cache.clear()
    car = VehicleFactory(location=location, stock_number="G2207", make="Volkswagen", model="Golf")

    page = client.get(car.get_absolute_url())
    assert f'href="/enquiries/vehicle/{car.pk}/"' in page.content.decode()

    form = client.get(f"/enquiries/vehicle/{car.pk}/")
    html = form.content.decode()
    assert form.status_code == 200
    assert "Ask us about the 2022 Volkswagen Golf" in html
    assert 'value="G2207"' in html
    assert f'<option value="{location.pk}" selected>' in html

    response = client.post(
        f"/enquiries/vehicle/{car.pk}/",
        {
            "type": "vehicle_enquiry",
            "location": location.pk,
            "vehicle": "G2207",
            "first_name": "Lena",
            "last_name": "Hoffmann",
            "email": "lena@example.de",
        },
    )

    assert response.status_code == 302
    assert Lead.objects.get().vehicle == car


def test_a_sold_or_unknown_car_has_no_enquiry_page(client, location):
    sold = VehicleFactory(location=location, status="sold")

    assert client.get(f"/enquiries/vehicle/{sold.pk}/").status_code == 404
    assert client.get("/enquiries/vehicle/999999/").status_code == 404
