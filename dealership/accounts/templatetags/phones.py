"""``{{ customer.mobile_phone|phone_local:location }}`` and ``href="{{ n|phone_uri }}"``: see
dealership/accounts/phones.py."""

from django import template

from dealership.accounts import phones

register = template.Library()


@register.filter
def phone_local(value, location=None) -> str:
    return phones.phone_local(value, location or None)


@register.filter
def phone_uri(value, location=None) -> str:
    return phones.phone_uri(value, location or None)
