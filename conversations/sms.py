"""How many SMS segments a text takes (GSM 03.38 7-bit alphabet, else UCS-2). Pure."""

import math

MAX_SEGMENTS = 10

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def sms_segments(body: str) -> int:
    """Segments needed for `body`: 160 / 153 septets per part in the GSM alphabet (extension
    characters take two), else 70 / 67 UTF-16 code units."""
    if not body:
        return 0
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in body):
        length = sum(2 if ch in _GSM_EXTENDED else 1 for ch in body)
        single, multi = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if length <= single:
        return 1
    return math.ceil(length / multi)
