"""Tell the app that scores leads (above this one) that a lead's facts changed.

Lead.score and Lead.score_reasons are stored here but computed by the scoring app, which
sits above leads, testdrives, orders and conversations: they name its function through a
setting (LEADS_RESCORE_HOOK, like MESSAGING_INBOUND_SMS_HOOK) so the import arrows still point
down. The call happens after the commit (nothing for a rolled-back change); the nightly full
recompute is the safety net, so a failing hook is logged, never raised."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def leads_rescore_soon(*, lead_ids=(), customer_ids=()) -> None:
    """Rescore these leads and every lead of these customers once the transaction commits."""
    path = getattr(settings, "LEADS_RESCORE_HOOK", "")
    lead_ids = sorted({int(pk) for pk in lead_ids if pk})
    customer_ids = sorted({int(pk) for pk in customer_ids if pk})
    if not path or not (lead_ids or customer_ids):
        return

    def call() -> None:
        try:
            import_string(path)(lead_ids=lead_ids, customer_ids=customer_ids)
        except Exception:
            logger.exception("lead rescore hook %s failed; the nightly recompute catches up", path)

    transaction.on_commit(call)
