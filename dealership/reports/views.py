import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from dealership.accounts.access import staff_required
from dealership.accounts.roles import MANAGER_ROLES
from dealership.routers import replica_reads

from .forms import ReportFilterForm
from .panels import PANELS


@staff_required(roles=MANAGER_ROLES)
def panel(request, name: str = "funnel"):
    """One dashboard: the shared filter, its charts and tables; `?export=<table>` as CSV."""
    if name not in PANELS:
        raise Http404
    title, report = PANELS[name]
    data = request.GET if "first" in request.GET else ReportFilterForm.default_data()
    form = ReportFilterForm(data, user=request.user)
    context = {"form": form, "panels": PANELS, "current": name, "title": title}
    if not form.is_valid():
        return render(request, "reports/panel.html", context, status=400)
    # The figures may lag the primary by a moment: read them from the replica, if any.
    with replica_reads():
        result = report(user=request.user, filters=form.filters())
    export = request.GET.get("export")
    if export:
        table = next((t for t in result["tables"] if t.name == export), None)
        if table is None:
            raise Http404(_("No such table."))
        return _csv(table, f"{table.name}-{form.cleaned_data['first']}-{form.cleaned_data['last']}")
    query = request.GET.copy()
    query.pop("export", None)
    context.update(result=result, query=query.urlencode() if "first" in query else "")
    return render(request, "reports/panel.html", context)


def _csv(table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(filename)}.csv"'
    writer = csv.writer(response)
    writer.writerow([str(c) for c in table.columns])
    for row in table.rows:
        writer.writerow(["" if cell is None else _csv_safe(cell) for cell in row])
    return response


def _csv_safe(cell) -> str:
    """Cells a spreadsheet would run as a formula are quoted (CSV injection)."""
    text = str(cell)
    if isinstance(cell, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
