"""The breakdown as labelled, formatted lines: the same rows on the page, in the PDF and
in the emails."""

from django.utils.translation import gettext_lazy as _

from inventory.pricing import DealBreakdown
from inventory.templatetags.inventory import money, percent


def breakdown_rows(deal: DealBreakdown) -> list[tuple[str, str]]:
    rows = [(_("Vehicle price"), money(deal.price))]
    if deal.discount:
        rows.append((_("Discount"), "−" + money(deal.discount)))
    rows.extend((a.name, money(a.price)) for a in deal.add_ons)
    rows.append((_("Documentation fee"), money(deal.documentation_fee)))
    if deal.trade_in_credit:
        rows.append((_("Trade-in credit"), "−" + money(deal.trade_in_credit)))
    if not deal.tax_included:
        rows.append((_("Taxable amount"), money(deal.taxable_amount)))
        rows.append((_("Tax (%(rate)s)") % {"rate": percent(deal.tax_rate)}, money(deal.tax)))
    if deal.trade_in_payoff:
        rows.append((_("Trade-in loan payoff"), money(deal.trade_in_payoff)))
    rows.append((_("Registration (estimate)"), money(deal.registration)))
    if deal.delivery_fee:
        rows.append((_("Home delivery"), money(deal.delivery_fee)))
    rows.append((_("Total"), money(deal.total)))
    if deal.tax_included:
        # Shown, not added: the prices above already hold it.
        rows.append((_("incl. %(rate)s VAT") % {"rate": percent(deal.tax_rate)}, money(deal.tax)))
        if deal.margin_scheme:
            rows.append((_("Vehicle sold under the margin scheme: no VAT shown on it"), "—"))
    rows.append((_("Deposit (to reserve)"), money(deal.deposit)))
    if deal.payment_type == "cash":
        rows.append((_("Balance due at handover"), money(deal.balance_due)))
    else:
        rows.append((_("Down payment at handover"), money(deal.down_payment)))
        rows.append((_("Amount financed"), money(deal.financed)))
        if deal.residual:
            rows.append((_("Residual value"), money(deal.residual)))
        rows.append(
            (
                _("Estimated monthly payment (%(term)s months, %(apr)s%% APR)")
                % {"term": deal.term_months, "apr": deal.apr},
                money(deal.monthly_payment),
            )
        )
    return rows
