"""ADF 1.0 (Auto-lead Data Format) parsing: bytes in, plain prospect records out.

Liberal in what it reads (namespaces, leading whitespace or BOM, missing optional parts, a
`name part="full"` only, several prospects, legacy encodings, unescaped ampersands, odd
`requestdate` formats); strict about safety: defusedxml refuses entity declarations,
external entities and DTD tricks, and any other parse failure is an AdfSyntaxError.
"""

import contextlib
import datetime
import email.utils
import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

MILES_TO_KM = Decimal("1.609344")


class AdfSyntaxError(ValueError):
    """The document is not XML we may read; the message says why."""


@dataclass
class Prospect:
    id_source: str = ""
    id_value: str = ""
    sequence: int | None = None
    status: str = "new"
    request_date: datetime.datetime | None = None
    request_date_text: str = ""
    first_name: str = ""
    last_name: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)  # (type, number)
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    comments: str = ""
    # Every <comments> of the prospect, verbatim, with where it came from:
    # ("customer" | "vehicle" | "trade-in", text, the vehicle's year, make and model).
    comment_sources: list[tuple[str, str, str]] = field(default_factory=list)
    timeframe: str = ""
    vendor_name: str = ""
    provider_name: str = ""
    provider_service: str = ""
    vehicle: dict = field(default_factory=dict)
    tradein: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    raw: str = ""

    @property
    def external_id(self) -> str:
        if self.id_value:
            return self.id_value[:200]
        return "sha256:" + hashlib.sha256(self.raw.encode()).hexdigest()


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _strip_namespaces(root: ET.Element) -> None:
    for el in root.iter():
        el.tag = _local(el.tag)
        el.attrib = {k.rsplit("}", 1)[-1].lower(): v for k, v in el.attrib.items()}


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _verbatim(el: ET.Element) -> str:
    """The element's text as sent (CDATA included), only the indentation around it trimmed."""
    return "".join(el.itertext()).strip()


_AMP = re.compile(rb"&(?!(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);)")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)
_DECL_ENCODING = re.compile(rb"^(<\?xml[^>]*?)\s+encoding=[\"'][^\"']*[\"']", re.I)
# The ADF 1.0 specification's own header: `<?ADF VERSION "1.0"?>` then `<?XML VERSION "1.0"?>`,
# in capitals, unquoted attribute syntax and the XML declaration second: not well-formed XML.
_HEADER_PI = re.compile(rb"\s*<\?(adf|xml)(?=\s|\?>)(.*?)\?>", re.I | re.S)
_HEADER_ENCODING = re.compile(rb"encoding\s*=?\s*[\"']([A-Za-z0-9._-]+)[\"']", re.I)
_VERSION = re.compile(rb"\s+version\s*=\s*[\"']1\.\d[\"']")


def _escape_ampersands(data: bytes) -> bytes:
    """Bare `&` escaped outside CDATA sections (inside them an `&` is already literal)."""
    parts = _CDATA.split(data)
    return b"".join(part if i % 2 else _AMP.sub(b"&amp;", part) for i, part in enumerate(parts))


def _header_is_well_formed(header: list[re.Match]) -> bool:
    for position, match in enumerate(header):
        name, body = match.group(1), match.group(2)
        if name == b"xml":
            if position or not _VERSION.match(body):
                return False
        elif name.lower() == b"xml":  # <?XML …?>: a reserved name in another case
            return False
    return True


def _normalise_header(data: bytes) -> bytes:
    """The leading `<?adf …?>` / `<?xml …?>` instructions rewritten as well-formed XML (the
    XML declaration first, in lower case, quoted), keeping the declared encoding. A header that
    is well-formed already is left as it is."""
    header, position = [], 0
    while match := _HEADER_PI.match(data, position):
        header.append(match)
        position = match.end()
    if _header_is_well_formed(header):
        return data
    encoding = next(
        (
            found.group(1)
            for match in header
            if match.group(1).lower() == b"xml"
            and (found := _HEADER_ENCODING.search(match.group(2)))
        ),
        None,
    )
    declaration = b'<?xml version="1.0"'
    if encoding:
        declaration += b' encoding="' + encoding + b'"'
    return declaration + b'?>\n<?adf version="1.0"?>' + data[position:]


