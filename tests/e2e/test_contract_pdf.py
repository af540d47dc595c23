"""The Chinese contract's first page as a reader sees it: Chromium's own PDF viewer rasterises
it. A font without the glyphs draws each character as a filled box ("tofu"); the page drawn
with the font we ship has ink in its title and not one such box. The same check on the page
drawn in Helvetica finds the boxes, so it can tell the difference."""

import io

import pytest
from django.utils import translation
from PIL import Image, ImageFilter

from orders.services import contract_document, contract_pdf
from orders.services import contracts as contract_module
from tests.inventory.factories import VehicleFactory
from tests.orders.factories import advance, make_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _test_provider(settings):
    settings.PAYMENT_BACKEND = "orders.payments.TestPaymentBackend"


def _first_page(browser, tmp_path, pdf: bytes, name: str) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_timeout(2_500)  # the viewer draws the page after the load event
    shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
    context.close()
    # The page itself: right of the thumbnails, below the toolbar, the white sheet's columns.
    sheet = shot.crop((320, 60, 1260, 900))
    columns = [x for x in range(sheet.width) if sheet.getpixel((x, 5)) > 240]
    return sheet.crop((columns[0], 0, columns[-1], sheet.height))


def _tofu(image: Image.Image) -> int:
    """Pixels at the centre of a solid dark 9×9 square: a glyph's strokes are never that
    thick at this size, a missing glyph's box is."""
    solid = image.filter(ImageFilter.MaxFilter(9))
    return sum(1 for value in solid.getdata() if value < 80)


def _ink(image: Image.Image) -> int:
    return sum(1 for value in image.getdata() if value < 128)


def test_the_chinese_contract_page_shows_glyphs_not_boxes(
    browser, tmp_path, consultant, location, monkeypatch
):
    order = advance(
        make_order(VehicleFactory(location=location), first_name="芳", last_name="王"),
        "contract_sent",
        staff=consultant,
    )
    document = contract_document(order=order, version=order.versions.get())

    with translation.override("zh-hans"):
        shipped = contract_pdf(document=document)
        monkeypatch.setattr(contract_module, "contract_font", lambda texts: "Helvetica")
        helvetica = contract_pdf(document=document)

    page = _first_page(browser, tmp_path, shipped, "contract")
    control = _first_page(browser, tmp_path, helvetica, "control")

    title = page.crop((0, 0, page.width, page.height // 6))
    assert _ink(title) > 300  # 购车合同 and the reference are drawn
    assert _tofu(page) == 0
    assert _tofu(control) > 100  # the check sees the boxes Helvetica draws
