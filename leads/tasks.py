from celery import shared_task


@shared_task(name="leads.escalate_overdue")
def escalate_overdue() -> dict:
    from .services import leads_escalate_overdue

    return leads_escalate_overdue()


@shared_task(name="leads.run_cadences")
def run_cadences() -> dict:
    from .services import cadence_run_due

    return cadence_run_due()
