"""The price is the price: the deal builder, the order, the contract (page and PDF) and the
email show the same figures, all from the one breakdown."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from dealership.messaging.models import OutboxMessage
from inventory.templatetags.inventory import money
from orders.services import DealChoice, contract_document, order_breakdown
from orders.tokens import order_token
from tests.accounts.factories import LocationFactory, UserFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import AddOnFactory, advance, make_order

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    """The text operators of reportlab's page streams (ASCII85, then Flate)."""
    import base64
    import re
    import zlib

    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        raw = stream.strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw[:-2])
        try:
            text.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(text)


class TestFiguresAgree(TestCase):
    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a DB example is slow to shrink
    )
    @given(
        payment_type=st.sampled_from(["cash", "finance", "lease"]),
        price=st.decimals(min_value=5_000, max_value=90_000, places=2),
        rate=st.decimals(min_value=0, max_value=25, places=3),
        down=st.decimals(min_value=0, max_value=3_000, places=2),
        with_add_on=st.booleans(),
        delivery_km=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
        regime=st.sampled_from(["inclusive", "exclusive"]),
        margin_scheme=st.booleans(),
    )
    def test_contract_email_and_order_show_the_same_total(
        self, payment_type, price, rate, down, with_add_on, delivery_km, regime, margin_scheme
    ):
        location = LocationFactory(sales_tax_rate=rate, tax_regime=regime)
        staff = UserFactory(locations=[location])
        vehicle = VehicleFactory(location=location, list_price=price, margin_scheme=margin_scheme)
        add_ons = (AddOnFactory(price=Decimal("349.99")).pk,) if with_add_on else ()
        deal = DealChoice(
            payment_type=payment_type,
            down_payment=down,
            term_months=0 if payment_type == "cash" else 48,
            add_on_ids=add_ons,
            fulfilment="delivery" if delivery_km is not None else "pickup",
            delivery_distance_km=delivery_km or 0,
        )
        order = make_order(vehicle, deal=deal)
        order = advance(order, "contract_sent", staff=staff)
        breakdown = order_breakdown(order)
        version = order.versions.order_by("-number").first()

        document = contract_document(order=order, version=version)
        page = self.client.get(reverse("orders:contract", args=[order_token(order)]))
        pdf = self.client.get(reverse("orders:contract-pdf", args=[order_token(order)]))
        email = OutboxMessage.objects.filter(
            dedupe_key__startswith=f"order:{order.pk}:transition:", channel="email"
        ).latest("id")

        assert version.deal == breakdown
        assert breakdown.tax_included is (regime == "inclusive")
        assert document["breakdown"]["total"] == str(breakdown.total)
        assert money(breakdown.total) in page.content.decode()
        assert f"Total: {money(breakdown.total)}" in email.body
        assert f"Deposit: {money(breakdown.deposit)}" in email.body
        # The PDF's standard font encodes the currency sign as a byte escape: match the digits.
        assert money(breakdown.total).lstrip("€") in _pdf_text(pdf.content)
        assert pdf["Content-Type"] == "application/pdf"


def test_the_deal_builder_preview_equals_the_order_it_creates(client, vehicle):
    add_on = AddOnFactory(price=Decimal("890.00"))
    data = {
        "payment_type": "finance",
        "down_payment": "1500",
        "term_months": "60",
        "add_ons": [add_on.pk],
        "fulfilment": "delivery",
        "delivery_distance_km": "42",
    }
    preview = client.get(reverse("orders:breakdown", args=[vehicle.pk]), data)
    response = client.post(
        reverse("orders:start", args=[vehicle.pk]),
        {
            **data,
            "first_name": "Mia",
            "last_name": "Wolf",
            "email": "mia@example.de",
            "phone": "0151 23456789",
            "street": "Ring 1",
            "postal_code": "04109",
            "city": "Leipzig",
        },
    )

    order = vehicle.orders.get()
    assert response.status_code == 302
    total = order.versions.get().deal.total
    assert money(total) in preview.content.decode()
    assert total == order_breakdown(order).total
    # 99.00 base + 42 km × 1.20
    assert order.versions.get().deal.delivery_fee == Decimal("149.40")
