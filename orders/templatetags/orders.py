from django import template

from ..display import breakdown_rows as _rows

register = template.Library()


@register.filter
def breakdown_rows(deal):
    return _rows(deal)
