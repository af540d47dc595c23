from celery import shared_task


@shared_task(name="reports.weekly_summaries")
def weekly_summaries() -> int:
    from .services import weekly_summaries_send_due

    return weekly_summaries_send_due()


@shared_task(name="reports.rollup_refresh")
def rollup_refresh() -> int:
    from .services import rollup_refresh

    return rollup_refresh()
