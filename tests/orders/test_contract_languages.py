"""The contract PDF in the customer's language: a Chinese contract is set in a font that has
the glyphs (WenQuanYi Micro Hei, embedded as a subset), and so is any contract with a name the
built-in Helvetica cannot draw. The text is read back through the fonts' ToUnicode maps, as a
PDF reader copies it."""

import datetime
import re

import pytest
import time_machine
from django.utils import translation

from orders.models import Signature
from orders.services import contract_document, contract_pdf
from orders.services.contracts import CJK_FONT, _register_cjk_font
from tests.accounts.factories import LocationFactory
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import advance, make_order
from tests.orders.pdftext import fonts, pdf_text, text_runs

pytestmark = pytest.mark.django_db

SIGNED = datetime.datetime(2026, 3, 30, 8, 15, tzinfo=datetime.UTC)


def _document(order):
    order.refresh_from_db()
    return contract_document(order=order, version=order.versions.order_by("-number").first())


def _embedded(pdf: bytes) -> set[str]:
    # "ABCDEF+WenQuanYiMicroHei-0": a subset tag, the face, reportlab's subset number
    return {
        re.sub(r"-\d+$", "", f["base"].split("+")[-1]) for f in fonts(pdf).values() if f["embedded"]
    }


@time_machine.travel(SIGNED, tick=False)
def test_a_chinese_contract_has_its_text_in_an_embedded_cjk_font(consultant):
    leipzig = LocationFactory(name="Showroom Leipzig", time_zone="Europe/Berlin")
    consultant.locations.add(leipzig)
    order = advance(
        make_order(VehicleFactory(location=leipzig), first_name="芳", last_name="王"),
        "contract_signed",
        staff=consultant,
    )
    signature = Signature.objects.get(order=order)

    with translation.override("zh-hans"):
        pdf = contract_pdf(document=_document(order), signature=signature)

    text = pdf_text(pdf)
    assert f"购车合同 {order.reference}" in text
    assert "卖方" in text
    assert "买方" in text
    assert "芳 王" in text  # the buyer, as typed
    # signed in Leipzig's summer time (the clocks went forward the day before), named
    assert "10:15 CEST" in text
    assert "\ufffd" not in text  # every glyph maps back to a character
    assert _embedded(pdf) == {CJK_FONT}
    assert {font.split("+")[-1] for font, _text in text_runs(pdf)} == {f"{CJK_FONT}-0"}


def test_every_chinese_character_of_the_contract_has_a_glyph_in_the_font():
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(_register_cjk_font()).face
    with translation.override("zh-hans"):
        words = [translation.gettext(s) for s in ("Purchase contract %(ref)s", "Seller", "Buyer")]
        words += [translation.gettext(s) for s in ("Vehicle", "Price", "Version %(n)s")]

    characters = {c for word in words for c in word if ord(c) > 0x2E80}
    assert len(characters) >= 8
    assert {c for c in characters if not face.charToGlyph.get(ord(c))} == set()


def test_a_name_helvetica_cannot_draw_switches_a_german_contract_to_the_cjk_font(consultant):
    location = consultant.locations.first()
    order = advance(
        make_order(VehicleFactory(location=location), first_name="Wei", last_name="张"),
        "contract_sent",
        staff=consultant,
    )

    with translation.override("de"):
        pdf = contract_pdf(document=_document(order))

    text = pdf_text(pdf)
    assert f"Kaufvertrag {order.reference}" in text
    assert "Wei 张" in text
    assert _embedded(pdf) == {CJK_FONT}


def test_a_western_contract_stays_in_helvetica_and_escapes_what_people_typed(consultant):
    location = consultant.locations.first()
    order = advance(
        make_order(
            VehicleFactory(location=location), first_name="Jörg", last_name="Müller & <Söhne>"
        ),
        "contract_sent",
        staff=consultant,
    )

    with translation.override("de"):
        pdf = contract_pdf(document=_document(order))

    # reportlab draws an escaped character as a run of its own: the line, read across runs
    assert "Jörg Müller & <Söhne>" in pdf_text(pdf).replace("\n", "")
    assert _embedded(pdf) == set()
    assert {font for font, _text in text_runs(pdf)} == {"Helvetica", "Helvetica-Bold"}


def test_the_cjk_font_is_exactly_the_file_we_reviewed():
    """The font comes from a small single-maintainer wheel, pinned exactly in pyproject.toml:
    a different file under the same name (a re-published release) fails here, not in print."""
    import hashlib
    from importlib.resources import files

    path = files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"

    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
    )
