from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


def _duration(minutes: int) -> str:
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    return _("%(d)d days") % {"d": hours // 24}


def response_clock_state(lead, now) -> tuple[str, str]:
    """("left" | "overdue" | "done", text): time left to the first-response target, or how
    long overdue; "done" once answered or closed."""
    return response_clock_values(
        first_response_at=lead.first_response_at,
        response_due_at=lead.response_due_at,
        is_open=lead.is_open,
        now=now,
    )


def response_clock_values(*, first_response_at, response_due_at, is_open, now) -> tuple[str, str]:
    """response_clock_state from plain values (the inbox rows are dicts, not leads)."""
    if first_response_at or response_due_at is None or not is_open:
        return "done", ""
    seconds = (response_due_at - now).total_seconds()
    if seconds >= 0:
        return "left", _("%(t)s left") % {"t": _duration(int(seconds // 60))}
    return "overdue", _("overdue by %(t)s") % {"t": _duration(int(-seconds // 60))}


@register.inclusion_tag("leads/partials/response_clock.html")
def response_clock(lead, now):
    state, text = response_clock_state(lead, now)
    return {"state": state, "text": text}


@register.filter
def local_to(value, location):
    """A datetime as the wall-clock time in a location's time zone, for `date`/`time`.

    Naive on purpose: those filters convert an aware value to the request's current time
    zone (UTC here), which would undo the location's time zone.
    """
    return timezone.make_naive(value, location.tzinfo) if value else value


@register.simple_tag
def lead_page_actions(lead):
    """The links other apps offer on a lead's page (leads.timeline.lead_action_register)."""
    from ..timeline import lead_actions

    return lead_actions(lead=lead)


def score_reason_text(entry: dict) -> str:
    """One stored score reason ({"points", "reason", "args", "plural", "n"}, written by the
    scoring app) in the reader's language: the reason is an English msgid; string arguments
    are choice labels ("Walk-in"), translated too. A manager's own wording (no msgid in the
    catalogues) shows as typed."""
    from django.utils.translation import gettext, ngettext

    reason = str(entry.get("reason", ""))
    if "plural" in entry:
        try:
            n = int(entry.get("n", 0))
        except (TypeError, ValueError):
            n = 0
        template_text = ngettext(reason, str(entry["plural"]), n)
    else:
        template_text = gettext(reason) if reason else ""
    args = entry.get("args") or {}
    if not isinstance(args, dict) or not args:
        return template_text
    args = {key: gettext(value) if isinstance(value, str) else value for key, value in args.items()}
    try:
        return template_text % args
    except (KeyError, ValueError, TypeError):
        return template_text


@register.simple_tag
def score_reasons(lead) -> list[dict]:
    """The lead's score reasons as [{"points": "+20", "text": "booked a test drive",
    "positive": True}] for the lead page."""
    entries = lead.score_reasons if isinstance(lead.score_reasons, list) else []
    shown = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        try:
            points = int(entry.get("points", 0))
        except (TypeError, ValueError):
            continue
        shown.append(
            {
                # A real minus sign, as people write it ("−15").
                "points": f"+{points}" if points >= 0 else f"\u2212{-points}",
                "text": score_reason_text(entry),
                "positive": points >= 0,
            }
        )
    return shown
