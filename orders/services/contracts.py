"""The contract: a canonical document per deal version, its PDF, e-signature."""

import functools
import hashlib
import io
import json
from xml.sax.saxutils import escape

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealership.accounts.models import User
from dealership.accounts.templatetags.zones import in_zone

from ..models import Order, OrderVersion, Signature
from .lifecycle import S, _locked, order_transition

SIGNATURE_CONSENT = gettext_lazy(
    "I have read the contract above and agree that typing my full name signs it "
    "electronically, with the same effect as a handwritten signature."
)


def contract_document(*, order: Order, version: OrderVersion) -> dict:
    """What the customer signs, as data: the page and the PDF both render this, and its
    SHA-256 (over canonical JSON) is stored with the signature."""
    customer, vehicle, location = order.customer, order.vehicle, order.location
    return {
        "reference": order.reference,
        "version": version.number,
        "seller": {
            "name": location.name,
            "address": location.address_lines,
            "phone": location.phone,
        },
        "buyer": {
            "name": f"{customer.first_name} {customer.last_name}".strip(),
            "email": customer.email,
            "phone": customer.mobile_phone,
            "address": [customer.street, f"{customer.postal_code} {customer.city}".strip()],
        },
        "vehicle": {
            "title": f"{vehicle.model_year} {vehicle.make} {vehicle.model} {vehicle.trim}".strip(),
            "vin": vehicle.vin,
            "stock_number": vehicle.stock_number,
            "mileage_km": vehicle.mileage,
        },
        "trade_in": {
            "year": order.tradein_year,
            "make": order.tradein_make,
            "model": order.tradein_model,
            "vin": order.tradein_vin,
            "mileage_km": order.tradein_mileage_km,
        }
        if order.has_trade_in
        else None,
        "fulfilment": order.fulfilment,
        "delivery_address": [order.delivery_street, order.delivery_postal_code, order.delivery_city]
        if order.fulfilment == Order.Fulfilment.DELIVERY
        else None,
        "breakdown": version.breakdown,
    }


def document_sha256(document: dict) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def contract_version(order: Order) -> OrderVersion:
    """The version the contract is made from: the latest, which must be accepted."""
    version = order.versions.order_by("-number").first()
    if version is None or version.accepted_at is None:
        raise ValidationError(_("The customer has not accepted the latest deal yet."))
    return version


def contract_send(*, order: Order, by: User) -> Order:
    """Staff release the contract for signing (after the deposit, and finance approval when
    financed). The customer is notified with the link."""
    with transaction.atomic():
        order = _locked(order)
        contract_version(order)
        if order.is_financed and order.status == S.DEPOSIT_PAID:
            raise ValidationError(_("A financed order needs the lender's approval first."))
        return order_transition(order=order, to_status=S.CONTRACT_SENT, by=by)


def contract_sign(
    *, order: Order, full_name: str, consent: bool, ip_address: str | None, document_hash: str
) -> Signature:
    """The customer signs the current contract. `document_hash` is the hash of the document
    they were shown: if the deal changed meanwhile, the signature is refused."""
    with transaction.atomic():
        order = _locked(order)
        if order.status != S.CONTRACT_SENT:
            raise ValidationError(_("There is no contract waiting for your signature."))
        version = contract_version(order)
        document = contract_document(order=order, version=version)
        digest = document_sha256(document)
        if document_hash != digest:
            raise ValidationError(
                _("The contract changed while you were reading it; review it again.")
            )
        if not consent:
            raise ValidationError({"consent": _("Tick the box to agree to sign electronically.")})
        expected = " ".join(document["buyer"]["name"].lower().split())
        if " ".join(full_name.lower().split()) != expected:
            raise ValidationError(
                {"full_name": _("Type your full name exactly as on the contract.")}
            )
        signature = Signature(
            order=order,
            version=version,
            full_name=full_name.strip(),
            consent_wording=str(SIGNATURE_CONSENT),
            signed_at=timezone.now(),
            ip_address=ip_address or None,
            document_sha256=digest,
        )
        signature.full_clean()
        signature.save()
        order_transition(order=order, to_status=S.CONTRACT_SIGNED, by=None)
        # The PDF of exactly the document whose hash was checked above, stored last, so
        # nothing after it can roll the signature back and leave the file behind.
        _store_pdf(signature, contract_pdf(document=document, signature=signature))
        return signature


def _store_pdf(signature: Signature, pdf: bytes) -> None:
    signature.pdf.save("contract.pdf", ContentFile(pdf), save=False)
    Signature.objects.filter(pk=signature.pk).update(pdf=signature.pdf.name)