def _parse(data: bytes) -> ET.Element:
    return SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)


def parse_document(raw: bytes) -> tuple[ET.Element, list[str]]:
    """The <adf> root element and what had to be repaired to read it."""
    repairs: list[str] = []
    # A BOM, leading whitespace or the specification's own (not well-formed) header are
    # normal in the wild, not worth a flag; the stored document keeps the bytes as sent.
    data = _normalise_header(raw.lstrip(b"\xef\xbb\xbf").lstrip())
    try:
        root = _parse(data)
    except DefusedXmlException as error:
        raise AdfSyntaxError(f"forbidden XML construct ({type(error).__name__})") from None
    except ET.ParseError as first_error:
        root = None
        candidates = []
        fixed = _escape_ampersands(data)
        if fixed != data:
            candidates.append((fixed, "unescaped & replaced"))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace").encode("utf-8")
            text = _DECL_ENCODING.sub(rb"\1", text)
            candidates.append((text, "not valid UTF-8: read as Windows-1252"))
            candidates.append((_escape_ampersands(text), "read as Windows-1252, & escaped"))
        for candidate, repair in candidates:
            try:
                root = _parse(candidate)
            except DefusedXmlException as error:
                raise AdfSyntaxError(f"forbidden XML construct ({type(error).__name__})") from None
            except ET.ParseError:
                continue
            repairs.append(repair)
            break
        if root is None:
            raise AdfSyntaxError(f"malformed XML: {first_error}") from None
    _strip_namespaces(root)
    if root.tag != "adf":
        raise AdfSyntaxError(f"the root element is <{root.tag}>, not <adf>")
    return root, repairs


_DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%dT%H%M%S",
)


def parse_request_date(value: str, tzinfo: datetime.tzinfo) -> datetime.datetime | None:
    """Aware datetime from the formats feeds use; a date without zone is read in `tzinfo`."""
    value = value.strip()
    if not value:
        return None
    iso = value.replace("Z", "+00:00")
    candidates = [iso]
    # "+0200" and "+02:00" both occur; so does a trailing zone name.
    candidates.append(re.sub(r"\s*(UTC|GMT)$", "+00:00", iso))
    # Feeds that come by email use the mail header format ("Fri, 02 Oct 2026 18:05:00 +0200").
    if re.match(r"^[A-Za-z]{3}, ", value):
        with contextlib.suppress(TypeError, ValueError, IndexError):
            parsed = email.utils.parsedate_to_datetime(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tzinfo)
    for candidate in candidates:
        try:
            parsed = datetime.datetime.fromisoformat(candidate)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tzinfo)
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.datetime.strptime(candidate, fmt)  # noqa: DTZ007 - zone added below
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=tzinfo)
    return None


def _int(value: str) -> int | None:
    digits = re.sub(r"[^\d]", "", value or "")
    return int(digits) if digits else None


