from django import template

register = template.Library()


@register.filter
def tz_local(value, location):
    """The branch's wall-clock time of an aware datetime, naive on purpose: the date and time
    filters would otherwise convert it to the active time zone again."""
    if not value:
        return value
    return location.localtime(value).replace(tzinfo=None)


@register.filter
def status_colour(status: str) -> str:
    return {
        "requested": "text-bg-warning",
        "confirmed": "text-bg-primary",
        "checked_in": "text-bg-info",
        "completed": "text-bg-success",
        "no_show": "text-bg-danger",
        "cancelled": "text-bg-secondary",
    }.get(status, "text-bg-light")
