from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _duration(minutes: int) -> str:
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    return _("%(d)d days") % {"d": hours // 24}


@register.inclusion_tag("leads/partials/response_clock.html")
def response_clock(lead, now):
    """Time left to the first-response target, or how long overdue; nothing once answered."""
    if lead.first_response_at or lead.response_due_at is None or not lead.is_open:
        return {"state": "done"}
    seconds = (lead.response_due_at - now).total_seconds()
    if seconds >= 0:
        return {"state": "left", "text": _("%(t)s left") % {"t": _duration(int(seconds // 60))}}
    return {
        "state": "overdue",
        "text": _("overdue by %(t)s") % {"t": _duration(int(-seconds // 60))},
    }


@register.filter
def local_to(value, location):
    """A datetime in a location's time zone."""
    return location.localtime(value) if value else value
