"""The thread's entries as HTML in one pass (templates/conversations/partials/thread.html).

A 500-message thread rendered entry by entry through the template engine spent most of the
fragment's time in per-row tags and filters (a dozen {% if %}, four {% translate %}, the zone
filter looking the format up again for every row). Here the labels are translated and the
format and zone looked up once per thread; every value is escaped (html.escape,
as django.utils.html.escape does; newlines as linebreaksbr), the same markup as before.
"""

import html
import re

from django import template
from django.template.loader import render_to_string
from django.utils import dateformat, formats
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from dealership.accounts.templatetags.zones import _zone

register = template.Library()

# Django's date format characters (django.utils.dateformat.re_formatchars), split into those
# of the time of day alone, those of the calendar day alone, and the rest (the whole moment).
_FORMAT_CHARS = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")
_ESCAPED = re.compile(r"\\(.)")
_TIME_CHARS = set("aAfgGhHiPsu")
_DAY_CHARS = set("bdDEFjlLmMnNoSwWyYzt")


class _WallClock:
    """dateformat.format(naive local time, fmt), each calendar day's and time of day's parts
    formatted once per thread (a thread of 500 messages has far fewer distinct days and
    minutes than rows; the format's translations are looked up once per part, not per row)."""

    def __init__(self, fmt: str):
        self.tokens = []
        for i, piece in enumerate(_FORMAT_CHARS.split(str(fmt))):
            if i % 2:
                kind = "t" if piece in _TIME_CHARS else "d" if piece in _DAY_CHARS else "x"
                self.tokens.append((kind, piece))
            elif piece:
                self.tokens.append(("", _ESCAPED.sub(r"\1", piece)))
        self.cache: dict = {}

    def __call__(self, value) -> str:
        out = []
        formatter = None
        for kind, piece in self.tokens:
            if not kind:
                out.append(piece)
                continue
            key = (
                (piece, value.date())
                if kind == "d"
                else (piece, value.time())
                if kind == "t"
                else (piece, value)
            )
            text = self.cache.get(key)
            if text is None:
                formatter = formatter or dateformat.DateFormat(value)
                text = self.cache[key] = str(getattr(formatter, piece)())
            out.append(text)
        return "".join(out)


_BADGE_CLASSES = {
    "failed": "text-bg-danger",
    "delivered": "text-bg-success",
    "sent": "text-bg-info",
}


def _linebreaksbr(text: str) -> str:
    """The linebreaksbr filter with autoescape: newlines normalised, escaped, <br>."""
    return html.escape(text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>")


def _card_class(entry) -> str:
    if entry.direction == "out":
        return "ms-5 border-primary"
    if entry.is_system:
        return "ms-5 border-secondary bg-light"
    return "me-5"


@register.simple_tag
def thread_entries(entries, location):
    """<li> cards of the thread, oldest first, times in the location's zone."""
    # html.escape is what django.utils.html.escape applies (the values are plain strings from
    # the database and gettext), without its lazy-string checks on every call.
    esc = html.escape
    zone = _zone(location)
    wall_clock = _WallClock(formats.get_format("SHORT_DATETIME_FORMAT"))
    system_badge = f'<span class="badge text-bg-secondary">{esc(_("System"))}</span>'
    states = {
        "queued": esc(_("Queued")),
        "sent": esc(_("Sent")),
        "delivered": esc(_("Delivered")),
    }
    failed = esc(_("Failed"))
    parts = []
    for entry in entries:
        local = entry.at.astimezone(zone)
        wall = wall_clock(local.replace(tzinfo=None))
        head = [system_badge] if entry.is_system else []
        head.append(f'<span class="badge text-bg-light border">{esc(entry.channel_label)}</span>')
        head.append(f"<span>{esc(entry.sender)}</span>")
        head.append(
            f'<time datetime="{local.isoformat()}">{esc(wall)} {esc(local.tzname())}</time>'
        )
        if entry.delivery:
            label = esc(entry.delivery_label)
            text = states.get(entry.delivery) or f"{failed} ({label})"
            head.append(
                f'<span class="badge delivery-{esc(entry.delivery)} '
                f'{_BADGE_CLASSES.get(entry.delivery, "text-bg-warning")}" '
                f'title="{label}">{text}</span>'
            )
        subject = f'<div class="fw-semibold">{esc(entry.subject)}</div>' if entry.subject else ""
        attachments = (
            render_to_string(
                "conversations/partials/attachments.html", {"attachments": entry.attachments}
            )
            if entry.attachments
            else ""
        )
        parts.append(
            f'<li class="card mb-2 {_card_class(entry)}" data-direction="{esc(entry.direction)}">'
            '<div class="card-body py-2"><div class="small text-muted d-flex flex-wrap gap-2">'
            f"{' '.join(head)}</div>{subject}"
            f'<div class="conversation-body">{_linebreaksbr(entry.body)}</div>'
            f"{attachments}</div></li>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every value escaped above