def _money(value: str) -> Decimal | None:
    cleaned = re.sub(r"[^\d.,]", "", value or "")
    if "," in cleaned and "." not in cleaned:
        cleaned = (
            cleaned.replace(",", ".")
            if len(cleaned.split(",")[-1]) == 2
            else cleaned.replace(",", "")
        )
    else:
        cleaned = cleaned.replace(",", "")
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def _vehicle(el: ET.Element, currency: str, problems: list[str]) -> dict:
    data = {
        "interest": el.get("interest", "buy").lower(),
        "status": el.get("status", "").lower(),
        "year": _int(_text(el.find("year"))),
        "make": _text(el.find("make"))[:60],
        "model": _text(el.find("model"))[:60],
        "trim": _text(el.find("trim"))[:100],
        "vin": _text(el.find("vin")),
        "stock": _text(el.find("stock"))[:40],
        "comments": [text for c in el.findall("comments") if (text := _verbatim(c))],
    }
    odometer = el.find("odometer")
    if odometer is not None and _int(_text(odometer)) is not None:
        value = _int(_text(odometer))
        units = odometer.get("units", "km").lower()
        if units in ("mi", "miles", "mile"):
            data["odometer_km"] = int((Decimal(value) * MILES_TO_KM).to_integral_value())
        else:
            data["odometer_km"] = value
    price = el.find("price")
    if price is not None and _text(price):
        amount = _money(_text(price))
        price_currency = (price.get("currency") or currency).upper()
        if amount is None:
            problems.append(f"price “{_text(price)}” is not a number")
        elif price_currency != currency:
            problems.append(f"price in {price_currency}, we sell in {currency}: not imported")
        else:
            data["price"] = amount
    return data


def _prospect(el: ET.Element, tzinfo, currency: str) -> Prospect:
    p = Prospect(raw=ET.tostring(el, encoding="unicode"))
    p.status = (el.get("status") or "new").lower()
    ident = el.find("id")
    if ident is not None:
        p.id_value = _text(ident)
        p.id_source = ident.get("source", "")[:100]
        p.sequence = _int(ident.get("sequence", ""))
    requested = _text(el.find("requestdate"))
    if requested:
        p.request_date_text = requested[:100]
        p.request_date = parse_request_date(requested, tzinfo)
        if p.request_date is None:
            p.problems.append(f"requestdate “{requested}” not understood: kept as text")
    vehicles = el.findall("vehicle")
    vehicle_comments = []
    for vehicle in vehicles:
        data = _vehicle(vehicle, currency, p.problems)
        where = "trade-in" if data["interest"] == "trade-in" else "vehicle"
        label = " ".join(str(data[k]) for k in ("year", "make", "model") if data[k])
        vehicle_comments += [(where, text, label) for text in data["comments"]]
        if data["interest"] == "trade-in" and not p.tradein:
            p.tradein = data
        elif not p.vehicle:
            p.vehicle = data
    customer = el.find("customer")
    contact = customer.find("contact") if customer is not None else None
    if contact is not None:
        parts = {n.get("part", "full").lower(): _text(n) for n in contact.findall("name")}
        p.first_name = parts.get("first", "")
        p.last_name = parts.get("last", "")
        if not (p.first_name or p.last_name) and parts.get("full"):
            first, _, last = parts["full"].rpartition(" ")
            p.first_name, p.last_name = (first, last) if first else (last, "")
        p.emails = [_text(e) for e in contact.findall("email") if _text(e)]
        p.phones = [
            (ph.get("type", "voice").lower(), _text(ph))
            for ph in contact.findall("phone")
            if _text(ph)
        ]
        address = contact.find("address")
        if address is not None:
            p.street = " ".join(_text(s) for s in address.findall("street"))[:200]
            p.city = _text(address.find("city"))[:100]
            p.postal_code = _text(address.find("postalcode"))[:20]
            p.country = _text(address.find("country"))[:2].upper()
    if customer is not None:
        customer_comments = [text for c in customer.findall("comments") if (text := _verbatim(c))]
        p.comments = "\n\n".join(customer_comments)
        p.comment_sources = [("customer", text, "") for text in customer_comments]
        p.timeframe = _text(customer.find("timeframe/description")) or _text(
            customer.find("timeframe")
        )
    p.comment_sources += vehicle_comments
    p.vendor_name = _text(el.find("vendor/vendorname"))
    provider = el.find("provider")
    if provider is not None:
        p.provider_name = _text(provider.find("name"))
        p.provider_service = _text(provider.find("service"))
    return p


def parse_prospects(root: ET.Element, *, tzinfo, currency: str) -> list[Prospect]:
    return [_prospect(el, tzinfo, currency) for el in root.findall("prospect")]
