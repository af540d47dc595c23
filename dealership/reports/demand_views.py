"""The inventory demand page for managers (/staff/inventory/demand/)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from dealership.accounts.access import staff_required
from dealership.accounts.roles import MANAGER_ROLES
from dealership.routers import replica_reads

from .demand import DAYS, MANY_VIEWS, demand_for_location, locations_for_demand


class DemandLocationForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=None, label=_("Location"), empty_label=None, to_field_name="slug"
    )

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


@staff_required(roles=MANAGER_ROLES)
def demand(request):
    """One of the manager's locations (?location=<slug>, else the first): stock against
    demand over the last 30 days. A location that is not theirs: 400 with the form's error."""
    locations = list(locations_for_demand(request.user))
    data = request.GET if "location" in request.GET else None
    form = DemandLocationForm(data, locations=locations_for_demand(request.user))
    context = {"form": form, "days": DAYS, "many_views": MANY_VIEWS}
    if data is not None and not form.is_valid():
        return render(request, "reports/demand.html", context, status=400)
    location = form.cleaned_data["location"] if data is not None else next(iter(locations), None)
    if location is None:
        return render(request, "reports/demand.html", context)
    if data is None:
        form = DemandLocationForm(
            initial={"location": location.slug}, locations=locations_for_demand(request.user)
        )
    with replica_reads():
        context.update(form=form, demand=demand_for_location(location=location))
    return render(request, "reports/demand.html", context)