def contract_pdf_stored(*, signature: Signature, order: Order, version: OrderVersion):
    """The signed contract's stored PDF (a FieldFile), storing it first for a signature made
    before contracts were stored, when today's document still has the hash that was signed.
    None when it cannot be reproduced (the data changed since). Two requests at once: one
    file wins the row, the other is deleted."""
    if signature.pdf:
        return signature.pdf
    document = contract_document(order=order, version=version)
    if document_sha256(document) != signature.document_sha256:
        return None
    pdf = contract_pdf(document=document, signature=signature)
    signature.pdf.save("contract.pdf", ContentFile(pdf), save=False)
    name = signature.pdf.name
    if not Signature.objects.filter(pk=signature.pk, pdf="").update(pdf=name):
        signature.pdf.storage.delete(name)
        signature.refresh_from_db(fields=["pdf"])
    return signature.pdf


# reportlab's built-in Helvetica has no CJK glyphs (a Chinese contract would print empty
# boxes): WenQuanYi Micro Hei (TrueType outlines, Apache License 2.0, from the
# paperang-p2-fonts-cjk wheel) has Latin, Greek, Cyrillic and CJK. reportlab embeds only the
# glyphs a contract uses.
CJK_FONT = "WenQuanYiMicroHei"
BASE_FONT = "Helvetica"


@functools.cache
def _register_cjk_font() -> str:
    from importlib.resources import files

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"
    pdfmetrics.registerFont(TTFont(CJK_FONT, str(path), subfontIndex=0))
    # One weight only: bold headings and <b> use the same face.
    pdfmetrics.registerFontFamily(
        CJK_FONT, normal=CJK_FONT, bold=CJK_FONT, italic=CJK_FONT, boldItalic=CJK_FONT
    )
    return CJK_FONT


def _fits_base_font(texts) -> bool:
    """Whether Helvetica (WinAnsi: Western European letters, €) can draw every character."""
    try:
        "".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def contract_font(texts) -> str:
    """The font a contract is set in: the CJK font for a Chinese contract, and for any text
    the base font lacks glyphs for (a buyer named 王芳 on a German contract)."""
    language = translation.get_language() or ""
    if language.startswith("zh") or not _fits_base_font(texts):
        return _register_cjk_font()
    return BASE_FONT


def contract_pdf(*, document: dict, signature: Signature | None = None) -> bytes:
    """The contract as a PDF (reportlab, pure Python), in the active language."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from inventory.pricing import DealBreakdown

    from ..display import breakdown_rows

    deal = DealBreakdown.from_dict(document["breakdown"])
    rows = [[str(label), value] for label, value in breakdown_rows(deal)]
    paragraphs = [
        (_("Purchase contract %(ref)s") % {"ref": document["reference"]}, "Title"),
        (_("Version %(n)s") % {"n": document["version"]}, "Normal"),
        None,
        (_("Seller"), "Heading2"),
        ("\n".join([document["seller"]["name"], *document["seller"]["address"]]), "Normal"),
        (_("Buyer"), "Heading2"),
        ("\n".join([document["buyer"]["name"], *document["buyer"]["address"]]), "Normal"),
        (_("Vehicle"), "Heading2"),
        (f"{document['vehicle']['title']}\nVIN {document['vehicle']['vin']}", "Normal"),
        (_("Price"), "Heading2"),
        rows,
        None,
        (_("Document SHA-256: %(hash)s") % {"hash": document_sha256(document)}, "Normal"),
    ]
    if signature is not None:
        paragraphs.append(
            (
                _("Signed electronically by %(name)s on %(at)s from %(ip)s.")
                % {
                    "name": signature.full_name,
                    "at": in_zone(signature.signed_at, signature.order.location),
                    "ip": signature.ip_address or "",
                },
                "Normal",
            )
        )
    texts = [p[0] for p in paragraphs if isinstance(p, tuple)] + [c for r in rows for c in r]
    font = contract_font(texts)
    styles = getSampleStyleSheet()
    if font != BASE_FONT:  # Helvetica keeps its bold headings
        for name in ("Title", "Normal", "Heading2"):
            styles[name].fontName = font
    story = []
    for part in paragraphs:
        if part is None:
            story.append(Spacer(1, 12))
        elif isinstance(part, list):
            story.append(Table(part, style=TableStyle([("FONTNAME", (0, 0), (-1, -1), font)])))
        else:
            # Names and addresses are typed by people: escaped for reportlab's markup.
            text, style = part
            story.append(Paragraph(escape(text).replace("\n", "<br/>"), styles[style]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=document["reference"]).build(story)
    return buffer.getvalue()
