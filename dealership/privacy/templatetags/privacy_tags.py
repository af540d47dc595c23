from django import template

from dealership.accounts.roles import MANAGER_ROLES

register = template.Library()


@register.inclusion_tag("privacy/partials/customer_actions_buttons.html", takes_context=True)
def privacy_customer_actions(context, customer):
    """The export and erase buttons of the customer 360 page, for managers only."""
    user = context["request"].user
    return {"customer": customer, "show": user.is_authenticated and user.has_role(*MANAGER_ROLES)}
