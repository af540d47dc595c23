"""Orders' writes. Other apps call these (keyword-only)."""

from .contracts import (
    contract_document,
    contract_pdf,
    contract_pdf_stored,
    contract_send,
    contract_sign,
)
from .deals import (
    DealChoice,
    breakdown_for,
    order_accept_version,
    order_adjust,
    order_breakdown,
    order_change_delivery,
    order_create,
)
from .delivery import order_hand_over, order_out_for_delivery, order_schedule_delivery
from .finance import (
    finance_application_submit,
    finance_application_view_log,
    finance_decision_record,
)
from .lifecycle import (
    TRANSITIONS,
    TransitionError,
    VehicleUnavailable,
    order_cancel,
    order_reserve,
    order_transition,
    orders_expire_reservations,
    orders_send_reminders,
)
from .payments import (
    payment_confirm_offline,
    payment_refund,
    payment_retry,
    payment_webhook_handle,
)
from .quotes import (
    Contact,
    PaymentOption,
    TradeIn,
    quote_accept,
    quote_create,
    quote_send,
    quotes_expire,
)

__all__ = [
    "TRANSITIONS",
    "Contact",
    "DealChoice",
    "PaymentOption",
    "TradeIn",
    "TransitionError",
    "VehicleUnavailable",
    "breakdown_for",
    "contract_document",
    "contract_pdf",
    "contract_pdf_stored",
    "contract_send",
    "contract_sign",
    "finance_application_submit",
    "finance_application_view_log",
    "finance_decision_record",
    "order_accept_version",
    "order_adjust",
    "order_breakdown",
    "order_cancel",
    "order_change_delivery",
    "order_create",
    "order_hand_over",
    "order_out_for_delivery",
    "order_reserve",
    "order_schedule_delivery",
    "order_transition",
    "orders_expire_reservations",
    "orders_send_reminders",
    "payment_confirm_offline",
    "payment_refund",
    "payment_retry",
    "payment_webhook_handle",
    "quote_accept",
    "quote_create",
    "quote_send",
    "quotes_expire",
]
