"""Finance applications and the lender's decision."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealership.accounts.models import AuditEvent, User
from dealership.accounts.services import audit_diff, audit_record
from leads.services import leads_rescore_soon

from ..finance import LenderDecision, encrypt, get_finance_backend
from ..models import FinanceApplication, Order
from .lifecycle import S, _locked, _transition, order_transition

CREDIT_CHECK_CONSENT = gettext_lazy(
    "I agree that the dealership passes this application to its partner lenders and that "
    "they may run a credit check on me to decide on it."
)


@transaction.atomic
def finance_application_submit(
    *,
    order: Order,
    employment_status: str,
    employer: str,
    years_at_employer: int,
    monthly_income: Decimal,
    housing_cost: Decimal,
    national_id: str,
    date_of_birth: datetime.date,
    consent: bool,
    consent_wording: str,
) -> FinanceApplication:
    """The customer's credit application, with their consent to a credit check (wording and
    time stored). Sensitive fields are encrypted before they reach the database. The
    configured decision backend is asked at once; the manual one leaves it to staff."""
    order = _locked(order)
    if not order.is_financed:
        raise ValidationError(_("This order is paid in cash: no finance application needed."))
    if not consent:
        raise ValidationError({"consent": _("We need your consent to a credit check.")})
    if order.status not in (S.DRAFT, S.SUBMITTED, S.DEPOSIT_PAID):
        raise ValidationError(_("The finance application has already been submitted."))
    if FinanceApplication.objects.filter(order=order).exists():
        raise ValidationError(_("The finance application has already been submitted."))
    application = FinanceApplication(
        order=order,
        employment_status=employment_status,
        employer=employer.strip(),
        years_at_employer=years_at_employer,
        housing_cost=housing_cost,
        national_id_encrypted=encrypt(national_id.strip()),
        date_of_birth_encrypted=encrypt(date_of_birth.isoformat()),
        monthly_income_encrypted=encrypt(str(monthly_income)),
        credit_check_consent_wording=consent_wording,
        credit_check_consent_at=timezone.now(),
    )
    application.full_clean()
    application.save()
    leads_rescore_soon(customer_ids=[order.customer_id])  # "finance application started"
    if order.status == S.DEPOSIT_PAID:
        order_transition(order=order, to_status=S.FINANCE_PENDING, by=None)
    decision = get_finance_backend().request_decision(application=application)
    if decision is not None:
        finance_decision_record(application=application, by=None, decision=decision)
    return application


@transaction.atomic
def finance_decision_record(
    *, application: FinanceApplication, by: User | None, decision: LenderDecision
) -> FinanceApplication:
    """Record the lender's decision (staff on the desk, or a lender integration).

    Approved: the order takes the approved APR and term (a new deal version) and moves to
    "finance approved". Counter-offer: a new version the customer must accept, then staff
    approve. Declined: the order stays pending so staff can offer cash or another lender.
    National id and date of birth are erased: they are not needed after the decision.
    Audited: a "decide" event on the application (the decision fields before and after;
    `by` None = the lender integration) and, when the order's terms or status change, one
    "update" event on the order.
    """
    order = _locked(application.order)
    application = FinanceApplication.objects.select_for_update().get(pk=application.pk)
    if order.status != S.FINANCE_PENDING:
        raise ValidationError(_("The order is not waiting for a finance decision."))
    outcome = decision.outcome
    if outcome not in FinanceApplication.Decision.values or outcome == "pending":
        raise ValidationError({"outcome": _("Choose the lender's decision.")})
    if outcome in ("approved", "counter_offer") and (
        decision.apr is None or not decision.term_months
    ):
        raise ValidationError(_("An approval needs the APR and the term."))
    before = _decision(application)
    application.decision = outcome
    application.decision_apr = decision.apr
    application.decision_term_months = decision.term_months
    application.decision_conditions = decision.conditions
    application.lender_reference = decision.lender_reference
    application.decided_by = by
    application.decided_at = timezone.now()
    application.national_id_encrypted = ""
    application.date_of_birth_encrypted = ""
    application.full_clean()
    application.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.DECIDE,
        obj=application,
        changes=audit_diff(before, _decision(application)),
    )
    if outcome in ("approved", "counter_offer"):
        from .deals import version_create

        terms = audit_diff(
            {"apr": order.apr, "term_months": order.term_months},
            {"apr": decision.apr, "term_months": decision.term_months},
        )
        order.apr, order.term_months = decision.apr, decision.term_months
        order.save(update_fields=["apr", "term_months"])
        if terms:
            version_create(
                order=order,
                reason=_("Lender's terms: %(apr)s%% APR over %(term)s months")
                % {"apr": decision.apr, "term": decision.term_months},
                by=by,
                accepted=outcome == "approved",
            )
        if outcome == "approved":
            _transition(
                order=order,
                to_status=S.FINANCE_APPROVED,
                by=by,
                note=decision.conditions,
                audit_changes=terms,
            )
        elif terms:
            audit_record(actor=by, action=AuditEvent.Action.UPDATE, obj=order, changes=terms)
    return application


def _decision(application: FinanceApplication) -> dict:
    return {
        "decision": application.decision,
        "decision_apr": application.decision_apr,
        "decision_term_months": application.decision_term_months,
        "decision_conditions": application.decision_conditions,
        "lender_reference": application.lender_reference,
    }


def finance_application_view_log(*, application: FinanceApplication, actor: User) -> None:
    """Log that `actor` (staff) saw a finance application: one "view" event per page view."""
    audit_record(actor=actor, action=AuditEvent.Action.VIEW, obj=application)
