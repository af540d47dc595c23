"""After-sales writes. Other apps call these (keyword-only)."""

from .appointments import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_days,
    appointment_slots,
)
from .complaints import (
    complaint_assign,
    complaint_create,
    complaint_submit,
    complaint_transition,
    complaints_escalate_overdue,
)
from .recalls import recall_campaign_import, recall_parse_vins, recalls_notify_owners
from .reminders import reminders_run
from .vehicles import (
    odometer_record,
    owned_vehicle_create,
    owned_vehicle_for_website_booking,
    owned_vehicle_recompute_due,
    owned_vehicle_register_from_delivery,
    owned_vehicle_set_status,
    owned_vehicles_recompute_for_plan,
)

__all__ = [
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_complete",
    "appointment_days",
    "appointment_slots",
    "complaint_assign",
    "complaint_create",
    "complaint_submit",
    "complaint_transition",
    "complaints_escalate_overdue",
    "odometer_record",
    "owned_vehicle_create",
    "owned_vehicle_for_website_booking",
    "owned_vehicle_recompute_due",
    "owned_vehicle_register_from_delivery",
    "owned_vehicle_set_status",
    "owned_vehicles_recompute_for_plan",
    "recall_campaign_import",
    "recall_parse_vins",
    "recalls_notify_owners",
    "reminders_run",
]
