import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="scoring.rescore")
def rescore(lead_ids: list[int] | None = None, customer_ids: list[int] | None = None) -> int:
    from .services import leads_rescore

    return leads_rescore(lead_ids=lead_ids or (), customer_ids=customer_ids or ())


@shared_task(name="scoring.rescore_all")
def rescore_all() -> dict:
    from .services import leads_rescore_all

    return leads_rescore_all()


def rescore_soon(*, lead_ids=(), customer_ids=()) -> None:
    """leads' hook (settings.LEADS_RESCORE_HOOK), called after a commit that changed what a
    lead's score looks at (a status, a test drive, a reply, a finance application, a new
    enquiry). A broker outage only delays the new score to the nightly pass."""
    from kombu.exceptions import OperationalError

    try:
        rescore.delay(lead_ids=list(lead_ids), customer_ids=list(customer_ids))
    except OperationalError:
        logger.warning("broker unavailable; the lead scores wait for the nightly recompute")


def rescore_all_after_rule_change() -> None:
    """A rule was added, changed or removed: the next pass starts over (a pass in progress
    would resume with the old rules' scores already written before the change)."""
    from django.db import transaction
    from kombu.exceptions import OperationalError

    from .models import ScoringRun

    ScoringRun.objects.filter(name="nightly").update(started_at=None, finished_at=None)

    def queue():
        try:
            rescore_all.delay()
        except OperationalError:
            logger.warning("broker unavailable; the lead scores wait for the nightly recompute")

    transaction.on_commit(queue)
