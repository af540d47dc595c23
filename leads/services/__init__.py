"""Leads' writes. Other apps call these (keyword-only) and nothing else in leads/services."""

from .assignment import (
    consultant_set_availability,
    consultants_on_duty,
    lead_assign,
    lead_assign_automatically,
    leads_bulk_assign,
)
from .cadence import (
    cadence_may_manage,
    cadence_pause,
    cadence_resume,
    cadence_run_due,
    cadence_stop_by_staff,
)
from .customers import customer_get_or_create_from_contact, customer_merge
from .enquiries import enquiry_submit
from .escalation import leads_escalate_overdue
from .events import lead_event, lead_for_sale
from .leads import lead_create, lead_transition
from .rescore import leads_rescore_soon
from .transfers import (
    lead_hand_back,
    lead_may_give_up,
    transfer_may_decide,
    transfer_request_approve,
    transfer_request_create,
    transfer_request_refuse,
)
from .work import activity_log, task_complete, task_create

__all__ = [
    "activity_log",
    "cadence_may_manage",
    "cadence_pause",
    "cadence_resume",
    "cadence_run_due",
    "cadence_stop_by_staff",
    "consultant_set_availability",
    "consultants_on_duty",
    "customer_get_or_create_from_contact",
    "customer_merge",
    "enquiry_submit",
    "lead_assign",
    "lead_assign_automatically",
    "lead_create",
    "lead_event",
    "lead_for_sale",
    "lead_hand_back",
    "lead_may_give_up",
    "lead_transition",
    "leads_bulk_assign",
    "leads_escalate_overdue",
    "leads_rescore_soon",
    "task_complete",
    "task_create",
    "transfer_may_decide",
    "transfer_request_approve",
    "transfer_request_create",
    "transfer_request_refuse",
]
