"""Finance applications: encryption of sensitive fields and the lender-decision interface.

Encrypted, not dropped: the lender decision needs national id, date of birth and income, and
staff key the application into the lender's portal until an integration exists, so they are
kept encrypted at rest (Fernet: AES-128-CBC + HMAC) and national id and date of birth are
erased as soon as a decision is recorded. A database dump or backup alone reveals nothing.
"""

import base64
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.module_loading import import_string


def _fernet() -> Fernet:
    key = settings.ORDERS_FIELD_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(("orders-fields:" + settings.SECRET_KEY).encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


@dataclass(frozen=True)
class LenderDecision:
    outcome: str  # FinanceApplication.Decision value
    apr: Decimal | None = None
    term_months: int | None = None
    conditions: str = ""
    lender_reference: str = ""


class FinanceDecisionBackend:
    """Asks a lender. `request_decision` returns a decision now, or None when it comes later
    (a lender's callback or staff record it with `finance_decision_record`)."""

    def request_decision(self, *, application) -> LenderDecision | None:
        raise NotImplementedError


class ManualDecisionBackend(FinanceDecisionBackend):
    """No lender integration: staff submit the application to the lender by hand and record
    the decision on the order desk."""

    def request_decision(self, *, application) -> LenderDecision | None:
        return None


def get_finance_backend() -> FinanceDecisionBackend:
    return import_string(settings.FINANCE_DECISION_BACKEND)()
